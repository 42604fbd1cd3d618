"""Keras' own callbacks do their job in the custom loop, as they do in fit."""

from __future__ import annotations

import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs


def _fit(loop, model, dataset, callbacks, **kwargs):
    kwargs.setdefault("verbose", 0)
    return tfs.Trainer(model, loop).fit(dataset, callbacks=callbacks, **kwargs)


def test_early_stopping_stops_at_the_same_epoch_and_restores(model_factory, dataset):
    val = dataset.take(1)
    stopped, weights = {}, {}
    for loop in ("fit", "custom"):
        model = model_factory(optimizer=keras.optimizers.SGD(2.0))
        stop = keras.callbacks.EarlyStopping(
            monitor="val_loss", patience=1, restore_best_weights=True
        )
        history = _fit(loop, model, dataset, [stop], epochs=30, validation_data=val)
        stopped[loop] = (stop.stopped_epoch, len(history.epoch))
        weights[loop] = model.get_weights()
        best = int(np.argmin(history.history["val_loss"]))
        assert stop.best == pytest.approx(history.history["val_loss"][best])
    assert stopped["fit"] == stopped["custom"]
    assert 0 < stopped["custom"][1] < 30
    for a, b in zip(weights["fit"], weights["custom"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)


def test_early_stopping_restores_the_best_weights(model_factory, dataset):
    val = dataset.take(1)
    model = model_factory(optimizer=keras.optimizers.SGD(2.0))
    stop = keras.callbacks.EarlyStopping(
        monitor="val_loss", patience=1, restore_best_weights=True
    )
    trainer = tfs.Trainer(model, "custom")
    history = trainer.fit(
        dataset, epochs=30, validation_data=val, callbacks=[stop], verbose=0
    )
    assert trainer.evaluate(val, verbose=0)["loss"] == pytest.approx(
        min(history.history["val_loss"]), rel=1e-5
    )


def test_model_checkpoint_writes_every_epoch(model_factory, dataset, tmp_path):
    path = tmp_path / "ckpt-{epoch:02d}.weights.h5"
    checkpoint = keras.callbacks.ModelCheckpoint(str(path), save_weights_only=True)
    model = model_factory()
    _fit("custom", model, dataset, [checkpoint], epochs=2)
    written = sorted(p.name for p in tmp_path.iterdir())
    assert written == ["ckpt-01.weights.h5", "ckpt-02.weights.h5"]
    restored = model_factory()
    restored.load_weights(str(tmp_path / "ckpt-02.weights.h5"))
    for a, b in zip(model.get_weights(), restored.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_model_checkpoint_save_best_only(loop, model_factory, dataset, tmp_path):
    path = tmp_path / "best.keras"
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(path), monitor="val_loss", save_best_only=True
    )
    _fit(
        loop,
        model_factory(),
        dataset,
        [checkpoint],
        epochs=2,
        validation_data=dataset,
    )
    assert path.is_file()
    assert isinstance(keras.models.load_model(path), keras.Model)


def test_csv_logger_rows_match_history(model_factory, dataset, tmp_path):
    path = tmp_path / "log.csv"
    history = _fit(
        "custom",
        model_factory(),
        dataset,
        [keras.callbacks.CSVLogger(str(path))],
        epochs=3,
        validation_data=dataset.take(1),
    )
    with path.open() as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in rows] == [0, 1, 2]
    for key, values in history.history.items():
        np.testing.assert_allclose([float(row[key]) for row in rows], values, rtol=1e-6)


def test_tensorboard_writes_event_files(model_factory, dataset, tmp_path):
    # Keras' TensorBoard callback needs the tensorboard package (a test extra).
    pytest.importorskip("tensorboard")
    board = keras.callbacks.TensorBoard(log_dir=str(tmp_path), update_freq="epoch")
    _fit("custom", model_factory(), dataset, [board], epochs=2, validation_data=dataset)
    for split in ("train", "validation"):
        events = list((tmp_path / split).glob("events.out.tfevents.*"))
        assert events, f"no event file under {split}/"
    tags = set()
    for event_file in (tmp_path / "train").glob("events.out.tfevents.*"):
        for record in tf.data.TFRecordDataset(str(event_file)):
            event = tf.compat.v1.Event.FromString(record.numpy())
            tags.update(value.tag for value in event.summary.value)
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= tags


def test_reduce_lr_on_plateau_lowers_the_rate_and_logs_it(model_factory, dataset):
    logged = {}
    for loop in ("fit", "custom"):
        model = model_factory(optimizer=keras.optimizers.SGD(0.1))
        plateau = keras.callbacks.ReduceLROnPlateau(
            monitor="loss", factor=0.5, patience=0, min_delta=10.0
        )
        history = _fit(loop, model, dataset, [plateau], epochs=3)
        # Epoch 1 sets the best loss; epochs 2 and 3 do not improve by 10.
        assert float(model.optimizer.learning_rate) == pytest.approx(0.025)
        logged[loop] = history.history["learning_rate"]
    assert logged["custom"] == logged["fit"]
    assert logged["custom"][-1] < logged["custom"][0]


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_learning_rate_scheduler_sets_and_logs_the_rate(loop, model_factory, dataset):
    model = model_factory()
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    history = _fit(loop, model, dataset, [scheduler], epochs=3)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.1 / 3])
    assert float(model.optimizer.learning_rate) == pytest.approx(0.1 / 3)


def test_learning_rate_schedule_object_trains_the_same_in_both_loops(
    model_factory, dataset
):
    weights = {}
    for loop in ("fit", "custom"):
        schedule = keras.optimizers.schedules.ExponentialDecay(0.2, 3, 0.5)
        model = model_factory(optimizer=keras.optimizers.SGD(schedule))
        history = _fit(loop, model, dataset, [], epochs=2)
        assert "learning_rate" not in history.history  # fit does not log it either
        weights[loop] = model.get_weights()
        assert int(model.optimizer.iterations) == 12
    for a, b in zip(weights["fit"], weights["custom"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_terminate_on_nan_stops_quietly(loop, dataset, spy_factory):
    # A NaN sample weight makes the loss NaN whatever the CPU's kernels.
    x, y = next(iter(dataset.unbatch().batch(96)))
    weights = np.ones(96, "float32")
    weights[40] = np.nan
    bad = tf.data.Dataset.from_tensor_slices((x, y, weights)).batch(16)
    spy = spy_factory()
    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    _fit(loop, model, bad, [keras.callbacks.TerminateOnNaN(), spy], epochs=3)
    batches = [i for hook, i, _ in spy.records if hook == "on_train_batch_end"]
    assert batches == [0, 1, 2]  # sample 40 is in batch 2
    assert model.stop_training


@pytest.mark.parametrize("loop", ["fit", "custom"])
@pytest.mark.parametrize("verbose", [1, 2])
def test_progress_bar_prints_like_fit(loop, verbose, model_factory, dataset, capsys):
    _fit(loop, model_factory(), dataset, [], epochs=2, verbose=verbose)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out
    assert "6/6" in out and "loss:" in out and "accuracy:" in out


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_verbose_zero_prints_nothing(loop, model_factory, dataset, capsys):
    trainer = tfs.Trainer(model_factory(), loop)
    trainer.fit(dataset, epochs=1, verbose=0)
    trainer.evaluate(dataset, verbose=0)
    trainer.predict(dataset, verbose=0)
    assert capsys.readouterr().out == ""


def test_evaluate_progress_bar(model_factory, dataset, capsys):
    tfs.Trainer(model_factory(), "custom").evaluate(dataset, verbose=1)
    out = capsys.readouterr().out
    assert "6/6" in out and "loss:" in out


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_backup_and_restore_resumes_where_training_stopped(
    loop, model_factory, dataset, tmp_path
):
    class Interrupt(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                raise RuntimeError("interrupted")

    backup = str(tmp_path / "backup")
    model = model_factory()
    trainer = tfs.Trainer(model, loop)
    with pytest.raises(RuntimeError, match="interrupted"):
        trainer.fit(
            dataset,
            epochs=4,
            verbose=0,
            callbacks=[keras.callbacks.BackupAndRestore(backup), Interrupt()],
        )
    resumed = model_factory()
    history = tfs.Trainer(resumed, loop).fit(
        dataset,
        epochs=4,
        verbose=0,
        callbacks=[keras.callbacks.BackupAndRestore(backup)],
    )
    assert history.epoch == [2, 3]  # epoch 1 was backed up before the crash

    straight = model_factory()
    tfs.Trainer(straight, loop).fit(dataset, epochs=4, verbose=0)
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, atol=1e-5)
