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

from tfstarter.training import _compat
from tfstarter.training._backup import Position, Restored
from tfstarter.training._backup_plan import BackupPlan
from tfstarter.training._custom_loop import CustomLoop
from tfstarter.training._dispatch import (
    PREDICT_BATCH_HOOKS,
    TEST_BATCH_HOOKS,
    TRAIN_BATCH_HOOKS,
)
from tfstarter.training._engine import Engine, Run
from tfstarter.training._epoch_iterator import Passes
from tfstarter.training._non_finite import NonFiniteWatch

_FUNCTIONS = ("train_function", "test_function", "predict_function")
_STEPS = ("train_step", "test_step", "predict_step")


def _taking_flag(function: Any, watch: NonFiniteWatch) -> Any:
    """Keras' ``train_function``, with the NaN guard's flag taken from its logs.

    ``model.fit`` hands a call's logs to the hooks as they come; the flag
    must not reach them (their logs are plain ``fit``'s), and `NonFiniteGuard`
    reads it from the watch.
    """

    def train_function(iterator: Any) -> Any:
        logs = function(iterator)
        watch.take(logs)
        return logs

    return train_function


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
        multi_worker = _compat.multi_worker(self.engine.strategy)
        for name in _STEPS:
            step = getattr(run.step, name.removesuffix("_step"))
            if multi_worker and name != "predict_step":
                step = _rank_one_logs(step)
            setattr(model, name, step)
        model.steps_per_execution = steps_per_execution
        model.jit_compile = self.engine.xla.whole_step_always
        forgotten = (
            _compat.strategy_forgotten(model)
            if multi_worker
            else contextlib.nullcontext()
        )
        try:
            with forgotten:
                if run.watch is not None and model.train_function is None:
                    model.make_train_function()
                    model.train_function = _taking_flag(model.train_function, run.watch)
                yield
        finally:
            self._functions[key] = tuple(getattr(model, name) for name in _FUNCTIONS)
            for name in _STEPS:
                delattr(model, name)
            for name, value in saved.items():
                setattr(model, name, value)

    def _steps_per_execution(
        self,
        run: Run,
        hooks: Sequence[str],
        passes: Sequence[Passes],
        backup_every: int | None = None,
    ) -> int:
        if self.engine.strategy is not None:
            # Keras 3 model.fit fails under a tf.distribute strategy with
            # steps_per_execution > 1 (its while_loop/cond placeholders); the
            # Trainer refuses an explicit value at construction.
            return 1
        return self.engine.steps_per_execution(
            run.callbacks, hooks, passes=passes, backup_every=backup_every
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
    ) -> keras.callbacks.History:
        """Train with ``model.fit``; return its `keras.callbacks.History`.

        With ``backups``: a backup taken at the end of an epoch resumes in
        ``model.fit`` itself (``initial_epoch``, the data's earlier epochs
        drawn again so the next one gets its own order); one taken inside an
        epoch runs the rest of that epoch with the custom loop's machinery
        (the same step, hooks and validation) and goes on in ``model.fit``.
        """
        # model.fit runs validation with the same steps_per_execution, so the
        # validation hooks and data count as well.
        hooks = TRAIN_BATCH_HOOKS + (TEST_BATCH_HOOKS if validation is not None else ())
        passes = [Passes.of(dataset, steps_per_epoch)]
        if validation is not None:
            passes.append(Passes.of(validation, validation_steps, carries_over=False))
        every = backups.every if backups is not None else None
        steps_per_execution = self._steps_per_execution(
            run, hooks, passes, every if isinstance(every, int) else None
        )
        if backups is None:
            callbacks: Any = run.callbacks + self.engine.guard(run)
            initial = initial_epoch
        else:
            callbacks, initial = self._resume(
                run,
                dataset,
                backups,
                epochs=epochs,
                initial_epoch=initial_epoch,
                validation=validation,
                validation_steps=validation_steps,
                validation_freq=validation_freq,
                verbose=verbose,
            )
        with self._installed(run, steps_per_execution):
            history: keras.callbacks.History = self.model.fit(
                dataset,
                epochs=epochs,
                verbose=verbose,
                callbacks=callbacks,
                validation_data=validation,
                validation_steps=validation_steps,
                validation_freq=validation_freq,
                initial_epoch=initial,
                steps_per_epoch=steps_per_epoch,
                shuffle=False,
            )
        return history

    def _resume(
        self,
        run: Run,
        dataset: tf.data.Dataset,
        backups: BackupPlan,
        *,
        epochs: int,
        initial_epoch: int,
        validation: tf.data.Dataset | None,
        validation_steps: int | None,
        validation_freq: int | Sequence[int],
        verbose: Any,
    ) -> tuple[keras.callbacks.CallbackList, int]:
        """The callbacks ``model.fit`` runs with backups, and its first epoch.

        A resumed epoch's rest runs here first (see `fit`).
        """
        model = self.model
        batches = int(dataset.cardinality())
        callbacks = _Continued(
            [*run.callbacks, *self.engine.guard(run)],
            add_history=True,
            add_progbar=verbose != 0,
            model=model,
            verbose=verbose,
            epochs=epochs,
            steps=batches,
        )
        restored = backups.load()
        start = initial_epoch
        trained = 0
        if restored is not None:
            position = restored.position
            start, trained = position.epoch, position.trained
            if position.batch:
                CustomLoop(self.engine).fit(
                    run,
                    dataset,
                    epochs=min(start + 1, epochs),
                    initial_epoch=start,
                    steps_per_epoch=None,
                    validation=validation,
                    validation_steps=validation_steps,
                    validation_freq=validation_freq,
                    verbose=verbose,
                    backups=backups,
                    callbacks=callbacks,
                    finish=False,
                )
                callbacks.started = True
                start += 1
                trained += batches - position.batch
                restored = None
            else:
                # Make the earlier epochs' iterators again, so epoch `start`
                # draws its own order (see _BackupWriter._position).
                for _ in range(position.iterators):
                    iter(dataset)
        writer = _BackupWriter(backups, restored, callbacks, batches, trained)
        writer.set_model(model)
        writer.set_params(callbacks.params)
        callbacks.callbacks.append(writer)
        return callbacks, start

    def evaluate(
        self, run: Run, dataset: tf.data.Dataset, *, steps: int | None, verbose: Any
    ) -> dict[str, float]:
        """Evaluate with ``model.evaluate``; return its dict of results."""
        steps_per_execution = self._steps_per_execution(
            run, TEST_BATCH_HOOKS, [Passes.of(dataset, steps, carries_over=False)]
        )
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
        steps_per_execution = self._steps_per_execution(
            run, PREDICT_BATCH_HOOKS, [Passes.of(dataset, steps, carries_over=False)]
        )
        with self._installed(run, steps_per_execution):
            return self.model.predict(
                dataset, steps=steps, verbose=verbose, callbacks=run.callbacks
            )


def _rank_one_logs(step: Any) -> Any:
    """``step`` with logs of shape ``[1]`` (Keras 3.15 under several workers).

    ``model.fit`` averages every step's logs over the workers with
    ``strategy.reduce("MEAN", value, axis=0)``, which fails on scalars
    (keras-team/keras #20585); logs of shape ``[1]`` reduce to the mean.
    """

    def run(data: Any) -> Any:
        return {key: tf.reshape(value, [1]) for key, value in step(data).items()}

    return run


class _Continued(keras.callbacks.CallbackList):  # type: ignore[misc]
    """A `CallbackList` whose ``on_train_begin`` ran already (a resumed epoch).

    ``model.fit`` calls ``on_train_begin`` again; callbacks must not reset
    the state the resumed epoch left.
    """

    started = False

    def on_train_begin(self, logs: Any = None) -> None:
        """Begin once per ``Trainer.fit``."""
        if self.started:
            return
        super().on_train_begin(logs)


class _BackupWriter(keras.callbacks.Callback):  # type: ignore[misc]
    """Writes ``model.fit``'s backups, and puts a backup back when it begins.

    It is the last callback, so the others' state at each backup is final.

    Args:
        backups: the run's backup plan.
        restored: a backup taken at an epoch's end to put back, or None.
        callbacks: the run's `CallbackList` (whose states are backed up).
        batches: batches per epoch.
        trained: batches the run trained before this ``model.fit``.
    """

    batch_hooks_per_call = True

    def __init__(
        self,
        backups: BackupPlan,
        restored: Restored | None,
        callbacks: keras.callbacks.CallbackList,
        batches: int,
        trained: int,
    ) -> None:
        super().__init__()
        self._backups = backups
        self._restored = restored
        self._callbacks = callbacks
        self._batches = batches
        self._trained = trained
        self._epoch = 0
        self._done = 0

    def on_train_begin(self, logs: Any = None) -> None:
        """Put an end-of-epoch backup back, after every callback began."""
        if self._restored is not None:
            self._restored.apply(self._callbacks.callbacks)
            self._restored = None

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Count the epoch's batches from 0."""
        self._epoch = epoch
        self._done = 0

    def _position(self, epoch: int, batch: int) -> Position:
        # model.fit makes two iterators per epoch: the epoch's own, and at
        # its end one for the next pass, which the next epoch replaces.
        if batch:
            iterators, read = 2 * epoch + 1, batch
        else:
            iterators, read = 2 * epoch, 0
        return Position(
            epoch=epoch,
            batch=batch,
            iterators=iterators,
            read=read,
            seen=read,
            held=True,
            trained=self._trained,
        )

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        """Write a backup if one is due (``batch`` is Keras' end index)."""
        done = min(batch + 1, self._batches)
        self._trained += done - self._done
        self._done = done
        position = self._position(self._epoch, done)
        self._backups.after_call(position, self._callbacks.callbacks)

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        """Write the end-of-epoch backup."""
        position = self._position(epoch + 1, 0)
        self._backups.after_epoch(position, self._callbacks.callbacks)
