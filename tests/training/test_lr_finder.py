"""The learning-rate range test: leaves the model as it was, and suggests well."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError
from tfstarter.training._lr_finder import (
    LearningRateFinding,
    _Sweep,
    find_learning_rate,
    zero_phase,
)

FEATURES, CLASSES = 6, 3


def data(n: int = 512, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A nonlinear 3-class problem a small MLP learns in a few epochs."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, FEATURES)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("int64") + (x[:, 2] > 0.8).astype("int64")
    return x, y


def model(
    *, optimizer: Any = None, batch_norm: bool = True, seed: int = 3
) -> keras.Model:
    """A small MLP with every kind of state: batch norm, dropout, Adam, a metric."""
    keras.utils.set_random_seed(seed)
    layers: list[Any] = [keras.Input((FEATURES,)), keras.layers.Dense(32)]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization())
    layers += [
        keras.layers.Activation("relu"),
        keras.layers.Dropout(0.1, seed=seed),
        keras.layers.Dense(CLASSES),
    ]
    net = keras.Sequential(layers)
    net.compile(
        optimizer=optimizer or keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return net


def state(net: keras.Model) -> list[np.ndarray]:
    """Every value a training step can change, in a fixed order."""
    variables = [
        *net.variables,
        *net.optimizer.variables,
        *net.metrics_variables,
    ]
    return [np.array(v.numpy()) for v in variables]


def assert_same(before: list[np.ndarray], after: list[np.ndarray]) -> None:
    assert len(before) == len(after)
    for index, (a, b) in enumerate(zip(before, after, strict=True)):
        assert a.dtype == b.dtype and a.shape == b.shape, index
        assert np.array_equal(a, b), f"variable {index} changed"


def runner(kind: str, net: keras.Model) -> Any:
    if kind == "model":
        return net
    return tfs.Trainer(net, loop=kind)


@pytest.mark.parametrize("kind", ["model", "fit", "custom"])
def test_leaves_a_trained_model_untouched(kind: str) -> None:
    x, y = data()
    net = model()
    target = runner(kind, net)
    target.fit(x, y, batch_size=32, epochs=1, verbose=0)  # optimizer and metrics built
    iterations = int(net.optimizer.iterations.numpy())
    learning_rate = float(net.optimizer.learning_rate.numpy())
    before = state(net)

    finding = find_learning_rate(target, (x, y), steps=30, start=1e-5, stop=10.0)

    assert len(finding.rates) >= 5
    assert_same(before, state(net))
    assert int(net.optimizer.iterations.numpy()) == iterations
    assert float(net.optimizer.learning_rate.numpy()) == learning_rate
    assert net.stop_training is False


def test_training_after_the_test_is_what_it_would_have_been() -> None:
    x, y = data()
    nets = [model(), model()]
    trainers = [tfs.Trainer(net, loop="custom") for net in nets]
    for trainer in trainers:
        trainer.fit(x, y, batch_size=32, epochs=1, verbose=0, seed=1)
    find_learning_rate(trainers[0], (x, y), steps=20, start=1e-4, stop=1.0)
    for trainer in trainers:
        trainer.fit(x, y, batch_size=32, epochs=2, initial_epoch=1, verbose=0, seed=1)
    assert_same(state(nets[1]), state(nets[0]))


def test_a_fresh_model_keeps_its_weights_and_gets_an_initial_optimizer() -> None:
    x, y = data()
    net = model()
    weights = [np.array(w) for w in net.get_weights()]
    assert not net.optimizer.built

    find_learning_rate(net, (x, y), steps=20)

    assert_same(weights, [np.array(w) for w in net.get_weights()])
    assert net.optimizer.built
    assert int(net.optimizer.iterations.numpy()) == 0
    slots = [v for v in net.optimizer.variables if "iteration" not in v.path]
    moments = [v for v in slots if "learning_rate" not in v.path]
    assert moments and all(not np.any(v.numpy()) for v in moments)


def final_loss(rate: float, weights: list[np.ndarray]) -> float:
    x, y = data()
    net = model(optimizer=keras.optimizers.SGD(rate, momentum=0.9), batch_norm=False)
    net.set_weights(weights)
    net.fit(x, y, batch_size=32, epochs=4, verbose=0, shuffle=False)
    loss = float(net.evaluate(x, y, verbose=0, return_dict=True)["loss"])
    return loss if math.isfinite(loss) else math.inf


@pytest.mark.slow
def test_the_suggestion_trains_better_than_rates_100x_off() -> None:
    # SGD with momentum: too large a rate blows up, too small crawls.
    x, y = data()
    net = model(optimizer=keras.optimizers.SGD(0.01, momentum=0.9), batch_norm=False)
    weights = [np.array(w) for w in net.get_weights()]
    finding = find_learning_rate(net, (x, y), batch_size=32)

    suggested = final_loss(finding.suggestion, weights)
    assert suggested < final_loss(finding.suggestion * 100, weights)
    assert suggested < final_loss(finding.suggestion / 100, weights)


def test_the_sweep_is_exponential_and_stops_when_the_loss_blows_up() -> None:
    x, y = data()
    finding = find_learning_rate(model(), (x, y), start=1e-4, stop=1e4, steps=60)
    rates = np.array(finding.rates)
    assert rates[0] == pytest.approx(1e-4)
    assert np.allclose(rates[1:] / rates[:-1], (1e8) ** (1 / 59))
    assert finding.diverged
    assert len(finding.rates) == len(finding.losses) == len(finding.smoothed) < 60
    assert finding.rates[0] < finding.suggestion < finding.lowest_loss_rate


def test_steepest_lies_before_the_minimum() -> None:
    x, y = data()
    finding = find_learning_rate(model(), (x, y), suggest="steepest", steps=40)
    assert finding.method == "steepest"
    assert finding.rates[0] <= finding.suggestion <= finding.lowest_loss_rate


def test_a_dataset_works_and_a_non_finite_loss_ends_the_sweep() -> None:
    # SGD on a regression with a huge rate overflows to Inf: the Trainer's
    # NaN guard raises, the sweep ends there, and the model is restored.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(256, 4)).astype("float32")
    y = 100 * x.sum(axis=1, keepdims=True)
    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    net.compile(
        optimizer=keras.optimizers.SGD(0.01), loss=keras.losses.MeanSquaredError()
    )
    trainer = tfs.Trainer(net, loop="custom")
    trainer.fit(x, y, batch_size=32, verbose=0)
    before = state(net)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)

    finding = find_learning_rate(trainer, dataset, start=1e-4, stop=1e8, steps=50)

    assert finding.diverged
    assert math.isfinite(finding.suggestion)
    assert_same(before, state(net))


def test_sweep_callback_records_batches_and_stops_on_divergence() -> None:
    sweep = _Sweep([0.1, 0.2, 0.3, 0.4], smoothing=0.0, divergence=4.0)
    for loss in (2.0, 1.0, 3.0):
        sweep.record(loss)
    assert not sweep.diverged
    sweep.record(4.5)  # above 4 x the lowest (1.0)
    assert sweep.diverged
    assert sweep.losses == sweep.smoothed == [2.0, 1.0, 3.0, 4.5]


def test_smoothing_is_bias_corrected() -> None:
    sweep = _Sweep([1.0] * 3, smoothing=0.5, divergence=10.0)
    sweep.record(2.0)
    sweep.record(4.0)
    # (0.5 * 0.5 * 2 + 0.5 * 4) / (1 - 0.25)
    assert sweep.smoothed == [pytest.approx(2.0), pytest.approx(10 / 3)]


def test_the_curve_has_no_lag() -> None:
    # A one-way moving average of a V-shaped curve puts its minimum late (at a
    # larger rate); smoothed both ways the minimum stays where it is.
    v_shape = [abs(i - 30.0) for i in range(80)]
    smoothed = zero_phase(v_shape, 0.9)
    assert int(np.argmin(smoothed)) == 30
    sweep = _Sweep([1.0] * 80, smoothing=0.9, divergence=100.0)
    for loss in v_shape:
        sweep.record(loss)
    assert int(np.argmin(sweep.smoothed)) >= 35


def finding() -> LearningRateFinding:
    return LearningRateFinding(
        rates=(1e-3, 1e-2, 1e-1),
        losses=(2.0, 1.0, 5.0),
        smoothed=(2.0, 1.0, 5.0),
        suggestion=1e-3,
        method="minimum",
        diverged=True,
    )


def test_plot_writes_a_png(tmp_path: Path) -> None:
    path = finding().plot(tmp_path / "plots" / "lr.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    with pytest.raises(ImportError, match=r"needs matplotlib: pip install matplotlib"):
        finding().plot(tmp_path / "lr.png")
    assert not (tmp_path / "lr.png").exists()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"start": 0.0}, ConfigError, r"`start` must be in \(0.0, inf\), got 0.0"),
        ({"start": 1.0, "stop": 0.5}, ConfigError, r"`stop` must be larger than"),
        ({"steps": 3}, ConfigError, r"`steps` must be at least 5, got 3"),
        ({"smoothing": 1.0}, ConfigError, r"`smoothing` must be in \[0.0, 1.0\)"),
        ({"divergence": 1}, ConfigError, r"`divergence` must be in \(1.0, inf\)"),
        ({"suggest": "valley"}, ConfigError, r"`suggest` must be one of"),
        ({"batch_size": 0}, ConfigError, r"`batch_size` must be a positive integer"),
    ],
)
def test_bad_settings(
    kwargs: dict[str, Any], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        find_learning_rate(model(), data(), **kwargs)


def test_bad_targets_and_data() -> None:
    x, y = data()
    with pytest.raises(ArgumentTypeError, match=r"`trainer_or_model` must be a tfs"):
        find_learning_rate("model", (x, y))  # type: ignore[arg-type]
    with pytest.raises(ArgumentTypeError, match=r"`data` must be a tf.data.Dataset"):
        find_learning_rate(model(), x)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    with pytest.raises(ConfigError, match=r"`batch_size`=8 was given with a tf.data"):
        find_learning_rate(model(), dataset, batch_size=8)
    uncompiled = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(2)])
    with pytest.raises(ConfigError, match=r"is not compiled with a loss"):
        find_learning_rate(uncompiled, (x, y))
    unbuilt = keras.Sequential([keras.layers.Dense(2)])
    unbuilt.compile(optimizer="sgd", loss=keras.losses.MeanSquaredError())
    with pytest.raises(ConfigError, match=r"is not built yet"):
        find_learning_rate(unbuilt, (x, y))
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    with pytest.raises(ConfigError, match=r"follows a learning-rate schedule"):
        find_learning_rate(model(optimizer=keras.optimizers.SGD(schedule)), (x, y))
