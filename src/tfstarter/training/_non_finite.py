"""Stop training, and say where, when the loss becomes NaN or Inf."""

from __future__ import annotations

import math
from typing import Any

import keras

from tfstarter.errors import TrainingError


def non_finite_error(
    value: float, *, epoch: int, begin: int, end: int
) -> TrainingError:
    """The error raised when the running loss is NaN or Inf after a batch.

    Example:
        >>> print(non_finite_error(float("nan"), epoch=2, begin=17, end=17))
        the loss became nan at epoch 3, batch 17 (0-based batch index within the epoch). Lower the learning rate, clip the gradients (e.g. clipping=GradientClipping('global_norm', 1.0)), check the inputs for NaN/Inf, or pass on_non_finite='ignore' to go on.
    """  # noqa: E501
    where = f"batch {end}" if begin == end else f"one of batches {begin}-{end}"
    return TrainingError(
        f"the loss became {value} at epoch {epoch + 1}, {where} (0-based batch "
        f"index within the epoch). Lower the learning rate, clip the gradients "
        f"(e.g. clipping=GradientClipping('global_norm', 1.0)), check the inputs "
        f"for NaN/Inf, or pass on_non_finite='ignore' to go on."
    )


def loss_value(logs: Any) -> float | None:
    """The ``loss`` entry of ``logs`` as a float, or None when there is none.

    Example:
        >>> loss_value({"loss": 0.5}), loss_value({})
        (0.5, None)
    """
    if not logs or "loss" not in logs:
        return None
    return float(logs["loss"])


def is_bad(value: float | None) -> bool:
    """Whether ``value`` is a NaN or infinite loss."""
    return value is not None and not math.isfinite(value)


class NonFiniteGuard(keras.callbacks.Callback):  # type: ignore[misc]
    """Raise `TrainingError` from ``model.fit`` when the loss is NaN or Inf.

    The fit loop adds it after the user's callbacks (the custom loop checks
    the same value inline). It is ``async_safe``: Keras may run it on its
    callback thread, so the error can surface a batch or two later, but it
    names the batch where the loss first went bad.

    Example:
        >>> guard = NonFiniteGuard()
        >>> guard.on_epoch_begin(0)
        >>> guard.on_train_batch_end(3, {"loss": float("inf")})
        Traceback (most recent call last):
        ...
        tfstarter.errors.TrainingError: the loss became inf at epoch 1, batch 3 ...
    """

    async_safe = True

    def __init__(self, steps_per_execution: int = 1) -> None:
        super().__init__()
        self._epoch = 0
        self._steps_per_execution = steps_per_execution

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Remember the epoch for the message."""
        self._epoch = epoch

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        """Check the running loss after each compiled call."""
        value = loss_value(logs)
        if is_bad(value):
            assert value is not None
            begin = max(0, batch - self._steps_per_execution + 1)
            raise non_finite_error(value, epoch=self._epoch, begin=begin, end=batch)
