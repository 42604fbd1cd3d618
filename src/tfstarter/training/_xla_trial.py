"""``jit_compile="auto"`` in the custom loop: whole-step XLA where it measures faster.

Why our own code: Keras leaves XLA off on a machine without a GPU, because
XLA on a CPU is faster for some models and slower for others. On this
project's benchmark machine it trains a small MNIST CNN 1.3-1.4x faster, and a
CNN with batch normalization and pooling no faster at all. No rule read off
the model predicts which, so the custom loop measures: during a long enough
``fit`` it runs a few rounds of each form, alternating, and keeps the faster
one. tf.data's ``AUTOTUNE`` and cuDNN's autotuning work the same way.

The trial is skipped, and the step keeps the plain graph (with its
XLA-compiled update, see `XlaUpdate`), where XLA could change more than the
speed or cannot pay for its compile:

- the step draws random numbers (dropout, noise, augmentation layers): XLA
  draws them from a different generator, so results would differ from
  ``model.fit`` for the same seed;
- a layer says it does not support XLA, a `tf.distribute` strategy is in use,
  TensorFlow op determinism is on, or Keras uses no XLA on the platform;
- the data has an unknown length;
- the ``fit`` call has less than `TRIAL_MIN_SECONDS` of training left at the
  plain step's pace when the trial would start: compiling costs seconds;
- XLA fails to compile the step (the batch it was tried on then runs plain).

XLA compiles once per batch shape, so the last batch of every epoch (which may
be short) always runs the plain step: no second compile.
Both forms compute the same update, to rounding; `Trainer.xla` reports what
was chosen, why, and the times measured.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import tensorflow as tf

from tfstarter.training._compiled import CompiledSteps, Functions
from tfstarter.training._executions import Execution

TRIAL_MIN_SECONDS = 30.0
"""Training time a ``fit`` call must have left (at the plain step's measured
pace) for the trial to start: the XLA compile it risks takes seconds."""

TRIAL_ROUNDS = 3
"""Timed rounds of each form, alternating (XLA, plain, XLA, ...)."""

ROUND_STEPS = 32
"""Steps a timed round runs at least: one call under ``steps_per_execution=
"auto"``, several when a callback's batch hooks make each call one step."""

XLA_MARGIN = 0.95
"""Whole-step XLA is kept only if it takes at most this fraction of the plain
step's time per step: a near tie keeps the plain graph (no compile per new
batch shape, results closest to ``model.fit``)."""

_PACE_WINDOW = 4
"""Latest timed plain calls (never the first, which traces) whose median time
per step sets the pace."""

_PACE_MIN = 2
"""Timed plain calls needed before the trial may start."""

Choice = Literal["pending", "xla", "plain"]

_RANDOM_OP_PREFIXES = (
    "StatelessTruncated",
    "StatelessMultinomial",
    "StatelessParameterized",
    "StatelessShuffle",
    "StatefulUniform",
    "StatefulStandard",
    "StatefulTruncated",
)
_RANDOM_OPS = frozenset(
    {"TruncatedNormal", "Multinomial", "ParameterizedTruncatedNormal"}
)


def is_random_op(op_type: str) -> bool:
    """Whether a TensorFlow op type draws random numbers.

    Examples:
        >>> is_random_op("StatelessRandomUniformV2"), is_random_op("StatelessWhile")
        (True, False)
    """
    return (
        "Random" in op_type
        or "Rng" in op_type
        or op_type.startswith(_RANDOM_OP_PREFIXES)
        or op_type in _RANDOM_OPS
    )


def random_ops(concrete_function: Any) -> list[str]:
    """The random op types in a traced function and every function it calls.

    Examples:
        >>> f = tf.function(lambda x: x + tf.random.uniform(tf.shape(x)))
        >>> random_ops(f.get_concrete_function(tf.TensorSpec([2])))
        ['RandomUniform']
    """
    graph_def = concrete_function.graph.as_graph_def()
    nodes: Iterable[Any] = list(graph_def.node) + [
        node for function in graph_def.library.function for node in function.node_def
    ]
    return sorted({node.op for node in nodes if is_random_op(node.op)})


@dataclass
class XlaTrial:
    """Chooses, by timing, between the plain and the whole-step XLA train step.

    Args:
        compiled: the custom loop's compiled functions (without whole-step XLA).
        reason: why there will be no trial, or ``None`` if there may be one.

    Attributes:
        choice: ``"pending"`` until decided, then ``"xla"`` or ``"plain"``.
        reason: why, in words.
        seconds_per_step: the trial's median times per step, by form.

    Examples:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> from tfstarter.training._step import Step
        >>> trial = XlaTrial(CompiledSteps(Step(model), jit_compile=False))
        >>> trial.choice
        'pending'
    """

    compiled: CompiledSteps
    reason: str | None = None
    choice: Choice = "pending"
    seconds_per_step: dict[str, float] = field(default_factory=dict)
    # The latest plain calls' times per step: a bounded window, so that a
    # Trainer that never starts the trial does not keep (or sort) them all.
    _pace: deque[float] = field(
        default_factory=lambda: deque(maxlen=_PACE_WINDOW), init=False, repr=False
    )
    _plain_calls: int = field(default=0, init=False, repr=False)
    _started: bool = field(default=False, init=False, repr=False)
    _rounds: list[str] = field(default_factory=list, init=False, repr=False)
    _round_seconds: float = field(default=0.0, init=False, repr=False)
    _round_steps: int = field(default=0, init=False, repr=False)
    _times: dict[str, list[float]] = field(
        default_factory=lambda: {"xla": [], "plain": []}, init=False, repr=False
    )

    def __post_init__(self) -> None:
        if self.reason is not None:
            self.choice = "plain"
        else:
            self.reason = (
                f"not tried yet: the trial starts in a fit call with at least "
                f"{TRIAL_MIN_SECONDS:.0f} s of training left"
            )

    def run(
        self,
        execute: Callable[[Functions, Execution], Any],
        iterator: Any,
        execution: Execution,
        *,
        last: bool,
        steps_left: int,
    ) -> Any:
        """Run one call of ``execution`` with the chosen (or tried) step.

        Args:
            execute: runs a `Functions` on ``execution`` (reading ``iterator``).
            iterator: the epoch's iterator.
            execution: the call to run.
            last: whether it is the epoch's last call (its last batch runs
                plain).
            steps_left: steps this ``fit`` call has left, this one included.
        """
        plain = self.compiled.training
        if self.choice == "plain":
            return execute(plain, execution)
        if self.choice == "pending" and not self._started:
            return self._pace_call(execute, execution, steps_left)
        if not last:
            return self._started_call(execute, iterator, execution)
        # The epoch's last batch may be short: it runs plain, so that XLA never
        # compiles for a second batch shape.
        if execution.steps > 1:
            head = Execution(execution.begin, execution.end - 1, execution.steps - 1)
            if self._started_call(execute, iterator, head) is None:
                return None
        return execute(plain, Execution(execution.end, execution.end, 1))

    def _pace_call(
        self,
        execute: Callable[[Functions, Execution], Any],
        execution: Execution,
        steps_left: int,
    ) -> Any:
        """Run a plain call, timed; start the trial if enough training is left."""
        logs, seconds = _timed(execute, self.compiled.training, execution)
        self._plain_calls += 1
        if self._plain_calls > 1:
            self._pace.append(seconds / execution.steps)
        steps_after = steps_left - execution.steps
        if (
            len(self._pace) >= _PACE_MIN
            and statistics.median(self._pace) * steps_after >= TRIAL_MIN_SECONDS
        ):
            self._started = True
        return logs

    def _started_call(
        self,
        execute: Callable[[Functions, Execution], Any],
        iterator: Any,
        execution: Execution,
    ) -> Any:
        """Run a call once the trial has started: compile, a timed round, or XLA."""
        if self.choice == "xla":
            return execute(self.compiled.training_xla, execution)
        if not self._rounds:
            return self._first_xla_call(execute, iterator, execution)
        form = self._rounds[0]
        functions = (
            self.compiled.training_xla if form == "xla" else self.compiled.training
        )
        logs, seconds = _timed(execute, functions, execution)
        self._round_seconds += seconds
        self._round_steps += execution.steps
        if self._round_steps >= ROUND_STEPS:
            self._times[form].append(self._round_seconds / self._round_steps)
            self._round_seconds, self._round_steps = 0.0, 0
            self._rounds.pop(0)
            if not self._rounds:
                self._decide()
        return logs

    def _first_xla_call(
        self,
        execute: Callable[[Functions, Execution], Any],
        iterator: Any,
        execution: Execution,
    ) -> Any:
        """Trace and compile whole-step XLA on one batch (untimed), then go on plain.

        The batch is fetched first, so that if XLA cannot compile the step
        the plain step runs on the same batch.
        """
        optional = iterator.get_next_as_optional()
        if not bool(optional.has_value()):
            return None
        xla = self.compiled.training_xla
        refusal = _refusal(xla, optional)
        logs: Any = None
        if refusal is None:
            try:
                logs = xla.next(optional)
            except (tf.errors.InvalidArgumentError, tf.errors.UnimplementedError) as e:
                refusal = f"XLA could not compile the step: {_first_line(e)}"
        if refusal is None:
            self._rounds = ["xla", "plain"] * TRIAL_ROUNDS
        else:
            self._settle("plain", refusal)
            logs = self.compiled.training.next(optional)
        if execution.steps > 1:
            rest = Execution(execution.begin + 1, execution.end, execution.steps - 1)
            logs = execute(self.compiled.training, rest)
        return logs

    def _decide(self) -> None:
        xla = statistics.median(self._times["xla"])
        plain = statistics.median(self._times["plain"])
        self.seconds_per_step = {"xla": xla, "plain": plain}
        measured = (
            f"whole-step XLA took {xla * 1e3:.3g} ms per step, the plain step "
            f"{plain * 1e3:.3g} ms (median of {TRIAL_ROUNDS} alternating rounds "
            f"of at least {ROUND_STEPS} steps each)"
        )
        if xla <= XLA_MARGIN * plain:
            self._settle("xla", f"{measured}: XLA is faster")
        else:
            self._settle(
                "plain",
                f"{measured}: XLA is not at least {1 - XLA_MARGIN:.0%} faster",
            )

    def _settle(self, choice: Choice, reason: str) -> None:
        self.choice = choice
        self.reason = reason


def _refusal(xla: Functions, optional: Any) -> str | None:
    """Why the traced XLA step must not run (None: it may), before it compiles."""
    try:
        found = random_ops(xla.next.get_concrete_function(optional))
    except (tf.errors.OpError, ValueError, TypeError) as error:
        return f"XLA could not compile the step: {_first_line(error)}"
    if found:
        return (
            f"the step draws random numbers ({', '.join(found)}), which XLA "
            f"draws differently: results would no longer match model.fit"
        )
    return None


def _timed(
    execute: Callable[[Functions, Execution], Any],
    functions: Functions,
    execution: Execution,
) -> tuple[Any, float]:
    # A compiled call on the host returns when its work is done, so the wall
    # time of the call is the time of its steps.
    start = time.perf_counter()
    logs = execute(functions, execution)
    return logs, time.perf_counter() - start


def _first_line(error: BaseException) -> str:
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
