"""Stop training, and say where, when the loss becomes NaN or Inf."""

from __future__ import annotations

import math
from typing import Any

import keras
import tensorflow as tf

from tfstarter.errors import TrainingError


def non_finite_error(value: float, *, epoch: int, batch: int) -> TrainingError:
    """The error raised when the loss of a batch is NaN or Inf.

    Examples:
        >>> print(non_finite_error(float("nan"), epoch=2, batch=17))
        the loss became nan at epoch 3, batch 17 (0-based batch index within the epoch). Lower the learning rate, clip the gradients (e.g. clipping=GradientClipping('global_norm', 1.0)), check the inputs for NaN/Inf, or pass on_non_finite='ignore' to go on.
    """  # noqa: E501
    return TrainingError(
        f"the loss became {value} at epoch {epoch + 1}, batch {batch} (0-based batch "
        f"index within the epoch). Lower the learning rate, clip the gradients "
        f"(e.g. clipping=GradientClipping('global_norm', 1.0)), check the inputs "
        f"for NaN/Inf, or pass on_non_finite='ignore' to go on."
    )


class NonFiniteWatch:
    """In-graph record of the first batch of an epoch whose loss was NaN or Inf.

    The shared step calls `observe` on every batch's loss; the loops reset it
    at each epoch and read it after each compiled call, so the error names the
    exact batch even when one call runs many.

    Examples:
        >>> watch = NonFiniteWatch()
        >>> for loss in (0.5, float("nan"), float("inf")):
        ...     watch.observe(tf.constant(loss))
        >>> watch.first_bad()
        (1, nan)
    """

    def __init__(self) -> None:
        aggregation = tf.VariableAggregation.ONLY_FIRST_REPLICA
        on_read = tf.VariableSynchronization.ON_READ
        self._batch = tf.Variable(
            0,
            dtype=tf.int64,
            trainable=False,
            synchronization=on_read,
            aggregation=aggregation,
        )
        self._first = tf.Variable(
            -1,
            dtype=tf.int64,
            trainable=False,
            synchronization=on_read,
            aggregation=aggregation,
        )
        self._value = tf.Variable(
            0.0,
            dtype=tf.float32,
            trainable=False,
            synchronization=on_read,
            aggregation=aggregation,
        )

    def observe(self, loss: Any) -> None:
        """Note ``loss`` (inside the compiled step)."""
        loss = tf.cast(loss, tf.float32)
        bad = tf.logical_and(tf.logical_not(tf.math.is_finite(loss)), self._first < 0)
        self._first.assign(tf.where(bad, self._batch, self._first))
        self._value.assign(tf.where(bad, loss, self._value))
        self._batch.assign_add(1)

    def reset(self) -> None:
        """Start counting batches from 0 (at the start of an epoch)."""
        self._batch.assign(0)
        self._first.assign(-1)

    def first_bad(self) -> tuple[int, float] | None:
        """``(batch, loss)`` of the first non-finite loss since `reset`, or None."""
        first = int(self._first.numpy())
        if first < 0:
            return None
        return first, float(self._value.numpy())

    def check(self, epoch: int, *, batch: int, value: float | None = None) -> None:
        """Raise `TrainingError` if a loss of this epoch was NaN or Inf.

        ``batch`` and ``value`` describe the call that showed it, for when the
        watch saw nothing (under a distribution strategy it watches the first
        replica, and another replica's loss may have gone bad first).
        """
        found = self.first_bad()
        if found is not None:
            raise non_finite_error(found[1], epoch=epoch, batch=found[0])
        if value is not None and not math.isfinite(value):
            raise non_finite_error(value, epoch=epoch, batch=batch)

    def check_logs(self, logs: Any, *, epoch: int, batch: int) -> None:
        """`check` when the running loss in ``logs`` is NaN or Inf (or absent).

        The epoch's running loss turns NaN/Inf with the first bad batch, and
        reading it from the returned logs is cheaper than reading the watch,
        which is read only when there is something to report.
        """
        loss = (logs or {}).get("loss")
        value = None if loss is None else float(loss)
        if value is None or not math.isfinite(value):
            self.check(epoch, batch=batch, value=value)


class NonFiniteGuard(keras.callbacks.Callback):  # type: ignore[misc]
    """Raise `TrainingError` from ``model.fit`` when a batch's loss is NaN or Inf.

    The fit loop adds it after the user's callbacks (the custom loop checks
    the same watch inline). It is ``async_safe``: Keras may run it on its
    callback thread, so the error can surface a call later, but it names the
    batch whose loss first went bad.

    Args:
        watch: the watch the shared step writes into.

    Examples:
        >>> watch = NonFiniteWatch()
        >>> guard = NonFiniteGuard(watch)
        >>> guard.on_epoch_begin(0)
        >>> for loss in (0.1, 0.2, float("inf")):
        ...     watch.observe(tf.constant(loss))
        >>> guard.on_train_batch_end(31, {"loss": float("inf")})
        Traceback (most recent call last):
        ...
        tfstarter.errors.TrainingError: the loss became inf at epoch 1, batch 2 ...
    """

    async_safe = True

    def __init__(self, watch: NonFiniteWatch) -> None:
        super().__init__()
        self._watch = watch
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Reset the watch and remember the epoch for the message."""
        self._epoch = epoch
        self._watch.reset()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        """Check the running loss after each call; on NaN/Inf, find the batch."""
        self._watch.check_logs(logs, epoch=self._epoch, batch=batch)
