"""Options are validated at construction and steer how many steps a call runs."""

from __future__ import annotations

import dataclasses

import keras
import pytest

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError
from tfstarter.training import (
    AUTO_STEPS_PER_EXECUTION,
    GradientClipping,
    TrainerOptions,
)
from tfstarter.training._compiled import Functions
from tfstarter.training._dispatch import TRAIN_BATCH_HOOKS, batch_hooks_heard, listens
from tfstarter.training._engine import auto_steps_per_execution


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


def test_options_can_be_passed_as_one_object(model_factory):
    options = TrainerOptions(loop="custom", steps_per_execution=4)
    trainer = tfs.Trainer(model_factory(), options=options)
    assert trainer.options is options and trainer.loop == "custom"
    same = tfs.Trainer(model_factory(), "custom", options=options)
    assert same.options is options


def test_options_given_twice_differently_are_refused(model_factory):
    options = TrainerOptions(loop="custom", steps_per_execution=4)
    with pytest.raises(ConfigError, match=r"`steps_per_execution` given both"):
        tfs.Trainer(model_factory(), options=options, steps_per_execution=8)
    with pytest.raises(ArgumentTypeError, match=r"`options` must be a TrainerOptions"):
        tfs.Trainer(model_factory(), options={"loop": "custom"})


@pytest.mark.parametrize(
    ("steps_per_epoch", "expected"), [(None, 32), (100, 25), (37, 1), (8, 8), (64, 32)]
)
def test_auto_steps_divide_the_epoch(steps_per_epoch, expected):
    assert auto_steps_per_execution(steps_per_epoch) == expected


class EpochOnly(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        pass


class BatchEnd(keras.callbacks.Callback):
    def on_batch_end(self, batch, logs=None):  # the old alias counts too
        pass


def _listens(callbacks, hooks):
    return any(listens(cb, hook) for cb in callbacks for hook in hooks)


class InstanceHook(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.on_train_batch_end = lambda batch, logs=None: None


class Dynamic(keras.callbacks.Callback):
    def __getattr__(self, name):
        raise AttributeError(name)


class DynamicAll(keras.callbacks.Callback):
    def __getattribute__(self, name):
        return super().__getattribute__(name)


def test_who_listens_to_the_batch_hooks():
    assert not _listens([EpochOnly(), keras.callbacks.History()], TRAIN_BATCH_HOOKS)
    assert _listens([BatchEnd()], TRAIN_BATCH_HOOKS)
    assert listens(keras.callbacks.TerminateOnNaN(), "on_batch_end")
    lam = keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: None)
    assert _listens([lam], TRAIN_BATCH_HOOKS)
    assert not _listens([keras.callbacks.LambdaCallback()], TRAIN_BATCH_HOOKS)
    assert _listens([InstanceHook()], TRAIN_BATCH_HOOKS)
    assert _listens([Dynamic()], TRAIN_BATCH_HOOKS)
    assert _listens([DynamicAll()], TRAIN_BATCH_HOOKS)
    assert not _listens([tfs.training.Callback()], ("on_gradient_norm",))
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
    original = Functions.__call__

    def counting(self, iterator, call):
        calls.append(call.steps)
        return original(self, iterator, call)

    monkeypatch.setattr(Functions, "__call__", counting)
    trainer = tfs.Trainer(model_factory(), "custom", steps_per_execution=option)
    trainer.fit(dataset, epochs=2, callbacks=callbacks, verbose=verbose)
    capsys.readouterr()
    assert len(calls) == 2 * calls_per_epoch
    assert sum(calls) == 12
    assert AUTO_STEPS_PER_EXECUTION >= 6


def test_on_non_finite_ignore_builds_no_watch(model_factory):
    trainer = tfs.Trainer(model_factory(), "custom", on_non_finite="ignore")
    assert trainer._engine.run([], training=True).watch is None
    guarded = tfs.Trainer(model_factory(), "custom")
    assert guarded._engine.run([], training=True).watch is not None
    assert guarded._engine.run([], training=False).watch is None
