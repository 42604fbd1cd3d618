"""Datasets, arrays and (x, y) tuples are all accepted, with tfstarter.data's checks."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ConfigError, DataError


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_arrays_tuple_and_dataset_train_alike(loop, model_factory, data):
    x, y = data
    weights = []
    for args in (
        (x, y),
        ((x, y),),
        (tfs.data.from_arrays(x, y, batch_size=32),),
    ):
        model = model_factory()
        kwargs = (
            {}
            if isinstance(args[0], tf.data.Dataset)
            else {"batch_size": 32, "shuffle": False}
        )
        tfs.Trainer(model, loop).fit(*args, verbose=0, **kwargs)
        weights.append(model.get_weights())
    for other in weights[1:]:
        for a, b in zip(weights[0], other, strict=True):
            np.testing.assert_array_equal(a, b)


def test_arrays_are_shuffled_by_default_and_seeded(model_factory, data):
    x, y = data
    runs = []
    for seed in (1, 1, 2):
        model = model_factory()
        tfs.Trainer(model, "custom").fit(x, y, batch_size=16, seed=seed, verbose=0)
        runs.append(model.get_weights()[0])
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_array_checks_come_from_tfstarter_data(model_factory, data):
    x, y = data
    trainer = tfs.Trainer(model_factory(), "custom")
    with pytest.raises(DataError, match=r"`x` has 96 samples but `y` has 95"):
        trainer.fit(x, y[:-1], verbose=0)
    bad = x.copy()
    bad[3, 0] = np.nan
    with pytest.raises(
        DataError, match=r"`x` holds NaN or Inf in 1 of 96 rows \(first at row 3\)"
    ):
        trainer.fit(bad, y, verbose=0)
    with pytest.raises(DataError, match=r"`x` is empty"):
        trainer.fit(x[:0], y[:0], verbose=0)


def test_labels_are_checked_against_the_model_output(model_factory, data):
    x, y = data
    with pytest.raises(
        DataError, match=r"`y` holds label 3 at row \d+, but the model is a 3-class"
    ):
        tfs.Trainer(model_factory(), "custom").fit(x, np.where(y == 2, 3, y), verbose=0)


def test_validation_arrays_errors_name_the_argument(model_factory, data):
    x, y = data
    with pytest.raises(
        DataError, match=r"in `validation_data`: `x` has 10 samples but `y` has 9"
    ):
        tfs.Trainer(model_factory(), "custom").fit(
            x, y, validation_data=(x[:10], y[:9]), verbose=0
        )


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_validation_split_holds_out_the_last_samples(loop, model_factory, data):
    x, y = data
    split = tfs.Trainer(model_factory(), loop).fit(
        x, y, validation_split=0.25, shuffle=False, verbose=0
    )
    explicit = tfs.Trainer(model_factory(), loop).fit(
        x[:72], y[:72], validation_data=(x[72:], y[72:]), shuffle=False, verbose=0
    )
    assert split.history.keys() == explicit.history.keys()
    for key, values in split.history.items():
        assert values == pytest.approx(explicit.history[key]), key


def test_validation_split_must_leave_training_samples(model_factory, data):
    x, y = data
    with pytest.raises(
        ConfigError, match=r"`validation_split=0.8` of 3 samples leaves no training"
    ):
        tfs.Trainer(model_factory(), "custom").fit(x[:3], y[:3], validation_split=0.8)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_steps_per_epoch_reads_on_until_the_data_ends_as_fit_does(
    loop, model_factory, dataset, spy_factory
):
    spy = spy_factory()
    model = model_factory()
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        history = tfs.Trainer(model, loop).fit(
            dataset, epochs=3, steps_per_epoch=4, callbacks=[spy], verbose=0
        )
    ends = [i for hook, i, _ in spy.records if hook == "on_train_batch_end"]
    # 6 batches: the second epoch gets the last 2 and ends there, as in fit.
    assert ends == [0, 1, 2, 3, 0, 1, 0, 1, 2, 3]
    assert int(model.optimizer.iterations) == 10
    assert len(history.epoch) == 3


@pytest.mark.parametrize("steps_per_execution", [1, 4])
def test_unknown_cardinality_runs_to_the_end(
    model_factory, dataset, steps_per_execution
):
    filtered = dataset.unbatch().filter(lambda x, y: x[0] > -10.0).batch(16)
    assert filtered.cardinality() == tf.data.UNKNOWN_CARDINALITY
    model = model_factory()
    trainer = tfs.Trainer(model, "custom", steps_per_execution=steps_per_execution)
    # Keras learns the length at the end of the data, and warns, every epoch.
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        trainer.fit(filtered, epochs=2, verbose=0)
    assert int(model.optimizer.iterations) == 12
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        outputs = trainer.predict(filtered.map(lambda x, y: x), verbose=0)
    assert outputs.shape == (96, 3)
    reference = tfs.Trainer(model_factory(), "custom").evaluate(dataset, verbose=0)
    with pytest.warns(UserWarning, match="Your input ran out of data"):
        assert trainer.evaluate(filtered, verbose=0).keys() == reference.keys()


def test_sample_weights_from_a_dataset(model_factory, data):
    x, y = data
    weights = np.where(y == 0, 0.0, 1.0).astype("float32")
    weighted = tf.data.Dataset.from_tensor_slices((x, y, weights)).batch(16)
    results = {}
    for loop in ("fit", "custom"):
        model = model_factory()
        trainer = tfs.Trainer(model, loop)
        trainer.fit(weighted, verbose=0)
        results[loop] = model.get_weights()
    for a, b in zip(results["fit"], results["custom"], strict=True):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_predict_takes_arrays_and_datasets(model_factory, data, dataset):
    x, _ = data
    trainer = tfs.Trainer(model_factory(), "custom")
    from_arrays = trainer.predict(x, batch_size=10, verbose=0)
    from_dataset = trainer.predict(dataset, verbose=0)  # (x, y) elements: y ignored
    assert from_arrays.shape == (96, 3)
    np.testing.assert_allclose(from_arrays, from_dataset, atol=1e-6)
