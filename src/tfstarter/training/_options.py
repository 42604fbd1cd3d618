"""The Trainer's options: frozen dataclasses, validated when they are built."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from tfstarter._checks import (
    check_number_in_range,
    check_one_of,
    check_positive_int,
    describe,
)
from tfstarter.errors import ArgumentTypeError

Loop: TypeAlias = Literal["fit", "custom"]
ClipBy: TypeAlias = Literal["value", "norm", "global_norm"]
OnNonFinite: TypeAlias = Literal["raise", "ignore"]
StepsPerExecution: TypeAlias = int | Literal["auto"]
JitCompile: TypeAlias = bool | Literal["auto", "autotune"]

LOOPS: tuple[Loop, ...] = ("fit", "custom")
CLIP_MODES: tuple[ClipBy, ...] = ("value", "norm", "global_norm")
ON_NON_FINITE: tuple[OnNonFinite, ...] = ("raise", "ignore")
JIT_MODES: tuple[str, ...] = ("auto", "autotune")

AUTO_STEPS_PER_EXECUTION = 32
"""How many steps one compiled call runs under ``steps_per_execution="auto"``
when no callback listens to the batch hooks."""


@dataclass(frozen=True)
class GradientClipping:
    """Clip the gradients before the optimizer applies them.

    Clipping is done by the model's Keras optimizer (its ``clipvalue``,
    ``clipnorm`` or ``global_clipnorm``), after loss-scale unscaling and after
    gradient accumulation, so it bounds the update that is actually applied.

    Attributes:
        by: ``"value"`` clips every gradient element to
            ``[-threshold, threshold]``; ``"norm"`` rescales each gradient
            tensor whose L2 norm exceeds ``threshold``; ``"global_norm"``
            rescales all gradients together when their global L2 norm exceeds
            ``threshold``.
        threshold: the bound, a positive number.

    Raises:
        ConfigError: if ``by`` is unknown or ``threshold`` is not positive.

    Examples:
        >>> GradientClipping("global_norm", 1.0)
        GradientClipping(by='global_norm', threshold=1.0)
    """

    by: ClipBy
    threshold: float

    def __post_init__(self) -> None:
        check_one_of("by", self.by, CLIP_MODES)
        threshold = check_number_in_range(
            "threshold",
            self.threshold,
            low=0.0,
            high=float("inf"),
            low_inclusive=False,
        )
        object.__setattr__(self, "threshold", threshold)

    @property
    def optimizer_argument(self) -> str:
        """The name of the Keras optimizer argument that does this clipping.

        Examples:
            >>> GradientClipping("norm", 0.5).optimizer_argument
            'clipnorm'
        """
        return {
            "value": "clipvalue",
            "norm": "clipnorm",
            "global_norm": "global_clipnorm",
        }[self.by]


@dataclass(frozen=True)
class TrainerOptions:
    """Everything that shapes how a `Trainer` runs, checked at construction.

    Pass one to `Trainer` as ``options=``, or pass the same fields as keyword
    arguments; read it back as ``trainer.options``.

    Attributes:
        loop: ``"fit"`` runs Keras ``model.fit``; ``"custom"`` runs tfstarter's
            compiled ``tf.GradientTape`` loop. Both run the same per-batch step.
        steps_per_execution: how many batches one compiled call processes.
            ``"auto"`` (default) keeps the model's own
            ``compile(steps_per_execution=N)`` when it was set, else runs 1
            when a callback listens to the per-batch hooks and up to
            `AUTO_STEPS_PER_EXECUTION` when none does, so no callback can
            tell the difference. With an integer ``n`` the batch hooks are
            called once per ``n`` batches, with Keras' own indices.
        jit_compile: ``True`` compiles the whole per-batch step with XLA
            (dropout masks then come from XLA's generator). ``"auto"``
            (default) decides from the model, never from a clock, so a
            seeded run repeats exactly: the optimizer's weight update is
            XLA-compiled on its own where that is safe, and in the custom
            loop the whole step is too where the whole-step XLA
            rule finds it pays (see `Trainer.xla`). ``"autotune"`` is
            ``"auto"`` except that the custom loop times whole-step XLA
            against the plain step during a long enough ``fit`` and keeps
            the faster: sometimes faster, but two runs may choose
            differently, so results are not repeatable. ``False``: no XLA.
        clipping: gradient clipping, or ``None``.
        gradient_accumulation_steps: apply the optimizer once every this many
            batches, with the mean of their gradients (1 = every batch).
        on_non_finite: ``"raise"`` stops training with a `TrainingError` at
            the first step whose loss, gradients or updated weights hold NaN
            or Inf, naming the epoch, the batch and the first bad variable,
            and leaves the model with the weights of the last finite step;
            ``"ignore"`` goes on, as Keras does
            (`keras.callbacks.TerminateOnNaN` still stops it quietly).

    Raises:
        ConfigError: if a value is out of range or unknown.
        ArgumentTypeError: if a value has the wrong type.

    Examples:
        >>> TrainerOptions(loop="custom", steps_per_execution=8).steps_per_execution
        8
    """

    loop: Loop = "fit"
    steps_per_execution: StepsPerExecution = "auto"
    jit_compile: JitCompile = "auto"
    clipping: GradientClipping | None = None
    gradient_accumulation_steps: int = 1
    on_non_finite: OnNonFinite = "raise"

    def __post_init__(self) -> None:
        check_one_of("loop", self.loop, LOOPS)
        if self.steps_per_execution != "auto":
            if isinstance(self.steps_per_execution, bool) or not isinstance(
                self.steps_per_execution, int
            ):
                raise ArgumentTypeError(
                    f"`steps_per_execution` must be a positive integer or 'auto', "
                    f"got {describe(self.steps_per_execution)} of type "
                    f"{type(self.steps_per_execution).__name__}."
                )
            check_positive_int("steps_per_execution", self.steps_per_execution)
        if not isinstance(self.jit_compile, bool) and self.jit_compile not in JIT_MODES:
            raise ArgumentTypeError(
                f"`jit_compile` must be True, False, 'auto' or 'autotune', got "
                f"{describe(self.jit_compile)}."
            )
        if self.clipping is not None and not isinstance(
            self.clipping, GradientClipping
        ):
            raise ArgumentTypeError(
                f"`clipping` must be a GradientClipping or None, got "
                f"{describe(self.clipping)} of type "
                f"{type(self.clipping).__name__}. Pass e.g. "
                f"clipping=GradientClipping('global_norm', 1.0)."
            )
        check_positive_int(
            "gradient_accumulation_steps", self.gradient_accumulation_steps
        )
        check_one_of("on_non_finite", self.on_non_finite, ON_NON_FINITE)
