"""``loop="fit"``: Keras' own ``model.fit``, running the shared step.

For the duration of each call the shared `Step` is installed as the model's
``train_step`` / ``test_step`` / ``predict_step`` and the Trainer's
``steps_per_execution`` and ``jit_compile`` as the model's; afterwards the
model is exactly as it was (its own ``train_function`` and settings are put
back). Keras' compiled functions are kept per step, so a second call does not
retrace. Keras runs the epochs, the calls and the hooks: the step counts and
hook indices are its own by construction.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import keras
import tensorflow as tf

from tfstarter.training._dispatch import (
    PREDICT_BATCH_HOOKS,
    TEST_BATCH_HOOKS,
    TRAIN_BATCH_HOOKS,
)
from tfstarter.training._engine import Engine, Run

_FUNCTIONS = ("train_function", "test_function", "predict_function")
_STEPS = ("train_step", "test_step", "predict_step")


class FitLoop:
    """Runs ``fit`` / ``evaluate`` / ``predict`` through ``model.fit`` & co.

    Args:
        engine: the Trainer's engine.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.model = engine.model
        self._functions: dict[tuple[Any, ...], tuple[Any, Any, Any]] = {}

    @contextlib.contextmanager
    def _installed(self, run: Run, steps_per_execution: int) -> Iterator[None]:
        """Run ``model.fit`` & co with the shared step and the Trainer's settings."""
        model = self.model
        saved = {
            name: getattr(model, name)
            for name in (*_FUNCTIONS, "steps_per_execution", "jit_compile")
        }
        key = (run.key, steps_per_execution)
        cached = self._functions.get(key, (None, None, None))
        for name, function in zip(_FUNCTIONS, cached, strict=True):
            setattr(model, name, function)
        for name in _STEPS:
            setattr(model, name, getattr(run.step, name.removesuffix("_step")))
        model.steps_per_execution = steps_per_execution
        model.jit_compile = self.engine.xla.whole_step_always
        try:
            yield
        finally:
            self._functions[key] = tuple(getattr(model, name) for name in _FUNCTIONS)
            for name in _STEPS:
                delattr(model, name)
            for name, value in saved.items():
                setattr(model, name, value)

    def _steps_per_execution(
        self, run: Run, hooks: Sequence[str], steps_per_epoch: int | None = None
    ) -> int:
        if self.engine.strategy is not None:
            # Keras 3 model.fit fails under a tf.distribute strategy with
            # steps_per_execution > 1 (its while_loop/cond placeholders); the
            # Trainer refuses an explicit value at construction.
            return 1
        return self.engine.steps_per_execution(
            run.callbacks, hooks, steps_per_epoch=steps_per_epoch
        )

    def fit(
        self,
        run: Run,
        dataset: tf.data.Dataset,
        *,
        epochs: int,
        initial_epoch: int,
        steps_per_epoch: int | None,
        validation: tf.data.Dataset | None,
        validation_steps: int | None,
        validation_freq: int | Sequence[int],
        verbose: Any,
    ) -> keras.callbacks.History:
        """Train with ``model.fit``; return its `keras.callbacks.History`."""
        # model.fit runs validation with the same steps_per_execution, so the
        # validation hooks count as well.
        hooks = TRAIN_BATCH_HOOKS + (TEST_BATCH_HOOKS if validation is not None else ())
        steps_per_execution = self._steps_per_execution(run, hooks, steps_per_epoch)
        callbacks = run.callbacks + self.engine.guard(run)
        with self._installed(run, steps_per_execution):
            history: keras.callbacks.History = self.model.fit(
                dataset,
                epochs=epochs,
                verbose=verbose,
                callbacks=callbacks,
                validation_data=validation,
                validation_steps=validation_steps,
                validation_freq=validation_freq,
                initial_epoch=initial_epoch,
                steps_per_epoch=steps_per_epoch,
                shuffle=False,
            )
        return history

    def evaluate(
        self, run: Run, dataset: tf.data.Dataset, *, steps: int | None, verbose: Any
    ) -> dict[str, float]:
        """Evaluate with ``model.evaluate``; return its dict of results."""
        steps_per_execution = self._steps_per_execution(run, TEST_BATCH_HOOKS)
        with self._installed(run, steps_per_execution):
            results: dict[str, float] = self.model.evaluate(
                dataset,
                steps=steps,
                verbose=verbose,
                callbacks=run.callbacks,
                return_dict=True,
            )
        return results

    def predict(
        self, run: Run, dataset: tf.data.Dataset, *, steps: int | None, verbose: Any
    ) -> Any:
        """Predict with ``model.predict``; return its NumPy outputs."""
        steps_per_execution = self._steps_per_execution(run, PREDICT_BATCH_HOOKS)
        with self._installed(run, steps_per_execution):
            return self.model.predict(
                dataset, steps=steps, verbose=verbose, callbacks=run.callbacks
            )
