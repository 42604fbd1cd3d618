"""Schedules: cosine per epoch, one-cycle per batch, in both Trainer loops."""

from __future__ import annotations

import itertools
import math
from typing import Any

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ConfigError
from tfstarter.models._schedules import CosineOverEpochs, OneCycle, one_cycle_rate


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


def test_one_cycle_shape() -> None:
    progress = np.linspace(0, 1, 101)
    rates = [one_cycle_rate(p, peak=2.0, warmup=0.3) for p in progress]
    peak_at = int(np.argmax(rates))
    assert progress[peak_at] == pytest.approx(0.3)
    assert rates[peak_at] == pytest.approx(2.0)
    assert rates[0] == pytest.approx(2.0 / 25)
    assert rates[-1] == pytest.approx(2.0 / 1e4)
    assert all(a < b for a, b in itertools.pairwise(rates[: peak_at + 1]))
    assert all(a > b for a, b in itertools.pairwise(rates[peak_at:]))
    # no warm-up: start at the peak
    assert one_cycle_rate(0.0, peak=1.0, warmup=0.0) == pytest.approx(1.0)


class Rates(keras.callbacks.Callback):
    """Records the rate the optimizer has during every batch."""

    def __init__(self) -> None:
        super().__init__()
        self.rates: list[float] = []

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        self.rates.append(float(self.model.optimizer.learning_rate.numpy()))


def data() -> tuple[np.ndarray, np.ndarray]:
    x = np.random.default_rng(0).normal(size=(40, 3)).astype("float32")
    return x, x[:, :1]


@pytest.mark.parametrize("runner", ["keras", "fit", "custom"])
def test_one_cycle_sets_every_batch_the_same_in_every_loop(runner: str) -> None:
    x, y = data()
    model = tfs.models.linear(3, learning_rate=0.3)
    rates, cycle = Rates(), OneCycle(warmup=0.5)
    kwargs: dict[str, Any] = {"batch_size": 10, "epochs": 3, "verbose": 0}
    callbacks = [cycle, rates]
    if runner == "keras":
        history = model.fit(x, y, callbacks=callbacks, **kwargs)
    else:
        history = tfs.Trainer(model, runner).fit(x, y, callbacks=callbacks, **kwargs)
    expected = [one_cycle_rate(i / 11, peak=0.3, warmup=0.5) for i in range(12)]
    assert rates.rates == pytest.approx(expected, rel=1e-6)
    assert history.history["learning_rate"] == pytest.approx(
        [expected[3], expected[7], expected[11]], rel=1e-6
    )


def test_one_cycle_continues_the_same_cycle_when_resumed() -> None:
    x, y = data()
    whole, first, second = Rates(), Rates(), Rates()
    model = tfs.models.linear(3, learning_rate=0.3)
    model.fit(
        x, y, batch_size=10, epochs=4, verbose=0, callbacks=[OneCycle(0.2), whole]
    )
    model = tfs.models.linear(3, learning_rate=0.3)
    model.fit(
        x, y, batch_size=10, epochs=2, verbose=0, callbacks=[OneCycle(0.2), first]
    )
    model.fit(
        x,
        y,
        batch_size=10,
        epochs=4,
        initial_epoch=2,
        verbose=0,
        callbacks=[OneCycle(0.2), second],
    )
    assert whole.rates[8:] == pytest.approx(second.rates, rel=1e-6)


def test_one_cycle_needs_the_epoch_length() -> None:
    cycle = OneCycle(0.1)
    cycle.set_params({"epochs": 2, "steps": None})
    with pytest.raises(ConfigError, match=r"OneCycle needs the number of batches"):
        cycle.on_train_begin()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"peak": 0.0}, r"`peak` must be in \(0.0, inf\), got 0.0"),
        ({"warmup": 1.0}, r"`warmup` must be in \[0.0, 1.0\), got 1.0"),
    ],
)
def test_bad_one_cycle(kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        OneCycle(**kwargs)
