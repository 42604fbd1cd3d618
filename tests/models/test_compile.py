"""What the user may override at compile time, and how bad overrides fail."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError


def test_defaults_are_loss_and_metric_objects() -> None:
    model = tfs.models.dense(3, classes=4, hidden=(4,))
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    config = model.get_compile_config()
    assert isinstance(config["loss"], dict)  # serialized object, not a string
    assert all(isinstance(metric, dict) for metric in config["metrics"])


def test_optimizer_by_name_with_learning_rate() -> None:
    model = tfs.models.linear(2, optimizer="sgd", learning_rate=0.5)
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert float(model.optimizer.learning_rate) == pytest.approx(0.5)


def test_optimizer_instance_is_used_as_is() -> None:
    optimizer = keras.optimizers.RMSprop(learning_rate=0.02)
    model = tfs.models.logistic(3, optimizer=optimizer)
    assert model.optimizer is optimizer


def test_learning_rate_schedule() -> None:
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5)
    model = tfs.models.linear(2, learning_rate=schedule)
    assert model.optimizer.learning_rate is not None
    assert model.optimizer._learning_rate is schedule


def test_user_loss_and_metrics_replace_the_defaults() -> None:
    loss = keras.losses.Huber()
    metric = keras.metrics.RootMeanSquaredError(name="rmse")
    model = tfs.models.dense(3, hidden=(4,), loss=loss, metrics=[metric])
    x = np.ones((4, 3), "float32")
    logs = model.fit(x, np.zeros((4, 1), "float32"), verbose=0).history
    assert model.loss is loss
    assert set(logs) == {"loss", "rmse"}


def test_default_metric_names_are_the_log_keys() -> None:
    model = tfs.models.logistic(2)
    x = np.array([[0.0, 1.0], [1.0, 0.0]], "float32")
    logs = model.fit(x, np.array([0, 1]), verbose=0).history
    assert set(logs) == {"loss", "accuracy", "auc"}


def test_string_loss_is_rejected_with_the_object_to_pass() -> None:
    with pytest.raises(
        ArgumentTypeError,
        match=r"`loss` must be a keras.losses.Loss.*'mse'.*MeanSquaredError\(\)",
    ):
        tfs.models.linear(2, loss="mse")  # type: ignore[arg-type]


def test_string_metrics_are_rejected() -> None:
    with pytest.raises(
        ArgumentTypeError,
        match=r"`metrics\[0\]` must be a keras.metrics.Metric.*'accuracy'",
    ):
        tfs.models.logistic(2, metrics=["accuracy"])  # type: ignore[list-item]
    with pytest.raises(ArgumentTypeError, match=r"`metrics` must be a list"):
        tfs.models.logistic(2, metrics="accuracy")  # type: ignore[arg-type]


def test_instance_and_learning_rate_conflict() -> None:
    with pytest.raises(
        ConfigError, match=r"both an optimizer instance \(SGD\) and learning_rate=0.1"
    ):
        tfs.models.linear(2, optimizer=keras.optimizers.SGD(), learning_rate=0.1)


def test_an_optimizer_cannot_train_two_models() -> None:
    optimizer = keras.optimizers.Adam()
    first = tfs.models.linear(2, optimizer=optimizer)
    first.fit(np.ones((2, 2), "float32"), np.ones((2, 1), "float32"), verbose=0)
    with pytest.raises(
        ConfigError, match=r"already trains another model.*fresh instance"
    ):
        tfs.models.linear(2, optimizer=optimizer)


def test_unknown_optimizer_name() -> None:
    with pytest.raises(
        ConfigError, match=r"`optimizer`='adamm' is not a Keras optimizer"
    ):
        tfs.models.cnn((8, 8), 3, filters=(2,), optimizer="adamm")


def test_optimizer_of_wrong_type() -> None:
    with pytest.raises(
        ArgumentTypeError, match=r"`optimizer` must be a name.*got 3 of type int"
    ):
        tfs.models.dense(2, optimizer=3)  # type: ignore[arg-type]


@pytest.mark.parametrize("rate", [0.0, -1e-3, float("nan"), float("inf")])
def test_learning_rate_must_be_positive_and_finite(rate: float) -> None:
    with pytest.raises(
        ConfigError, match=r"`learning_rate` must be a positive, finite number"
    ):
        tfs.models.logistic(2, learning_rate=rate)


def test_learning_rate_of_wrong_type() -> None:
    with pytest.raises(
        ArgumentTypeError, match=r"`learning_rate` must be a float.*'fast'"
    ):
        tfs.models.linear(2, learning_rate="fast")  # type: ignore[arg-type]
