"""The engine: strategy scope, the per-batch step, and the cache of compiled functions.

One `Engine` lives as long as its `Trainer`. For each call of ``fit``,
``evaluate`` or ``predict`` it makes a `Run`: the callbacks to drive (the
user's, plus tfstarter's internal ones) and the shared `Step` to run. Steps
and the custom loop's compiled functions are cached per kind of run — which
gradients callbacks ask for, whether the NaN guard is on, and the model's
``compile()`` — so later calls reuse their traces. It also decides how many
steps one compiled call runs, and asks the `XlaPolicy` what XLA compiles.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import keras

from tfstarter.training import _compat
from tfstarter.training._compiled import Functions, one_step
from tfstarter.training._dispatch import batch_hooks_heard, listens
from tfstarter.training._epoch_iterator import Passes
from tfstarter.training._gradient_probe import GradientHookDispatcher, GradientProbe
from tfstarter.training._non_finite import NonFiniteGuard, NonFiniteWatch
from tfstarter.training._options import AUTO_STEPS_PER_EXECUTION, TrainerOptions
from tfstarter.training._step import Step
from tfstarter.training._xla import WholeStep, XlaPolicy

ProbeMode = Literal["off", "norm", "values"]
_GRADIENT_HOOKS = ("on_gradient_norm", "on_gradients")


def probe_mode(callbacks: Sequence[Any]) -> ProbeMode:
    """What the callbacks need recorded from the step's gradients.

    Examples:
        >>> probe_mode([keras.callbacks.History()])
        'off'
    """
    if any(listens(cb, "on_gradients") for cb in callbacks):
        return "values"
    if any(listens(cb, "on_gradient_norm") for cb in callbacks):
        return "norm"
    return "off"


def auto_steps_per_execution(
    steps_per_epoch: int | None,
    backup_every: int | None = None,
    *,
    passes: Sequence[Passes] = (),
) -> int:
    """Steps per call when nobody listens: at most `AUTO_STEPS_PER_EXECUTION`.

    Several steps per call must train exactly as one does (the model's
    default): under ``steps_per_epoch`` it divides the epoch, so that no call
    runs past the epoch's end (Keras' calls always run
    ``steps_per_execution`` steps while data is left), and for each of
    ``passes`` (the data the call reads) it keeps one step per call's plan
    (`Passes.same_with`: the same batches, the same "ran out of data"
    warnings). With backups every ``N`` batches it divides ``N`` too, so
    that each backup is written exactly there.

    Examples:
        >>> auto_steps_per_execution(None), auto_steps_per_execution(100)
        (32, 25)
        >>> auto_steps_per_execution(37), auto_steps_per_execution(None, 100)
        (1, 25)
        >>> auto_steps_per_execution(40, 100)
        20
        >>> auto_steps_per_execution(None, passes=[Passes(steps=7, batches=5)])
        1
    """
    every = [Passes(steps_per_epoch, -1), Passes(backup_every, -1), *passes]
    return max(
        n
        for n in range(1, AUTO_STEPS_PER_EXECUTION + 1)
        if all(p.same_with(n) for p in every)
    )


@dataclass
class Compiled:
    """The custom loop's compiled train / test / predict forms of one step."""

    train: WholeStep
    test: Functions
    predict: Functions


@dataclass
class Run:
    """What one call of ``fit`` / ``evaluate`` / ``predict`` runs.

    Attributes:
        callbacks: the user's callbacks, then tfstarter's internal ones (the
            gradient-hook dispatcher; in the fit loop, the NaN guard).
        user_callbacks: the user's callbacks alone.
        step: the shared per-batch step.
        key: the cache key of ``step`` and its compiled functions.
        watch: the NaN guard's record, or ``None`` (guard off).
    """

    callbacks: list[Any]
    user_callbacks: list[Any]
    step: Step
    key: tuple[Any, ...]
    watch: NonFiniteWatch | None


class Engine:
    """The Trainer's engine (see the module).

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
        self.xla = XlaPolicy(model, options.jit_compile, options.loop, strategy)
        self._steps: dict[tuple[Any, ...], Step] = {}
        self._compiled: dict[tuple[Any, ...], Compiled] = {}

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """The strategy's scope, if there is one."""
        if self.strategy is None:
            yield
            return
        with self.strategy.scope():
            yield

    def build(self, element_spec: Any) -> None:
        """Create every variable before anything is traced (compiled models)."""
        if not self.model.compiled:
            return
        with self.scope():
            _compat.build_from_spec(self.model, element_spec)

    def run(self, user_callbacks: Sequence[Any], *, training: bool) -> Run:
        """The callbacks and the step of one call."""
        mode: ProbeMode = probe_mode(user_callbacks) if training else "off"
        # evaluate and predict share the step of a plain fit (the guard only
        # changes the train step), so they reuse its traced test and predict.
        guarded = self.options.on_non_finite == "raise" and not (
            training
            and any(
                isinstance(cb, keras.callbacks.TerminateOnNaN) for cb in user_callbacks
            )
        )
        key = (mode, guarded, _compat.compile_token(self.model))
        step = self._steps.get(key)
        if step is None:
            step = self._steps[key] = self._make_step(mode, guarded)
        callbacks = list(user_callbacks)
        if step.probe is not None:
            callbacks.append(GradientHookDispatcher(step.probe, user_callbacks))
        return Run(
            callbacks, list(user_callbacks), step, key, step.watch if training else None
        )

    def _make_step(self, mode: ProbeMode, guarded: bool) -> Step:
        model = self.model
        with self.scope():
            probe = (
                GradientProbe(model.trainable_variables, keep_values=mode == "values")
                if mode != "off"
                else None
            )
            watch = (
                NonFiniteWatch(
                    model.weights,
                    check_gradients=not isinstance(
                        getattr(model, "optimizer", None),
                        keras.optimizers.LossScaleOptimizer,
                    ),
                )
                if guarded
                else None
            )
        return Step(model, probe=probe, watch=watch, xla_update=self.xla.update())

    def guard(self, run: Run) -> list[Any]:
        """The fit loop's NaN-guard callback for ``run``, if the guard is on."""
        return [NonFiniteGuard(run.watch)] if run.watch is not None else []

    def steps_per_execution(
        self,
        callbacks: Sequence[Any],
        hooks: Sequence[str],
        *,
        passes: Sequence[Passes] = (),
        backup_every: int | None = None,
    ) -> int:
        """Steps per compiled call for a run whose callbacks may hear ``hooks``.

        An explicit option (on the Trainer, or the model's own
        ``compile(steps_per_execution=N)``) is used as given, with Keras'
        meaning. ``"auto"`` runs one step per call when a callback listens to
        the batch hooks (or to the gradient hooks), else up to
        `AUTO_STEPS_PER_EXECUTION`, as many as read ``passes`` (the data of
        the call, and of its validation) as one step per call does (see
        `auto_steps_per_execution`).
        """
        option = self.options.steps_per_execution
        if option != "auto":
            return int(option)
        own = _compat.steps_per_execution_set_on(self.model)
        if own is not None:
            return own
        gradients = any(listens(cb, h) for cb in callbacks for h in _GRADIENT_HOOKS)
        if gradients or batch_hooks_heard(callbacks, hooks):
            return 1
        return auto_steps_per_execution(None, backup_every, passes=passes)

    def compiled(self, run: Run) -> Compiled:
        """The custom loop's compiled functions for ``run``'s step."""
        compiled = self._compiled.get(run.key)
        if compiled is None:
            compiled = self._compiled[run.key] = self._compile(run.step)
        self.xla.noted(compiled.train)
        return compiled

    def _compile(self, step: Step) -> Compiled:
        whole = self.xla.whole_step_always
        strategy = self.strategy

        def train(jit: bool) -> Functions:
            return Functions(one_step(step.train, jit_compile=jit, strategy=strategy))

        return Compiled(
            train=self.xla.whole_step(train(whole), lambda: train(True)),
            test=Functions(one_step(step.test, jit_compile=whole, strategy=strategy)),
            predict=Functions(
                one_step(
                    step.predict,
                    jit_compile=whole,
                    strategy=strategy,
                    reduction="concat",
                ),
                collect=True,
            ),
        )

    def trace_counts(self) -> dict[str, int]:
        """How often each step was traced: train, test, predict, and update."""
        total: Counter[str] = Counter()
        for step in self._steps.values():
            total.update(step.trace_counts)
            if step.xla_update is not None:
                total["update"] += step.xla_update.trace_count
        return {name: total[name] for name in ("train", "test", "predict", "update")}
