"""`EpochExtras`: the learning rate and wall time of each epoch, added to its logs.

Placed before ``keras.callbacks.CSVLogger`` in the callback list, it makes
the CSV (and the History) hold ``learning_rate`` and ``epoch_seconds`` beside
the metrics, whether or not a learning-rate scheduler runs.
"""

from __future__ import annotations

import time
from typing import Any

import keras
import numpy as np


def current_learning_rate(model: keras.Model) -> float:
    """Return the learning rate the model's optimizer applies at its current step.

    Examples:
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=keras.optimizers.SGD(0.25), loss="mse")
        >>> current_learning_rate(model)
        0.25
    """
    rate = model.optimizer.learning_rate
    return float(np.asarray(keras.ops.convert_to_numpy(rate)))


class EpochExtras(keras.callbacks.Callback):  # type: ignore[misc]
    """Add ``learning_rate`` and ``epoch_seconds`` to every epoch's logs.

    The learning rate is the one a scheduler logged for the epoch (a
    per-batch schedule logs its last batch's), else the optimizer's rate
    when the epoch ends, before any callback after this one changes it.

    Examples:
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
        >>> extras = EpochExtras()
        >>> extras.set_model(model)
        >>> logs = {"loss": 1.0}
        >>> extras.on_epoch_begin(0)
        >>> extras.on_epoch_end(0, logs)
        >>> logs["learning_rate"], logs["epoch_seconds"] >= 0
        (0.5, True)
    """

    def __init__(self) -> None:
        super().__init__()
        self._start = time.perf_counter()

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Note the time."""
        del epoch, logs
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Write the learning rate and the epoch's duration into ``logs``."""
        del epoch
        if logs is not None:
            logs.setdefault("learning_rate", current_learning_rate(self.model))
            logs["epoch_seconds"] = time.perf_counter() - self._start
