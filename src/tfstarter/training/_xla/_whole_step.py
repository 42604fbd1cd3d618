"""Which train step the custom loop runs: the plain graph, or the whole step by XLA.

Why our own code: Keras compiles the whole step with XLA or nothing, and
leaves XLA off on a machine without a GPU. On a CPU, XLA trains some models
much faster (on this project's benchmark machines, with TensorFlow's oneDNN
kernels off, the small workflow-5 CNN 1.2-1.5x, the MNIST MLP about 1.2x)
and others slower, and its dropout draws other random numbers than the
plain graph. So under ``jit_compile="auto"``
the custom loop decides from the traced step's ops, never from a clock, so
that the same seeded script on the same machine always trains the same way:

- no whole-step XLA where the step draws random numbers (dropout, noise,
  augmentation layers: XLA would draw them differently from ``model.fit``),
  or holds an op in `SLOWER_UNDER_XLA` or a layer in `SLOWER_LAYERS`
  (measured slower on a CPU), or, where TensorFlow runs its oneDNN kernels
  (its default on CPUs with AVX-512 VNNI/BF16 or AMX), a convolution
  (`SLOWER_UNDER_XLA_WITH_ONEDNN`); the machine and its environment decide
  that, not a clock, so a run on the same machine still repeats;
- none in a ``fit`` call of fewer than `WHOLE_STEP_MIN_STEPS` steps, which
  cannot pay for the compile (seconds); a later, longer call decides;
- none for data of unknown length, under a `tf.distribute` strategy, with a
  layer that does not support XLA, with op determinism on, or where Keras
  uses no XLA;
- if XLA fails to compile the step, the batch it was tried on runs plain and
  so does every later one.

XLA compiles once per batch shape, so the call that reaches the last batch of
the data (which may be short) runs that batch plain. ``jit_compile=
"autotune"`` replaces the op rule by a timed trial (see `Autotune`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import tensorflow as tf

from tfstarter.training._compiled import Functions
from tfstarter.training._epoch_iterator import Call, EpochIterator
from tfstarter.training._xla._autotune import TRIAL_MIN_SECONDS, Autotune
from tfstarter.training._xla._ops import op_types, random_ops

WHOLE_STEP_MIN_STEPS = 2000
"""Steps a ``fit`` call must run for ``"auto"`` to decide on whole-step XLA."""

SLOWER_UNDER_XLA = frozenset(
    {
        "MaxPool",
        "MaxPoolGrad",
        "MaxPoolV2",
        "MaxPoolGradV2",
        "AvgPool",
        "AvgPoolGrad",
        "FusedBatchNormV3",
        "FusedBatchNormGradV3",
    }
)
"""Op types that make the whole step slower under XLA on a CPU than the plain
graph (pooling, fused batch normalization and their gradients)."""

SLOWER_UNDER_XLA_WITH_ONEDNN = frozenset(
    {
        "Conv2D",
        "Conv2DBackpropInput",
        "Conv2DBackpropFilter",
        "Conv3D",
        "Conv3DBackpropInputV2",
        "Conv3DBackpropFilterV2",
        "DepthwiseConv2dNative",
        "DepthwiseConv2dNativeBackpropInput",
        "DepthwiseConv2dNativeBackpropFilter",
    }
)
"""Op types slower under XLA where TensorFlow runs its oneDNN kernels.

The plain graph then runs convolutions with oneDNN, and XLA's CPU backend
does not. Measured on the CNN of ``benchmarks/trainer.py`` (three
``Conv2D``), custom loop, whole step under XLA over the plain step, paired
rounds on an AMD EPYC with AVX-512 (2 cores, 2026-12-02): 0.97x at batch 32
and 0.75x at batch 128 with oneDNN on (TensorFlow's default on that CPU),
1.21x and 1.22x with ``TF_ENABLE_ONEDNN_OPTS=0``. XLA's own speed was the
same both ways. The 3-D and depthwise convolutions were not measured; they
are counted too because oneDNN runs them as well.
"""

SLOWER_LAYERS = frozenset({"BatchNormalization"})
"""Layer classes that make the whole step slower under XLA on a CPU (Keras 3
builds batch normalization from generic ops, so it has no op type of its own
to find in the graph)."""

Choice = Literal["pending", "xla", "plain"]


def pending_reason(*, autotune: bool) -> str:
    """Why whole-step XLA is not decided yet.

    Examples:
        >>> pending_reason(autotune=False)
        'not decided yet: decided in the first fit call of at least 2000 steps'
    """
    if autotune:
        return (
            f"not decided yet: the trial starts in a fit call with at least "
            f"{TRIAL_MIN_SECONDS:.0f} s of training left"
        )
    return (
        f"not decided yet: decided in the first fit call of at least "
        f"{WHOLE_STEP_MIN_STEPS} steps"
    )


class WholeStep:
    """Runs the custom loop's train calls with the plain or the XLA-compiled step.

    Args:
        plain: the plain train forms.
        make_xla: makes the whole-step XLA forms (on first use).
        autotune: decide by a timed trial instead of the op rule.
        refusal: why whole-step XLA is out of the question here, or ``None``.
        layers: the class names of the model's layers.
        onednn: whether TensorFlow runs its oneDNN CPU kernels here (then
            `SLOWER_UNDER_XLA_WITH_ONEDNN` counts too).

    Attributes:
        choice: ``"pending"`` until decided, then ``"xla"`` or ``"plain"``.
        reason: why, in words.
        seconds_per_step: the autotune trial's times per step, if one ran.
    """

    def __init__(
        self,
        plain: Functions,
        make_xla: Callable[[], Functions],
        *,
        autotune: bool,
        refusal: str | None,
        layers: Sequence[str] = (),
        onednn: bool = False,
    ) -> None:
        self.plain = plain
        self._layers = frozenset(layers)
        self._onednn = onednn
        self._make_xla = make_xla
        self._xla: Functions | None = None
        self._compiled = False
        self.autotune: Autotune | None = (
            Autotune(plain=plain, xla=None, settle=self._settle) if autotune else None
        )
        self.choice: Choice = "plain" if refusal else "pending"
        self.reason = refusal or pending_reason(autotune=autotune)

    @property
    def seconds_per_step(self) -> dict[str, float]:
        """The autotune trial's median times per step (empty without one)."""
        return dict(self.autotune.seconds_per_step) if self.autotune else {}

    @property
    def xla(self) -> Functions:
        """The whole-step XLA forms (made on first use)."""
        if self._xla is None:
            self._xla = self._make_xla()
            if self.autotune is not None:
                self.autotune.xla = self._xla
        return self._xla

    def _settle(self, choice: str, reason: str) -> None:
        self.choice = "xla" if choice == "xla" else "plain"
        self.reason = reason

    def function(self, epochs: EpochIterator, steps: int) -> Callable[[Any, Call], Any]:
        """The train function of one ``fit`` call of ``steps`` steps."""
        if self.choice == "plain" or not epochs.known_length:
            return self.plain
        if self.autotune is not None:
            return self._autotuned(self.autotune, steps)
        if self.choice == "pending":
            if steps < WHOLE_STEP_MIN_STEPS:
                return self.plain
            return (
                self._run if self._decide(epochs.dataset.element_spec) else self.plain
            )
        return self._run

    def _decide(self, element_spec: Any) -> bool:
        """The op rule: XLA unless the traced step holds random or slow ops."""
        try:
            types = op_types(self.xla.one.get_concrete_function(element_spec))
        except (tf.errors.OpError, ValueError, TypeError) as error:
            self._settle("plain", f"XLA could not trace the step: {_first_line(error)}")
            return False
        found = random_ops(types)
        if found:
            self._settle(
                "plain",
                f"the step draws random numbers ({', '.join(found)}), which XLA "
                f"draws differently: results would no longer match model.fit",
            )
            return False
        slow = sorted((types & SLOWER_UNDER_XLA) | (self._layers & SLOWER_LAYERS))
        if slow:
            self._settle(
                "plain",
                f"the step holds ops that run slower under XLA on a CPU "
                f"({', '.join(slow)})",
            )
            return False
        onednn = sorted(types & SLOWER_UNDER_XLA_WITH_ONEDNN) if self._onednn else []
        if onednn:
            self._settle(
                "plain",
                f"the step holds ops that run slower under XLA on a CPU where "
                f"TensorFlow runs them with oneDNN, as here ({', '.join(onednn)})",
            )
            return False
        self._settle(
            "xla",
            "the step draws no random numbers and holds no op that runs slower "
            "under XLA on a CPU",
        )
        return True

    def _run(self, iterator: Any, call: Call) -> Any:
        """One call with whole-step XLA (its data-ending batch plain)."""
        if not self._compiled:
            return self._first_xla_call(iterator, call)
        return self._ending_plain(self.xla, iterator, call)

    def _first_xla_call(self, iterator: Any, call: Call) -> Any:
        """Compile XLA on one batch (plain on it if XLA fails), then the rest."""
        if call.reaches_end and (call.steps or 1) == 1:
            return self.plain(iterator, call)
        optional = iterator.get_next_as_optional()
        if not bool(optional.has_value()):
            return None
        one = tf.constant(1, tf.int32)
        try:
            logs = self.xla.rest(optional, iterator, one)
            self._compiled = True
        except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as error:
            self._settle(
                "plain", f"XLA could not compile the step: {_first_line(error)}"
            )
            logs = self.plain.rest(optional, iterator, one)
        steps = call.steps or 1
        if steps == 1:
            return logs
        rest = Call(call.begin + 1, call.end, steps - 1, call.limit, call.reaches_end)
        if self.choice == "xla":
            return self._run(iterator, rest)
        return self.plain(iterator, rest)

    def _autotuned(self, tune: Autotune, steps: int) -> Callable[[Any, Call], Any]:
        left = [steps]

        def run(iterator: Any, call: Call) -> Any:
            left[0] -= call.steps or call.limit
            if self.choice == "xla":
                return self._run(iterator, call)
            if self.choice == "plain":
                return self.plain(iterator, call)
            if not tune.started:
                return tune.pace(iterator, call, left[0] + (call.steps or call.limit))
            if not self._compiled:
                return self._first_xla_call(iterator, call)
            return self._trial_call(tune, iterator, call)

        return run

    def _trial_call(self, tune: Autotune, iterator: Any, call: Call) -> Any:
        """One call of the trial's rounds; a data-ending batch runs plain.

        The batches before the data-ending one still count for the trial, so
        an epoch of a single call gets a trial too.
        """
        return self._ending_plain(tune.round, iterator, call)

    def _ending_plain(
        self, run: Callable[[Any, Call], Any], iterator: Any, call: Call
    ) -> Any:
        """``run`` the call, except that its data-ending batch runs plain."""
        if not call.reaches_end:
            return run(iterator, call)
        if (call.steps or 1) > 1 and run(iterator, _head(call)) is None:
            return None
        return self.plain(iterator, _tail(call))


def _head(call: Call) -> Call:
    steps = (call.steps or 1) - 1
    return Call(call.begin, call.end, steps, call.limit)


def _tail(call: Call) -> Call:
    return Call(call.begin, call.end, 1, call.limit, True)


def _first_line(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
