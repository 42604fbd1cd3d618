"""``loop="fit"``: Keras' own ``model.fit``, running the shared step.

For the duration of each call the shared `Step` is installed as the model's
``train_step`` / ``test_step`` / ``predict_step`` and the Trainer's
``steps_per_execution`` and ``jit_compile`` as the model's; afterwards the
model is exactly as it was (its own ``train_function`` and settings are put
back). Keras' compiled functions are kept per step, so a second call does not
retrace.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any

import keras
import tensorflow as tf

from tfstarter.training._callbacks import (
    PREDICT_BATCH_HOOKS,
    TEST_BATCH_HOOKS,
    TRAIN_BATCH_HOOKS,
)
from tfstarter.training._executions import (
    batch_hooks_heard,
    resolve_steps_per_execution,
)
from tfstarter.training._inputs import endless, epoch_batches
from tfstarter.training._non_finite import NonFiniteGuard
from tfstarter.training._options import TrainerOptions
from tfstarter.training._session import Session

_FUNCTIONS = ("train_function", "test_function", "predict_function")
_STEPS = ("train_step", "test_step", "predict_step")


class FitLoop:
    """Runs ``fit`` / ``evaluate`` / ``predict`` through ``model.fit`` & co.

    Args:
        model: the compiled model.
        options: the Trainer's options.
    """

    def __init__(
        self, model: Any, options: TrainerOptions, strategy: Any = None
    ) -> None:
        self.model = model
        self.options = options
        self.strategy = strategy
        self._functions: dict[tuple[int, int], tuple[Any, Any, Any]] = {}

    @contextlib.contextmanager
    def _installed(self, session: Session, steps_per_execution: int) -> Iterator[None]:
        """Run ``model.fit`` & co with the shared step and the Trainer's settings."""
        model = self.model
        saved = {
            name: getattr(model, name)
            for name in (*_FUNCTIONS, "steps_per_execution", "jit_compile")
        }
        key = (id(session.step), steps_per_execution)
        cached = self._functions.get(key, (None, None, None))
        for name, function in zip(_FUNCTIONS, cached, strict=True):
            setattr(model, name, function)
        for name in _STEPS:
            setattr(model, name, getattr(session.step, name.removesuffix("_step")))
        model.steps_per_execution = steps_per_execution
        model.jit_compile = self.options.jit_compile is True
        try:
            yield
        finally:
            self._functions[key] = tuple(getattr(model, name) for name in _FUNCTIONS)
            for name in _STEPS:
                delattr(model, name)
            for name, value in saved.items():
                setattr(model, name, value)

    def _steps_per_execution(self, heard: bool) -> int:
        if self.strategy is not None:
            # Keras 3 model.fit fails under a tf.distribute strategy with
            # steps_per_execution > 1 (its while_loop/cond placeholders); the
            # Trainer refuses an explicit value at construction.
            return 1
        return resolve_steps_per_execution(
            self.options.steps_per_execution, heard=heard
        )

    @staticmethod
    def _heard(session: Session, hooks: Sequence[str]) -> bool:
        return batch_hooks_heard(session.callbacks, hooks)

    def fit(
        self,
        session: Session,
        dataset: tf.data.Dataset,
        *,
        epochs: int,
        initial_epoch: int,
        steps_per_epoch: int | None,
        validation: tf.data.Dataset | None,
        validation_freq: int | Sequence[int],
        verbose: Any,
    ) -> keras.callbacks.History:
        """Train with ``model.fit``; return its `keras.callbacks.History`."""
        epoch_batches(dataset, steps_per_epoch)  # refuses endless data without it
        if steps_per_epoch is not None:
            dataset = endless(dataset)
        heard = self._heard(session, TRAIN_BATCH_HOOKS)
        steps_per_execution = self._steps_per_execution(heard)
        callbacks = list(session.callbacks)
        if session.step.watch is not None and not session.terminate_on_nan:
            callbacks.append(NonFiniteGuard(session.step.watch))
        with self._installed(session, steps_per_execution):
            history: keras.callbacks.History = self.model.fit(
                dataset,
                epochs=epochs,
                verbose=verbose,
                callbacks=callbacks,
                validation_data=validation,
                validation_freq=validation_freq,
                initial_epoch=initial_epoch,
                steps_per_epoch=steps_per_epoch,
                shuffle=False,
            )
        return history

    def evaluate(
        self, session: Session, dataset: tf.data.Dataset, *, verbose: Any
    ) -> dict[str, float]:
        """Evaluate with ``model.evaluate``; return its dict of results."""
        epoch_batches(dataset, None)  # refuses endless data
        heard = self._heard(session, TEST_BATCH_HOOKS)
        steps_per_execution = self._steps_per_execution(heard)
        with self._installed(session, steps_per_execution):
            results: dict[str, float] = self.model.evaluate(
                dataset, verbose=verbose, callbacks=session.callbacks, return_dict=True
            )
        return results

    def predict(
        self, session: Session, dataset: tf.data.Dataset, *, verbose: Any
    ) -> Any:
        """Predict with ``model.predict``; return its NumPy outputs."""
        epoch_batches(dataset, None)  # refuses endless data
        heard = self._heard(session, PREDICT_BATCH_HOOKS)
        steps_per_execution = self._steps_per_execution(heard)
        with self._installed(session, steps_per_execution):
            return self.model.predict(
                dataset, verbose=verbose, callbacks=session.callbacks
            )
