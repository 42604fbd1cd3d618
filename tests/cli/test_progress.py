"""The live progress line, the epoch summary, and the per-epoch extras in the CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.cli._epoch_log import EpochExtras
from tfstarter.cli._progress import Progress, live_line, summary_line


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _drive(progress: Progress, clock: _Clock, *, batches: int, step: float) -> None:
    progress.set_params({"epochs": 2, "steps": batches})
    progress.on_epoch_begin(0)
    for batch in range(batches):
        clock.now += step
        progress.on_train_batch_end(batch, {"loss": 1.0 / (batch + 1)})
    progress.on_epoch_end(0, {"loss": 0.5, "val_loss": 0.75})


def test_a_terminal_gets_a_line_rewritten_in_place(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = _Clock()
    monkeypatch.setattr("tfstarter.cli._progress.time.perf_counter", clock)
    live, summary = io.StringIO(), io.StringIO()
    progress = Progress(
        batch_size=10, samples=100, stream=live, summary_stream=summary, terminal=True
    )
    _drive(progress, clock, batches=10, step=0.2)
    updates = live.getvalue().split("\r")
    assert len(updates) >= 10
    assert "epoch 1/2  1/10 batches  50 samples/s  loss 1" in updates[1]
    assert "1.8 s left" in updates[1]
    assert updates[-1] == ""  # the live line is cleared before the summary
    assert summary.getvalue() == (
        "epoch 1/2  loss 0.5  val_loss 0.75  2.0 s  50 samples/s\n"
    )


def test_a_log_file_gets_a_line_every_30_seconds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = _Clock()
    monkeypatch.setattr("tfstarter.cli._progress.time.perf_counter", clock)
    live = io.StringIO()
    progress = Progress(
        batch_size=10,
        samples=100,
        stream=live,
        summary_stream=io.StringIO(),
        terminal=False,
    )
    _drive(progress, clock, batches=10, step=10.0)
    lines = live.getvalue().splitlines()
    assert [line.split()[2] for line in lines] == ["3/10", "6/10", "9/10"]
    assert "\r" not in live.getvalue()


def test_quiet_prints_only_the_summary(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = _Clock()
    monkeypatch.setattr("tfstarter.cli._progress.time.perf_counter", clock)
    live, summary = io.StringIO(), io.StringIO()
    progress = Progress(
        batch_size=10,
        samples=100,
        live=False,
        stream=live,
        summary_stream=summary,
        terminal=True,
    )
    _drive(progress, clock, batches=10, step=1.0)
    assert live.getvalue() == ""
    assert summary.getvalue().startswith("epoch 1/2  loss 0.5")


def test_lines_without_a_known_length() -> None:
    line = live_line(
        epoch=0, epochs=1, done=5, total=None, loss=None, seconds=1.0, batch_size=2
    )
    assert line == "epoch 1/1  5 batches  10 samples/s"
    assert summary_line(
        0, 1, {"learning_rate": 0.001, "epoch_seconds": 3.0}, 0.0, 0
    ) == ("epoch 1/1  lr 0.001  0.0 s")


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_extras_reach_the_csv_in_both_loops(tmp_path: Path, loop: str) -> None:
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = tfs.models.linear(3)
    trainer = tfs.Trainer(model, loop=loop, jit_compile=False)
    path = tmp_path / "metrics.csv"
    trainer.fit(
        x,
        y,
        epochs=3,
        batch_size=16,
        verbose=0,
        validation_split=0.25,
        seed=0,
        callbacks=[
            keras.callbacks.LearningRateScheduler(
                lambda epoch, rate: 0.1 / (epoch + 1)
            ),
            EpochExtras(),
            keras.callbacks.CSVLogger(str(path)),
        ],
    )
    with path.open() as stream:
        rows = list(csv.DictReader(stream))
    assert [float(row["learning_rate"]) for row in rows] == pytest.approx(
        [0.1, 0.05, 0.1 / 3]
    )
    assert all(float(row["epoch_seconds"]) > 0 for row in rows)
    assert {"loss", "val_loss", "mae", "val_mae"} <= set(rows[0])
