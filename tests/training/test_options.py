"""Options are validated at construction and steer how many steps a call runs."""

from __future__ import annotations

import dataclasses

import keras
import pytest

import tfstarter as tfs
from tfstarter.training import (
    AUTO_STEPS_PER_EXECUTION,
    GradientClipping,
    TrainerOptions,
)
from tfstarter.training._callbacks import TRAIN_BATCH_HOOKS, listens, overrides
from tfstarter.training._custom_loop import CustomLoop
from tfstarter.training._executions import batch_hooks_heard, plan


def test_options_are_frozen_and_exposed(model_factory):
    trainer = tfs.Trainer(
        model_factory(),
        "custom",
        steps_per_execution=8,
        clipping=GradientClipping("norm", 1.0),
        gradient_accumulation_steps=2,
        on_non_finite="ignore",
    )
    assert trainer.options == TrainerOptions(
        loop="custom",
        steps_per_execution=8,
        clipping=GradientClipping("norm", 1.0),
        gradient_accumulation_steps=2,
        on_non_finite="ignore",
    )
    assert trainer.loop == "custom" and trainer.strategy is None
    assert repr(trainer) == "Trainer(model='sequential', loop='custom')"
    with pytest.raises(dataclasses.FrozenInstanceError):
        trainer.options.loop = "fit"  # type: ignore[misc]


def test_gradient_clipping_threshold_becomes_a_float():
    clipping = GradientClipping("value", 2)
    assert clipping.threshold == 2.0 and isinstance(clipping.threshold, float)
    assert clipping.optimizer_argument == "clipvalue"


def test_plan_cuts_epochs_into_calls():
    assert [(e.begin, e.end, e.steps) for e in plan(6, 4)] == [(0, 3, 4), (4, 5, 2)]
    assert [(e.begin, e.steps) for e in plan(3, 1)] == [(0, 1), (1, 1), (2, 1)]


class EpochOnly(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass


class BatchEnd(keras.callbacks.Callback):
    def on_batch_end(self, batch, logs=None):  # the old alias counts too
        pass


def test_who_listens_to_the_batch_hooks():
    assert not listens([EpochOnly(), keras.callbacks.History()], TRAIN_BATCH_HOOKS)
    assert listens([BatchEnd()], TRAIN_BATCH_HOOKS)
    assert overrides(keras.callbacks.TerminateOnNaN(), "on_batch_end")
    # The progress bar is updated once per call, however many steps it runs.
    progbar = keras.callbacks.ProgbarLogger()
    assert not batch_hooks_heard([progbar], TRAIN_BATCH_HOOKS)
    assert batch_hooks_heard([progbar, BatchEnd()], TRAIN_BATCH_HOOKS)


@pytest.mark.parametrize(
    ("callback", "heard"),
    [
        (keras.callbacks.ModelCheckpoint("m.keras"), False),
        (keras.callbacks.ModelCheckpoint("m.keras", save_freq=4), True),
        (keras.callbacks.BackupAndRestore("backup"), False),
        (keras.callbacks.BackupAndRestore("backup", save_freq=4), True),
        (keras.callbacks.TensorBoard("logs"), False),
        (keras.callbacks.TensorBoard("logs", update_freq=2), True),
        (keras.callbacks.TensorBoard("logs", profile_batch=2), True),
    ],
    ids=lambda value: value if isinstance(value, bool) else type(value).__name__,
)
def test_epoch_wise_stock_callbacks_do_not_force_single_steps(callback, heard):
    assert batch_hooks_heard([callback], TRAIN_BATCH_HOOKS) is heard


@pytest.mark.parametrize(
    "case",
    [
        ([], 0, "auto", 1),  # 6 batches, nobody listens: one call
        ([EpochOnly()], 2, "auto", 1),
        ([BatchEnd()], 0, "auto", 6),
        ([], 1, "auto", 1),  # the progress bar is updated once per call
        ([BatchEnd()], 0, 4, 2),
        ([], 0, 1, 6),
    ],
)
def test_auto_runs_many_steps_only_when_nobody_listens(
    case, model_factory, dataset, monkeypatch, capsys
):
    callbacks, verbose, option, calls_per_epoch = case
    calls = []
    original = CustomLoop._execute

    def counting(self, functions, iterator, execution, num_batches):
        calls.append(execution.steps)
        return original(self, functions, iterator, execution, num_batches)

    monkeypatch.setattr(CustomLoop, "_execute", counting)
    trainer = tfs.Trainer(model_factory(), "custom", steps_per_execution=option)
    trainer.fit(dataset, epochs=2, callbacks=callbacks, verbose=verbose)
    capsys.readouterr()
    assert len(calls) == 2 * calls_per_epoch
    assert sum(calls) == 12
    assert AUTO_STEPS_PER_EXECUTION >= 6


def test_on_non_finite_ignore_builds_no_watch(model_factory):
    trainer = tfs.Trainer(model_factory(), "custom", on_non_finite="ignore")
    assert trainer._engines.step("off").watch is None
