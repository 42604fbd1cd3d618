"""Where the step leaves its gradients for callbacks that want to see them.

Keras callbacks only see ``logs``; gradients live inside the compiled step. A
`GradientProbe` holds variables the step writes into (the global norm, and the
gradients themselves only when a callback asks for them), and hands their
values to the tfstarter hooks after each compiled call. Nothing is recorded,
and the step is unchanged, unless a callback overrides one of those hooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import numpy.typing as npt
import tensorflow as tf


class GradientProbe:
    """Variables that hold the last step's unscaled gradients and their norm.

    Args:
        variables: the model's trainable variables, in the order the step
            differentiates them.
        keep_values: also keep a copy of every gradient (costs one extra
            buffer per variable), not only the global norm.

    Examples:
        >>> import keras
        >>> w = keras.Variable(np.zeros(3, "float32"), name="w")
        >>> probe = GradientProbe([w], keep_values=False)
        >>> probe.record([tf.constant([3.0, 0.0, 4.0])], tf.constant(1.0))
        >>> probe.norm()
        5.0
    """

    def __init__(self, variables: Sequence[Any], *, keep_values: bool) -> None:
        self.paths = [str(getattr(v, "path", v.name)) for v in variables]
        # ONLY_FIRST_REPLICA: under a distribution strategy each replica holds
        # the same all-reduced gradients by the time they are applied; the
        # probe reports replica 0's.
        aggregation = tf.VariableAggregation.ONLY_FIRST_REPLICA
        on_read = tf.VariableSynchronization.ON_READ
        self._norm = tf.Variable(
            0.0,
            trainable=False,
            name="gradient_norm",
            synchronization=on_read,
            aggregation=aggregation,
        )
        self.keeps_values = keep_values
        self._values = (
            [
                tf.Variable(
                    tf.zeros(v.shape, tf.float32),
                    trainable=False,
                    name="gradient",
                    synchronization=on_read,
                    aggregation=aggregation,
                )
                for v in variables
            ]
            if keep_values
            else []
        )

    def record(self, gradients: Sequence[Any], scale: Any) -> None:
        """Store ``gradients / scale`` (inside the compiled step)."""
        present = [g for g in gradients if g is not None]
        norm = tf.linalg.global_norm(present) if present else tf.constant(0.0)
        self._norm.assign(tf.cast(norm, tf.float32) / scale)
        if not self.keeps_values:
            return
        for slot, gradient in zip(self._values, gradients, strict=True):
            if gradient is None:
                slot.assign(tf.zeros_like(slot))
            elif isinstance(gradient, tf.IndexedSlices):
                slot.assign(tf.zeros_like(slot))
                slot.scatter_add(
                    tf.IndexedSlices(
                        tf.cast(gradient.values, tf.float32) / scale,
                        gradient.indices,
                        gradient.dense_shape,
                    )
                )
            else:
                slot.assign(tf.cast(gradient, tf.float32) / scale)

    def norm(self) -> float:
        """The global L2 norm of the last recorded gradients."""
        return float(self._norm.numpy())

    def values(self) -> dict[str, npt.NDArray[np.float32]]:
        """The last recorded gradients, keyed by variable path."""
        return {
            path: slot.numpy()
            for path, slot in zip(self.paths, self._values, strict=True)
        }


class GradientHookDispatcher(keras.callbacks.Callback):  # type: ignore[misc]
    """Calls the tfstarter gradient hooks after each compiled training call.

    Both loops put it after the user's callbacks, so the hooks run after every
    callback's ``on_train_batch_end`` for the same batch. It is not
    ``async_safe``: it must read the probe before the next call overwrites it.

    Args:
        probe: the probe the step writes into.
        callbacks: the callbacks whose hooks to call.

    Examples:
        >>> w = keras.Variable(np.zeros(2, "float32"), name="w")
        >>> probe = GradientProbe([w], keep_values=False)
        >>> seen = []
        >>> class Spy(keras.callbacks.Callback):
        ...     def on_gradient_norm(self, batch, norm):
        ...         seen.append((batch, norm))
        >>> probe.record([tf.constant([0.0, 2.0])], tf.constant(1.0))
        >>> GradientHookDispatcher(probe, [Spy()]).on_train_batch_end(0)
        >>> seen
        [(0, 2.0)]
    """

    batch_hooks_per_call = True

    def __init__(self, probe: GradientProbe, callbacks: Sequence[Any]) -> None:
        super().__init__()
        self._probe = probe
        self._norm_listeners = [
            cb for cb in callbacks if callable(getattr(cb, "on_gradient_norm", None))
        ]
        self._value_listeners = [
            cb for cb in callbacks if callable(getattr(cb, "on_gradients", None))
        ]

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        """Hand the probe's values to the hooks."""
        if self._norm_listeners:
            norm = self._probe.norm()
            for callback in self._norm_listeners:
                callback.on_gradient_norm(batch, norm)
        if self._value_listeners and self._probe.keeps_values:
            values = self._probe.values()
            for callback in self._value_listeners:
                callback.on_gradients(batch, values)
