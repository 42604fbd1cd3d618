"""``loop="custom"``: tfstarter's own epoch loop around the compiled step.

It drives Keras' own `keras.callbacks.CallbackList` (which adds the `History`
and the `ProgbarLogger` exactly as ``fit`` does) through the same hooks, in
the same order, with the same ``logs`` as ``model.fit``:

``on_train_begin`` → per epoch: reset metrics, ``on_epoch_begin`` → per call:
``on_train_batch_begin(begin)``, run, ``on_train_batch_end(end, logs)`` → the
epoch's logs, validation (``on_test_begin`` … ``on_test_end``, keys prefixed
``val_``) → ``on_epoch_end`` → ``on_train_end``; ``model.stop_training`` is
checked after every call and every epoch.

Where it differs, it is faster without being observable: it reads batches
inside the graph, runs several steps per call when no callback listens to
the per-batch hooks, and then skips those hooks (nobody would hear them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfstarter.errors import DataError
from tfstarter.training import _compat
from tfstarter.training._callbacks import (
    PREDICT_BATCH_HOOKS,
    TEST_BATCH_HOOKS,
    TRAIN_BATCH_HOOKS,
    listens,
)
from tfstarter.training._compiled import Functions
from tfstarter.training._executions import (
    Execution,
    batch_hooks_heard,
    plan,
    resolve_steps_per_execution,
)
from tfstarter.training._inputs import endless, epoch_batches, known_batches
from tfstarter.training._options import TrainerOptions
from tfstarter.training._session import Session
from tfstarter.training._validation import should_validate


class CustomLoop:
    """Runs ``fit`` / ``evaluate`` / ``predict`` with `CompiledSteps`.

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
        self._steps_tensors: dict[int, Any] = {}

    def _distribute(self, dataset: tf.data.Dataset) -> Any:
        if self.strategy is None:
            return dataset
        return self.strategy.experimental_distribute_dataset(dataset)

    def _schedule(
        self,
        callbacks: keras.callbacks.CallbackList,
        hooks: Sequence[str],
        num_batches: int | None,
    ) -> tuple[bool, int]:
        """Return (whether any callback has the batch ``hooks``, steps per call)."""
        called = listens(callbacks.callbacks, hooks)
        if num_batches is None:
            # Data of unknown length is read one checked batch at a time.
            return called, 1
        heard = batch_hooks_heard(callbacks.callbacks, hooks)
        return called, resolve_steps_per_execution(
            self.options.steps_per_execution, heard=heard
        )

    def _execute(
        self,
        functions: Functions,
        iterator: Any,
        execution: Execution,
        num_batches: int | None,
    ) -> Any:
        """Run one call of ``execution.steps`` steps on batches of ``iterator``.

        With data of unknown length (``num_batches`` is None) the next batch
        is fetched as an optional before the compiled call, so the end of the
        data never interrupts a step half-way; None is returned at the end.
        One step runs without the loop around it.
        """
        if num_batches is None:
            optional = iterator.get_next_as_optional()
            if not bool(optional.has_value()):
                return None
            return functions.next(optional)
        if execution.steps == 1:
            return functions.single(iterator)
        steps = self._steps_tensors.get(execution.steps)
        if steps is None:
            steps = tf.constant(execution.steps, tf.int32)
            self._steps_tensors[execution.steps] = steps
        return functions.many(iterator, steps)

    def _caller(
        self, iterator: Any, num_batches: int | None
    ) -> Callable[[Functions, Execution], Any]:
        """`_execute` on ``iterator``, as a function of the forms and the call."""

        def execute(functions: Functions, execution: Execution) -> Any:
            return self._execute(functions, iterator, execution, num_batches)

        return execute

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
        """Train; return the `keras.callbacks.History` (also ``model.history``)."""
        model = self.model
        num_batches = epoch_batches(dataset, steps_per_epoch)
        if steps_per_epoch is not None:
            dataset = endless(dataset)
        callbacks = _callback_list(
            session, model, verbose, num_batches, epochs=epochs, history=True
        )
        called, steps_per_execution = self._schedule(
            callbacks, TRAIN_BATCH_HOOKS, num_batches
        )
        compiled = session.compiled()
        # Data of unknown length runs one checked batch at a time: no trial.
        trial = session.xla_trial() if num_batches is not None else None
        watch = session.step.watch if not session.terminate_on_nan else None

        model.stop_training = False
        callbacks.on_train_begin()
        training_logs: dict[str, Any] | None = None
        logs: Any = {}
        start = _compat.initial_epoch_override(model) or initial_epoch
        iterator = iter(self._distribute(dataset)) if steps_per_epoch else None
        for epoch in range(start, epochs):
            model.reset_metrics()
            if watch is not None:
                watch.reset()
            callbacks.on_epoch_begin(epoch)
            if steps_per_epoch is None:
                iterator = iter(self._distribute(dataset))
            execute = self._caller(iterator, num_batches)
            for execution in plan(num_batches, steps_per_execution):
                if called:
                    callbacks.on_train_batch_begin(execution.begin)
                if trial is None or num_batches is None:
                    step_logs = self._execute(
                        compiled.training, iterator, execution, num_batches
                    )
                else:
                    step_logs = trial.run(
                        execute,
                        iterator,
                        execution,
                        last=execution.end == num_batches - 1,
                        steps_left=(epochs - epoch) * num_batches - execution.begin,
                    )
                if step_logs is None:
                    break
                logs = step_logs
                if called:
                    callbacks.on_train_batch_end(execution.end, logs)
                if watch is not None:
                    watch.check_logs(logs, epoch=epoch, batch=execution.end)
                if model.stop_training:
                    break
            epoch_logs = _compat.metrics_result_or_logs(model, logs)
            if validation is not None and should_validate(epoch, validation_freq):
                val_logs = self.evaluate(
                    session,
                    validation,
                    callbacks=callbacks,
                    verbose=verbose,
                )
                epoch_logs.update(
                    {f"val_{name}": value for name, value in val_logs.items()}
                )
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if model.stop_training:
                break
        if isinstance(model.optimizer, keras.optimizers.Optimizer) and epochs > 0:
            model.optimizer.finalize_variable_values(model.trainable_weights)
        callbacks.on_train_end(logs=training_logs)
        history: keras.callbacks.History = model.history
        return history

    def evaluate(
        self,
        session: Session,
        dataset: tf.data.Dataset,
        *,
        callbacks: keras.callbacks.CallbackList | None = None,
        verbose: Any = "auto",
    ) -> dict[str, float]:
        """Evaluate; return the metric values as floats, keys sorted."""
        model = self.model
        num_batches = known_batches(dataset)
        if num_batches == -1:
            num_batches = epoch_batches(dataset, None)
        if callbacks is None:
            callbacks = _callback_list(session, model, verbose, num_batches)
        called, steps_per_execution = self._schedule(
            callbacks, TEST_BATCH_HOOKS, num_batches
        )
        compiled = session.compiled()
        model.stop_evaluating = False
        callbacks.on_test_begin()
        logs: Any = {}
        model.reset_metrics()
        iterator = iter(self._distribute(dataset))
        for execution in plan(num_batches, steps_per_execution):
            if called:
                callbacks.on_test_batch_begin(execution.begin)
            step_logs = self._execute(
                compiled.testing, iterator, execution, num_batches
            )
            if step_logs is None:
                break
            logs = step_logs
            if called:
                callbacks.on_test_batch_end(execution.end, logs)
            if model.stop_evaluating:
                break
        results = _pythonify(_compat.metrics_result_or_logs(model, logs))
        callbacks.on_test_end(results)
        return results

    def predict(
        self,
        session: Session,
        dataset: tf.data.Dataset,
        *,
        verbose: Any = "auto",
    ) -> Any:
        """Predict; return NumPy outputs in the structure of the model's outputs."""
        model = self.model
        num_batches = epoch_batches(dataset, None)
        callbacks = _callback_list(session, model, verbose, num_batches)
        called, steps_per_execution = self._schedule(
            callbacks, PREDICT_BATCH_HOOKS, num_batches
        )
        compiled = session.compiled()
        model.stop_predicting = False
        callbacks.on_predict_begin()
        outputs: list[Any] = []
        iterator = iter(self._distribute(dataset))
        for execution in plan(num_batches, steps_per_execution):
            if called:
                callbacks.on_predict_batch_begin(execution.begin)
            batch_outputs = self._execute(
                compiled.predicting, iterator, execution, num_batches
            )
            if batch_outputs is None:
                break
            outputs.append(batch_outputs)
            if called:
                callbacks.on_predict_batch_end(
                    execution.end, {"outputs": batch_outputs}
                )
            if model.stop_predicting:
                break
        callbacks.on_predict_end()
        if not outputs:
            raise DataError(
                "the data to predict on yielded no batches; pass some data."
            )
        return tf.nest.map_structure(
            lambda *parts: np.concatenate([np.asarray(p) for p in parts], axis=0),
            *outputs,
        )


def _callback_list(
    session: Session,
    model: Any,
    verbose: Any,
    steps: int | None,
    *,
    epochs: int = 1,
    history: bool = False,
) -> keras.callbacks.CallbackList:
    """Wrap the user's callbacks in Keras' own `CallbackList`.

    Keras adds the `History` and the progress bar to it exactly as ``fit``,
    ``evaluate`` and ``predict`` do.
    """
    return keras.callbacks.CallbackList(
        session.callbacks,
        add_history=history,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
        model=model,
    )


def _pythonify(logs: dict[str, Any]) -> dict[str, Any]:
    """Logs as ``evaluate(return_dict=True)`` returns them: sorted, floats."""
    result: dict[str, Any] = {}
    for name, value in sorted(logs.items()):
        try:
            result[name] = float(np.asarray(value))
        except (TypeError, ValueError):
            result[name] = value
    return result
