"""Recipes: validated settings, and a cosine schedule that drives the optimizer."""

from __future__ import annotations

import itertools
import math

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError
from tfstarter.models._recipes import CosineOverEpochs


def test_published_recipes_are_valid() -> None:
    for recipe in (tfs.models.CNN_RECIPE, tfs.models.DENSE_RECIPE):
        assert recipe.epochs >= 1 and recipe.batch_size >= 1
        assert 0.0 < recipe.validation_split < 1.0
        assert recipe.schedule == "cosine"


def test_cosine_starts_at_the_optimizer_rate_and_decays_to_near_zero() -> None:
    schedule = CosineOverEpochs(10)
    rates = [schedule(epoch, 123.0) for epoch in range(10)]
    assert rates[0] == 123.0
    assert all(a > b for a, b in itertools.pairwise(rates))
    assert rates[-1] == pytest.approx(123.0 * 0.5 * (1 + math.cos(math.pi * 0.9)))


def test_cosine_counts_from_the_first_epoch_it_sees() -> None:
    # Resumed training (initial_epoch=3) starts a full cycle at the current rate.
    schedule = CosineOverEpochs(4)
    assert schedule(3, 0.01) == pytest.approx(0.01)
    assert schedule(5, 999.0) == pytest.approx(0.005)
    assert schedule(9, 999.0) == pytest.approx(0.0)


def test_schedule_drives_fit() -> None:
    model = tfs.models.linear(2, learning_rate=0.1)
    recipe = tfs.models.Recipe(epochs=4, batch_size=8, validation_split=0.25)
    x = np.random.default_rng(0).standard_normal((16, 2)).astype("float32")
    history = model.fit(x, x[:, :1], verbose=0, **recipe.fit_kwargs())
    assert history.history["learning_rate"] == pytest.approx(
        [
            0.1,
            0.1 * 0.5 * (1 + math.cos(math.pi / 4)),
            0.05,
            0.1 * 0.5 * (1 + math.cos(3 * math.pi / 4)),
        ],
        rel=1e-5,
    )
    assert len(history.history["val_loss"]) == 4


def test_constant_schedule_has_no_callbacks() -> None:
    recipe = tfs.models.Recipe(epochs=2, batch_size=4, schedule="constant")
    assert recipe.callbacks() == []
    assert recipe.fit_kwargs()["callbacks"] == []


def test_each_call_gives_fresh_callbacks() -> None:
    recipe = tfs.models.CNN_RECIPE
    first, second = recipe.callbacks(), recipe.callbacks()
    assert first[0] is not second[0]
    assert isinstance(first[0], keras.callbacks.LearningRateScheduler)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ConfigError, r"`epochs` must be a positive integer, got 0"),
        ({"batch_size": -1}, ConfigError, r"`batch_size` must be a positive integer"),
        (
            {"batch_size": 1.5},
            ArgumentTypeError,
            r"`batch_size` must be a positive integer",
        ),
        (
            {"validation_split": 1.0},
            ConfigError,
            r"`validation_split` must be in \[0.0, 1.0\)",
        ),
        (
            {"schedule": "linear"},
            ConfigError,
            r"`schedule` must be one of 'constant', 'cosine'",
        ),
    ],
)
def test_bad_recipes(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    arguments: dict[str, object] = {"epochs": 3, "batch_size": 32, **kwargs}
    with pytest.raises(error, match=match):
        tfs.models.Recipe(**arguments)  # type: ignore[arg-type]
