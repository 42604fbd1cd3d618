"""``loop="custom"``: tfstarter's own epoch loop around the compiled step.

It drives Keras' own `keras.callbacks.CallbackList` through the hooks of
``model.fit``, in its order, with its ``logs``, and reads each epoch top to
bottom:

``on_train_begin`` → per epoch: reset the metrics, ``on_epoch_begin`` → per
call: ``on_train_batch_begin(call.begin)``, ``logs = train(iterator, call)``,
``on_train_batch_end(call.end, logs)`` → validation (``on_test_*``, keys
prefixed ``val_``) → ``on_epoch_end`` → ``on_train_end``.

The `EpochIterator` says which calls an epoch makes (with Keras' step counts
and hook indices); the engine's compiled functions run them, several steps
per call where no callback can notice, reading batches inside the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfstarter.errors import DataError
from tfstarter.training import _compat
from tfstarter.training._backup_plan import BackupPlan, position_of
from tfstarter.training._dispatch import (
    PREDICT_BATCH_HOOKS,
    TEST_BATCH_HOOKS,
    TRAIN_BATCH_HOOKS,
    callback_list,
)
from tfstarter.training._engine import Engine, Run
from tfstarter.training._epoch_iterator import EpochIterator, Passes
from tfstarter.training._validation import should_validate


class CustomLoop:
    """Runs ``fit`` / ``evaluate`` / ``predict`` with the engine's compiled functions.

    Args:
        engine: the Trainer's engine.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.model = engine.model

    def _iterator(self, dataset: tf.data.Dataset) -> Any:
        strategy = self.engine.strategy
        if strategy is None:
            return iter(dataset)
        return iter(strategy.experimental_distribute_dataset(dataset))

    def _epochs(
        self,
        run: Run,
        dataset: tf.data.Dataset,
        hooks: Sequence[str],
        steps_per_epoch: int | None,
        backup_every: int | None = None,
        *,
        carries_over: bool = False,
    ) -> EpochIterator:
        passes = Passes.of(dataset, steps_per_epoch, carries_over=carries_over)
        steps_per_execution = self.engine.steps_per_execution(
            run.callbacks, hooks, passes=[passes], backup_every=backup_every
        )
        return EpochIterator(
            dataset, steps_per_epoch, steps_per_execution, self._iterator
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
        backups: BackupPlan | None = None,
        callbacks: keras.callbacks.CallbackList | None = None,
        finish: bool = True,
    ) -> keras.callbacks.History:
        """Train; return the `keras.callbacks.History` (also ``model.history``).

        With ``backups``, a backup of this run found in its folder is resumed
        from (the epoch, the batch, every variable, the data stream and the
        callbacks' state), and new backups are written as the plan says.
        ``callbacks`` (a prepared `CallbackList`) and ``finish=False`` let
        the fit loop run a resumed epoch's rest here and go on in
        ``model.fit``.
        """
        model = self.model
        epochs = _compat.capped_epochs(epochs)
        every = backups.every if backups is not None else None
        epoch_iterator = self._epochs(
            run,
            dataset,
            TRAIN_BATCH_HOOKS,
            steps_per_epoch,
            every if isinstance(every, int) else None,
            carries_over=True,
        )
        validation_iterator = (
            self._epochs(run, validation, TEST_BATCH_HOOKS, validation_steps)
            if validation is not None
            else None
        )
        if callbacks is None:
            callbacks = callback_list(
                run.callbacks,
                model,
                verbose=verbose,
                steps=epoch_iterator.num_batches,
                epochs=epochs,
                history=True,
            )
        compiled = self.engine.compiled(run)
        watch = run.watch
        restored = backups.load() if backups is not None else None

        model.stop_training = False
        callbacks.on_train_begin()
        start = _compat.initial_epoch_override(model) or initial_epoch
        per_epoch = epoch_iterator.num_batches or 0
        # The whole run's length (not what is left of it), so that a resumed
        # run makes the same XLA choice as the run it resumes.
        train = compiled.train.function(epoch_iterator, epochs * per_epoch)
        trained = 0
        resume_at = 0
        if restored is not None:
            position = restored.position
            start, resume_at, trained = position.epoch, position.batch, position.trained
            epoch_iterator.restore(
                iterators=position.iterators,
                read=position.read,
                seen=position.seen,
                held=position.held,
                batch=position.batch,
            )
            if resume_at == 0:
                restored.apply(callbacks.callbacks)
        training_logs: dict[str, Any] | None = None
        logs: Any = {}
        for epoch in range(start, epochs):
            model.reset_metrics()
            if watch is not None:
                watch.reset(resume_at)
            callbacks.on_epoch_begin(epoch)
            if resume_at and restored is not None:
                # Mid-epoch: the hooks of the epoch's start ran as they did
                # then; now every variable and callback goes back to how the
                # backup found them (the metrics' running state included).
                restored.apply(callbacks.callbacks)
                # A backup taken after the epoch's last train call (a stop
                # during validation) leaves no call to run: the epoch's
                # training logs are then the restored metrics' results.
                logs = dict(model.get_metrics_result())
            resume_at = 0
            for call, iterator in epoch_iterator.epoch():
                callbacks.on_train_batch_begin(call.begin)
                step_logs = train(iterator, call)
                if step_logs is None:
                    epoch_iterator.ran_out()
                    break
                logs = step_logs
                tripped = watch is not None and watch.take(logs)
                callbacks.on_train_batch_end(call.end, logs)
                if tripped and watch is not None:
                    watch.check(epoch)
                trained += call.steps or 0
                if backups is not None:
                    done = call.begin + (call.steps or 0)
                    backups.after_call(
                        position_of(
                            epoch_iterator, epoch=epoch, batch=done, trained=trained
                        ),
                        callbacks.callbacks,
                    )
                if model.stop_training:
                    break
            epoch_logs = _compat.metrics_result_or_logs(model, logs)
            if validation_iterator is not None and should_validate(
                epoch, validation_freq
            ):
                validation_iterator.reset()
                val_logs = self._evaluate(run, validation_iterator, callbacks)
                epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, epoch_logs)
            training_logs = epoch_logs
            if backups is not None:
                backups.after_epoch(
                    position_of(
                        epoch_iterator, epoch=epoch + 1, batch=0, trained=trained
                    ),
                    callbacks.callbacks,
                )
            if model.stop_training:
                break
        if finish:
            if isinstance(model.optimizer, keras.optimizers.Optimizer) and epochs > 0:
                model.optimizer.finalize_variable_values(model.trainable_weights)
            callbacks.on_train_end(logs=training_logs)
        history: keras.callbacks.History = model.history
        return history

    def evaluate(
        self, run: Run, dataset: tf.data.Dataset, *, steps: int | None, verbose: Any
    ) -> dict[str, float]:
        """Evaluate; return the metric values as floats, keys sorted."""
        epoch_iterator = self._epochs(run, dataset, TEST_BATCH_HOOKS, steps)
        callbacks = callback_list(
            run.callbacks, self.model, verbose=verbose, steps=epoch_iterator.num_batches
        )
        return self._evaluate(run, epoch_iterator, callbacks)

    def _evaluate(
        self,
        run: Run,
        epoch_iterator: EpochIterator,
        callbacks: keras.callbacks.CallbackList,
    ) -> dict[str, float]:
        model = self.model
        test = self.engine.compiled(run).test
        model.stop_evaluating = False
        callbacks.on_test_begin()
        logs: Any = {}
        model.reset_metrics()
        for call, iterator in epoch_iterator.epoch():
            callbacks.on_test_batch_begin(call.begin)
            step_logs = test(iterator, call)
            if step_logs is None:
                epoch_iterator.ran_out()
                break
            logs = step_logs
            callbacks.on_test_batch_end(call.end, logs)
            if model.stop_evaluating:
                break
        results = _pythonify(_compat.metrics_result_or_logs(model, logs))
        callbacks.on_test_end(results)
        return results

    def predict(
        self, run: Run, dataset: tf.data.Dataset, *, steps: int | None, verbose: Any
    ) -> Any:
        """Predict; return NumPy outputs in the structure of the model's outputs."""
        model = self.model
        epoch_iterator = self._epochs(run, dataset, PREDICT_BATCH_HOOKS, steps)
        callbacks = callback_list(
            run.callbacks, model, verbose=verbose, steps=epoch_iterator.num_batches
        )
        predict = self.engine.compiled(run).predict
        model.stop_predicting = False
        callbacks.on_predict_begin()
        outputs: list[Any] = []
        for call, iterator in epoch_iterator.epoch():
            callbacks.on_predict_batch_begin(call.begin)
            batch_outputs = predict(iterator, call)
            if batch_outputs is None:
                epoch_iterator.ran_out()
                break
            outputs.append(batch_outputs)
            callbacks.on_predict_batch_end(call.end, {"outputs": batch_outputs})
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


def _pythonify(logs: dict[str, Any]) -> dict[str, Any]:
    """Logs as ``evaluate(return_dict=True)`` returns them: sorted, floats."""
    result: dict[str, Any] = {}
    for name, value in sorted(logs.items()):
        try:
            result[name] = float(np.asarray(value))
        except (TypeError, ValueError):
            result[name] = value
    return result
