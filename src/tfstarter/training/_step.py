"""The per-batch computation that both loops run.

`Step.train` is the update ``model.fit`` performs on one batch — forward pass
under a ``tf.GradientTape``, the model's ``compute_loss`` (compiled loss plus
regularisation and ``add_loss`` terms), the loss tracker behind the ``loss``
log, ``optimizer.scale_loss`` (dynamic loss scaling under ``mixed_float16``),
``optimizer.apply_gradients`` (which also clips and accumulates when the
optimizer is configured to; XLA-compiled on its own under
``jit_compile="auto"``, called only where the NaN guard's checks of the loss
and gradients pass, with its weight check inside, see `XlaUpdate`) and
``model.compute_metrics``. The custom loop compiles it itself; the fit
loop installs it as the model's ``train_step`` while ``model.fit`` runs.
Either way the same Python function is traced, and `Step.trace_counts`
counts how often. A model that overrides ``train_step`` (or ``test_step`` /
``predict_step``) keeps its own: both loops then run it.
"""

from __future__ import annotations

import warnings
from collections import Counter
from typing import Any

import keras
import tensorflow as tf

from tfstarter.errors import ConfigError
from tfstarter.training import _compat
from tfstarter.training._gradient_probe import GradientProbe
from tfstarter.training._non_finite import TRIPPED_LOG, NonFiniteWatch
from tfstarter.training._xla import XlaUpdate


def _batch_size(x: Any) -> Any:
    """The number of samples in a batch of (possibly nested) inputs."""
    first = next(leaf for leaf in tf.nest.flatten(x) if leaf is not None)
    return tf.shape(first)[0]


class Step:
    """The train / test / predict computations on one batch of ``model``.

    Args:
        model: a compiled `keras.Model`.
        probe: where to record the gradients for callbacks that ask for them,
            or ``None``.
        watch: the NaN guard (see `NonFiniteWatch`), or ``None``.
        xla_update: applies the gradients with an XLA-compiled update, or
            ``None`` (the optimizer's plain ``apply_gradients``).

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> step = Step(model)
        >>> logs = step.train((tf.ones((4, 2)), tf.zeros((4, 1))))
        >>> sorted(logs), step.trace_counts["train"]
        (['loss'], 1)
    """

    def __init__(
        self,
        model: Any,
        *,
        probe: GradientProbe | None = None,
        watch: NonFiniteWatch | None = None,
        xla_update: XlaUpdate | None = None,
    ) -> None:
        self.model = model
        self.probe = probe
        self.watch = watch
        self.xla_update = xla_update
        self.trace_counts: Counter[str] = Counter()
        self._uses_training_arg = _compat.call_takes_training(model)
        # A model that overrides Keras' steps keeps them, in both loops.
        self._own = {
            kind: _compat.own_step(model, f"{kind}_step")
            for kind in ("train", "test", "predict")
        }
        if probe is not None and self._own["train"] is not None:
            raise ConfigError(
                f"a callback asks for the gradients (on_gradient_norm / "
                f"on_gradients), but `model` ({type(model).__name__}) computes "
                f"them in its own train_step, where the Trainer cannot see them. "
                f"Record them inside that train_step, or drop the hook."
            )

    def _forward(self, x: Any, *, training: bool) -> Any:
        if self._uses_training_arg:
            return self.model(x, training=training)
        return self.model(x)

    def train(self, data: Any) -> dict[str, Any]:
        """Run one optimisation step on ``data`` and return the batch logs."""
        self.trace_counts["train"] += 1
        if self._own["train"] is not None:
            return dict(self._own["train"](data))
        model = self.model
        optimizer = model.optimizer
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        watch = self.watch
        kept = watch.before() if watch is not None else []
        with tf.GradientTape() as tape:
            y_pred = self._forward(x, training=True)
            loss = _compat.compute_loss(
                model, x, y, y_pred, sample_weight, training=True
            )
            _compat.loss_tracker(model).update_state(
                _compat.unscale_loss_for_distribution(loss),
                sample_weight=_batch_size(x),
            )
            raw_loss = loss
            if optimizer is not None:
                loss = optimizer.scale_loss(loss)
        variables = model.trainable_variables
        if variables:
            gradients = tape.gradient(loss, variables)
            if self.probe is not None:
                self.probe.record(gradients, loss_scale(optimizer))
            if watch is None:
                self._apply(gradients, variables)
            else:
                self._apply_guarded(watch, kept, raw_loss, gradients, variables)
        else:
            warnings.warn(
                "The model has no trainable weights; the step only updates the "
                "metrics.",
                stacklevel=2,
            )
            if watch is not None:
                watch.after(raw_loss, watch.hold(kept))
        logs: dict[str, Any] = model.compute_metrics(
            x, y, y_pred, sample_weight=sample_weight
        )
        if watch is not None:
            # Popped by the loops (NonFiniteWatch.take) before any hook.
            logs = {**logs, TRIPPED_LOG: watch.flag()}
        return logs

    def _apply_guarded(
        self,
        watch: NonFiniteWatch,
        kept: list[Any],
        loss: Any,
        gradients: Any,
        variables: Any,
    ) -> None:
        """The update under the NaN guard (see `NonFiniteWatch.update`).

        Inside the XLA-compiled update where that runs (the old weights then
        cost no copy), else around the update.
        """
        if self.xla_update is not None and self.xla_update.apply_watched(
            gradients, variables, watch=watch, loss=loss, kept=kept
        ):
            return
        watch.update(
            loss,
            gradients,
            kept,
            lambda allowed: self._apply_if(allowed, gradients, variables),
        )

    def _apply_if(self, allowed: Any, gradients: Any, variables: Any) -> None:
        """Apply the gradients where ``allowed`` (the NaN guard's verdict).

        Under a strategy whose optimizer aggregates with ``merge_call``, the
        condition must be taken in the cross-replica context (as Keras'
        `keras.optimizers.LossScaleOptimizer` does); there, the first
        replica's verdict decides for all.
        """

        def skip() -> Any:
            return tf.constant(False)

        def apply() -> Any:
            self._apply(gradients, variables)
            return tf.constant(True)

        if tf.distribute.has_strategy():
            # Every replica (and worker) must take the same branch: the
            # update all-reduces the gradients.
            refused = tf.distribute.get_replica_context().all_reduce(
                tf.distribute.ReduceOp.SUM, tf.cast(tf.logical_not(allowed), tf.int32)
            )
            allowed = tf.equal(refused, 0)
        if not tf.distribute.has_strategy() or _compat.no_merge_call():
            tf.cond(allowed, apply, skip)
            return

        def cross_replica(distribution: Any, allowed: Any, gradients: Any) -> None:
            first = distribution.experimental_local_results(allowed)[0]

            def apply_all() -> Any:
                distribution.extended.call_for_each_replica(
                    self._apply, args=(gradients, variables)
                )
                return tf.constant(True)

            tf.cond(first, apply_all, skip)

        tf.distribute.get_replica_context().merge_call(
            cross_replica, args=(allowed, gradients)
        )

    def _apply(self, gradients: Any, variables: Any) -> None:
        if self.xla_update is not None:
            self.xla_update.apply(gradients, variables)
        else:
            self.model.optimizer.apply_gradients(zip(gradients, variables, strict=True))

    def test(self, data: Any) -> dict[str, Any]:
        """Evaluate ``data`` (no update) and return the batch logs."""
        self.trace_counts["test"] += 1
        if self._own["test"] is not None:
            return dict(self._own["test"](data))
        model = self.model
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
        y_pred = self._forward(x, training=False)
        loss = _compat.compute_loss(model, x, y, y_pred, sample_weight, training=False)
        _compat.loss_tracker(model).update_state(
            _compat.unscale_loss_for_distribution(loss),
            sample_weight=_batch_size(x),
        )
        logs: dict[str, Any] = model.compute_metrics(
            x, y, y_pred, sample_weight=sample_weight
        )
        return logs

    def predict(self, data: Any) -> Any:
        """Return the model's outputs on the inputs of ``data``."""
        self.trace_counts["predict"] += 1
        if self._own["predict"] is not None:
            return self._own["predict"](data)
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return self._forward(x, training=False)


def loss_scale(optimizer: Any) -> Any:
    """The factor ``optimizer.scale_loss`` multiplies the loss by (1 if none).

    Examples:
        >>> float(loss_scale(keras.optimizers.SGD()))
        1.0
    """
    if optimizer is None:
        return tf.constant(1.0)
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        if not optimizer.built:
            raise RuntimeError(
                "the LossScaleOptimizer must be built before the step is traced"
            )
        return tf.cast(optimizer.dynamic_scale, tf.float32)
    dynamic = getattr(optimizer, "dynamic_scale", None)
    if dynamic is not None:
        return tf.cast(tf.convert_to_tensor(dynamic), tf.float32)
    factor = getattr(optimizer, "loss_scale_factor", None)
    return tf.constant(float(factor) if factor else 1.0)
