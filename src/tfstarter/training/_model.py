"""The model a Trainer accepts: a Keras model with a loss and an optimizer."""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from tfstarter.errors import ConfigError
from tfstarter.training import _compat

DEFAULT_OPTIMIZER = "adam"


def _has_own_loss_logic(model: Any) -> bool:
    """Whether the model computes its loss itself (custom step or compute_loss)."""
    return (
        not _compat.default_train_step_is_used(model)
        or type(model).compute_loss is not keras.Model.compute_loss
    )


def prepare_model(
    model: keras.Model, *, loss: Any = None, optimizer: Any = None, metrics: Any = None
) -> None:
    """Compile ``model`` when the Trainer is given what to compile it with.

    With none of ``loss``, ``optimizer``, ``metrics`` the model is used as it
    is (an uncompiled model can still predict). With any of them the model is
    (re)compiled; what is not given is kept from an earlier ``compile`` (the
    optimizer defaults to Adam).

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> prepare_model(model, loss="mse")
        >>> model.loss, type(model.optimizer).__name__
        ('mse', 'Adam')
    """
    if loss is None and optimizer is None and metrics is None:
        return
    if optimizer is None:
        optimizer = model.optimizer if model.compiled else DEFAULT_OPTIMIZER
    if loss is None and model.compiled:
        loss = model.loss
    if metrics is None and model.compiled:
        metrics = _compat.compiled_metrics(model)
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)


def _adds_losses(model: keras.Model, element_spec: Any) -> bool:
    """Whether calling ``model`` on a batch adds ``add_loss`` terms.

    Keras collects them only while the model is called (``model.losses`` is
    empty before): this traces one forward pass on the batch's input spec in
    a `keras.StatelessScope` that collects them, running nothing and
    changing no variable.
    """
    x, _, _ = keras.utils.unpack_x_y_sample_weight(element_spec)
    found: list[bool] = []
    takes_training = _compat.call_takes_training(model)

    def forward(inputs: Any) -> Any:
        with keras.StatelessScope(collect_losses=True) as scope:
            if takes_training:
                model(inputs, training=True)
            else:
                model(inputs)
            found.append(bool(scope.losses))
        return tf.constant(0)

    tf.function(forward, autograph=False).get_concrete_function(x)
    return any(found)


def require_loss(model: keras.Model, *, action: str, element_spec: Any = None) -> None:
    """Check, once the model is built, that there is a loss to ``action`` with.

    A compiled loss, ``add_loss`` terms (found by tracing the model on
    ``element_spec``, the data's, when given), or a model that computes its
    own loss (its own ``train_step`` or ``compute_loss``) will do.

    Raises:
        ConfigError: if the model is not compiled, or has nothing to compute a
            loss from.

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> require_loss(model, action="fit")
        Traceback (most recent call last):
        ...
        tfstarter.errors.ConfigError: `model` is not compiled, so it cannot fit...
    """
    if not model.compiled:
        raise ConfigError(
            f"`model` is not compiled, so it cannot {action}: there is no loss "
            f"or optimizer. Pass loss= (and optionally optimizer=, metrics=) to "
            f"the Trainer, or call model.compile(...) first."
        )
    if (
        getattr(model, "loss", None) is None
        and not _has_own_loss_logic(model)
        and not (model.built and model.losses)  # regularisers, add_loss() terms
        and not (element_spec is not None and _adds_losses(model, element_spec))
    ):
        raise ConfigError(
            f"`model` ({model.name}) was compiled without a loss and adds none "
            f"itself (add_loss), so it cannot {action}. Pass loss= to the "
            f"Trainer, e.g. loss=keras.losses.SparseCategoricalCrossentropy("
            f"from_logits=True), or compile the model with one."
        )
