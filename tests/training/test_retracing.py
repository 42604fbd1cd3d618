"""The compiled step is traced once per input signature."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_short_last_batch_new_epochs_and_lr_changes_do_not_retrace(
    loop, model_factory, data
):
    x, y = data
    ds = tf.data.Dataset.from_tensor_slices((x[:90], y[:90])).batch(16)  # last is 10
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    trainer = tfs.Trainer(model_factory(), loop)
    trainer.fit(ds, epochs=3, validation_data=ds, callbacks=[scheduler], verbose=0)
    trainer.fit(ds, epochs=2, validation_data=ds, verbose=0)
    trainer.evaluate(ds, verbose=0)
    assert trainer.trace_counts["train"] == 1
    assert trainer.trace_counts["test"] == 1


def test_custom_loop_predict_and_outer_functions_trace_once(model_factory, data):
    x, y = data
    ds = tf.data.Dataset.from_tensor_slices((x[:90], y[:90])).batch(16)
    trainer = tfs.Trainer(model_factory(), "custom", steps_per_execution=4)
    trainer.fit(ds, epochs=2, validation_data=ds, verbose=0)
    trainer.predict(x[:90], batch_size=16, verbose=0)
    trainer.predict(x[:37], batch_size=16, verbose=0)
    assert trainer.trace_counts == {"train": 1, "test": 1, "predict": 1, "update": 0}
    compiled = next(iter(trainer._engine._compiled.values()))
    # The calls of 4 steps and the short last call (2 steps) share one trace.
    assert compiled.train.plain.many.experimental_get_tracing_count() == 1
    assert compiled.test.many.experimental_get_tracing_count() == 1
    assert compiled.predict.many.experimental_get_tracing_count() == 1


def test_a_new_dataset_with_the_same_signature_does_not_retrace(model_factory, data):
    x, y = data
    trainer = tfs.Trainer(model_factory(), "custom")
    trainer.fit((x, y), batch_size=16, verbose=0)
    trainer.fit((x[:50], y[:50]), batch_size=8, verbose=0)
    assert trainer.trace_counts["train"] == 1


def test_a_new_signature_traces_again(model_factory, data):
    x, y = data
    trainer = tfs.Trainer(model_factory(), "custom")
    trainer.fit((x, y), batch_size=16, verbose=0)
    as_float = tf.data.Dataset.from_tensor_slices((x.astype("float64"), y)).batch(16)
    trainer.fit(as_float, verbose=0)
    assert trainer.trace_counts["train"] == 2


def test_recompiling_the_model_gives_a_fresh_step(model_factory, data):
    x, y = data
    model = model_factory()
    trainer = tfs.Trainer(model, "custom")
    trainer.fit((x, y), verbose=0)
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")],
    )
    history = trainer.fit((x, y), verbose=0)
    assert sorted(history.history) == ["acc", "loss"]  # the new compile's metrics
    assert trainer.trace_counts["train"] == 2
    assert np.isfinite(history.history["loss"][0])
