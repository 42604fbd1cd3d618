"""Learning-rate schedules keep their state through a `Trainer` backup.

A resumed run's optimizer holds the last rate a schedule set, not the rate
the schedule started from; `OneCycle` (its peak) and `CosineOverEpochs` (its
first epoch and base rate) define ``backup_state`` / ``restore_state``, and a
backup carries them. Here a run is stopped by an exception after two epochs
(the backup folder stays), and a fresh model and fresh callbacks resume it in
the same process; the rates must be those of an uninterrupted run.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.models import OneCycle
from tfstarter.models._schedules import CosineOverEpochs

EPOCHS = 4


class Stop(keras.callbacks.Callback):
    """Raises after ``epochs`` epochs ended: a crash."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch: int, logs: object = None) -> None:
        if epoch + 1 == self.epochs:
            raise RuntimeError("stopped")


def _schedule(kind: str) -> keras.callbacks.Callback:
    if kind == "one_cycle":
        return OneCycle(warmup=0.3)  # the peak is read from the optimizer
    return keras.callbacks.LearningRateScheduler(CosineOverEpochs(EPOCHS))


def _fit(loop: str, kind: str, backup_dir: object, stop: int = 0) -> list[float]:
    keras.utils.set_random_seed(0)
    model = tfs.models.dense(4, classes=3, hidden=(8,), learning_rate=0.01, seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.integers(0, 3, size=64)
    callbacks = [_schedule(kind)] + ([Stop(stop)] if stop else [])
    history = tfs.Trainer(model, loop).fit(
        tfs.data.from_arrays(x, y, batch_size=16),
        epochs=EPOCHS,
        verbose=0,
        callbacks=callbacks,
        backup_dir=backup_dir,
    )
    return [float(rate) for rate in history.history["learning_rate"]]


@pytest.mark.parametrize("kind", ["one_cycle", "cosine"])
@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_a_resumed_run_keeps_the_schedule(loop, kind, tmp_path):
    reference = _fit(loop, kind, None)
    with pytest.raises(RuntimeError, match="stopped"):
        _fit(loop, kind, tmp_path / "backup", stop=2)
    assert (tmp_path / "backup").is_dir()
    resumed = _fit(loop, kind, tmp_path / "backup")
    assert resumed == pytest.approx(reference, rel=1e-6)
