"""What one ``fit`` / ``evaluate`` / ``predict`` call runs with.

`Engines` keeps the per-batch `Step` (and, for the custom loop, its
`CompiledSteps`) for the life of a Trainer, so later calls reuse the traces.
A new one is made only when the model is recompiled or callbacks start (or
stop) asking for gradients, since both change what the step computes.
`Session` bundles, for one call, the callbacks to run and the step to run.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import keras

from tfstarter.training import _compat
from tfstarter.training._callbacks import listens
from tfstarter.training._compiled import CompiledSteps
from tfstarter.training._gradient_probe import GradientHookDispatcher, GradientProbe
from tfstarter.training._non_finite import NonFiniteWatch
from tfstarter.training._options import TrainerOptions
from tfstarter.training._step import Step
from tfstarter.training._xla_trial import XlaTrial
from tfstarter.training._xla_update import XlaUpdate, xla_update_unavailable

ProbeMode = Literal["off", "norm", "values"]


def probe_mode(callbacks: Sequence[Any]) -> ProbeMode:
    """What the callbacks need recorded from the step's gradients.

    Examples:
        >>> probe_mode([keras.callbacks.History()])
        'off'
    """
    if listens(callbacks, ("on_gradients",)):
        return "values"
    if listens(callbacks, ("on_gradient_norm",)):
        return "norm"
    return "off"


class Engines:
    """The Trainer's steps (and compiled functions), one per probe mode and compile.

    Args:
        model: the compiled model.
        options: the Trainer's options.
        strategy: a `tf.distribute.Strategy`, or ``None``.
    """

    def __init__(
        self, model: Any, options: TrainerOptions, strategy: Any = None
    ) -> None:
        self.model = model
        self.options = options
        self.strategy = strategy
        self._steps: dict[tuple[Any, ...], Step] = {}
        self._compiled: dict[tuple[Any, ...], CompiledSteps] = {}
        self._trials: dict[tuple[Any, ...], XlaTrial] = {}
        self.last_trial: XlaTrial | None = None

    def _scope(self) -> Any:
        if self.strategy is None:
            return contextlib.nullcontext()
        return self.strategy.scope()

    def _key(self, mode: ProbeMode) -> tuple[Any, ...]:
        return (mode, _compat.compile_token(self.model))

    def step(self, mode: ProbeMode) -> Step:
        """The shared step for this probe mode (made on first use)."""
        key = self._key(mode)
        if key not in self._steps:
            probe = None
            if mode != "off":
                with self._scope():
                    probe = GradientProbe(
                        self.model.trainable_variables, keep_values=mode == "values"
                    )
            watch = None
            if self.options.on_non_finite == "raise":
                with self._scope():
                    watch = NonFiniteWatch()
            self._steps[key] = Step(
                self.model, probe=probe, watch=watch, xla_update=self._xla_update()
            )
        return self._steps[key]

    def _xla_update(self) -> XlaUpdate | None:
        """The XLA-compiled update under ``jit_compile="auto"``, where it is safe."""
        if self.options.jit_compile != "auto" or self.update_unavailable():
            return None
        return XlaUpdate(self.model.optimizer)

    def update_unavailable(self) -> str | None:
        """Why the weight update is not XLA-compiled on its own (None: it is)."""
        optimizer = self.model.optimizer
        if optimizer is None:
            return "the model has no optimizer"
        return xla_update_unavailable(optimizer, self.strategy)

    def compiled(self, mode: ProbeMode) -> CompiledSteps:
        """The custom loop's compiled functions around ``step(mode)``."""
        key = self._key(mode)
        if key not in self._compiled:
            self._compiled[key] = CompiledSteps(
                self.step(mode),
                jit_compile=self.options.jit_compile is True,
                strategy=self.strategy,
            )
        return self._compiled[key]

    def whole_step_unavailable(self) -> str | None:
        """Why ``jit_compile="auto"`` will not try whole-step XLA (None: it may)."""
        if self.strategy is not None:
            return "the step runs under a tf.distribute strategy"
        return _compat.jit_unsupported_reason(self.model)

    def trial(self, mode: ProbeMode) -> XlaTrial | None:
        """The custom loop's whole-step XLA trial for this probe mode (auto only)."""
        if self.options.jit_compile != "auto":
            return None
        key = self._key(mode)
        if key not in self._trials:
            self._trials[key] = XlaTrial(
                self.compiled(mode), reason=self.whole_step_unavailable()
            )
        self.last_trial = self._trials[key]
        return self.last_trial

    def trace_counts(self) -> dict[str, int]:
        """How often each step was traced: train, test, predict, and update.

        ``"update"`` counts the traces of the XLA-compiled weight update.
        """
        total: Counter[str] = Counter()
        for step in self._steps.values():
            total.update(step.trace_counts)
            if step.xla_update is not None:
                total["update"] += step.xla_update.trace_count
        return {name: total[name] for name in ("train", "test", "predict", "update")}


@dataclass
class Session:
    """The callbacks and the step of one call.

    Attributes:
        callbacks: the user's callbacks, then the gradient-hook dispatcher when
            a callback asks for gradients.
        step: the shared per-batch step to run.
        mode: the probe mode of ``step``.
        terminate_on_nan: whether the user passed
            `keras.callbacks.TerminateOnNaN`, which then owns NaN handling.
    """

    engines: Engines
    callbacks: list[Any]
    mode: ProbeMode
    step: Step
    terminate_on_nan: bool = field(default=False)

    @classmethod
    def open(
        cls, engines: Engines, user_callbacks: Sequence[Any], *, training: bool
    ) -> Session:
        """Make the session for a call with ``user_callbacks``."""
        mode = probe_mode(user_callbacks) if training else "off"
        step = engines.step(mode)
        callbacks = list(user_callbacks)
        if step.probe is not None:
            callbacks.append(GradientHookDispatcher(step.probe, user_callbacks))
        terminate = any(
            isinstance(cb, keras.callbacks.TerminateOnNaN) for cb in user_callbacks
        )
        return cls(
            engines=engines,
            callbacks=callbacks,
            mode=mode,
            step=step,
            terminate_on_nan=terminate,
        )

    def compiled(self) -> CompiledSteps:
        """The custom loop's compiled functions for this session's step."""
        return self.engines.compiled(self.mode)

    def xla_trial(self) -> XlaTrial | None:
        """The whole-step XLA trial for this session's step (``"auto"`` only)."""
        return self.engines.trial(self.mode)
