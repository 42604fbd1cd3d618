"""A backup taken after an epoch's last train call resumes to the same logs.

A run can stop between an epoch's last train call and its end (a SIGTERM
during validation, say): the backup then says the epoch's batches are all
done, and the resumed epoch runs no train call. Its logs must still hold
the epoch's training metrics, as in a run that never stopped: they come
from the metrics' restored state.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

import tfstarter as tfs

EPOCHS = 3


class CrashInValidation(keras.callbacks.Callback):
    """Raises when validation of epoch ``epoch`` begins: a crash there."""

    def __init__(self, epoch: int) -> None:
        super().__init__()
        self.epoch = epoch
        self._current = -1

    def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
        self._current = epoch

    def on_test_begin(self, logs: object = None) -> None:
        if self._current == self.epoch:
            raise RuntimeError("crashed in validation")


def _fit(loop: str, backup_dir: object, crash: int | None = None) -> dict:
    keras.utils.set_random_seed(0)
    model = tfs.models.dense(4, classes=3, hidden=(8,), learning_rate=0.01, seed=0)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = rng.integers(0, 3, size=64)
    history = tfs.Trainer(
        model, loop
    ).fit(
        tfs.data.from_arrays(x, y, batch_size=16),  # 4 batches an epoch
        validation_data=tfs.data.from_arrays(x[:32], y[:32], batch_size=16),
        epochs=EPOCHS,
        verbose=0,
        callbacks=[] if crash is None else [CrashInValidation(crash)],
        backup_dir=backup_dir,
        backup_every=4,
    )
    return dict(history.history)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_a_resume_after_the_epochs_last_call_keeps_its_training_logs(loop, tmp_path):
    reference = _fit(loop, None)
    with pytest.raises(RuntimeError, match="crashed in validation"):
        _fit(loop, tmp_path / "backup", crash=1)
    resumed = _fit(loop, tmp_path / "backup")
    assert sorted(resumed) == sorted(reference)
    for name, values in reference.items():
        assert resumed[name] == pytest.approx(values, rel=1e-5), name
