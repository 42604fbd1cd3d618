"""The model a Trainer accepts: a Keras model with a loss and an optimizer."""

from __future__ import annotations

from typing import Any

import keras

from tfstarter._checks import describe
from tfstarter.errors import ArgumentTypeError, ConfigError
from tfstarter.training import _compat

DEFAULT_OPTIMIZER = "adam"


def check_model(model: object) -> keras.Model:
    """Return ``model`` if it is a `keras.Model`, else raise.

    Raises:
        ArgumentTypeError: for anything else (e.g. a layer or a builder function).

    Examples:
        >>> check_model(keras.Sequential([keras.layers.Dense(1)])).name.startswith(
        ...     "sequential"
        ... )
        True
    """
    if isinstance(model, keras.Model):
        return model
    hint = (
        " It is a function: call it to build the model first."
        if callable(model) and not isinstance(model, keras.layers.Layer)
        else " Wrap layers in keras.Sequential([...]) or build one with tfs.models."
    )
    raise ArgumentTypeError(
        f"`model` must be a keras.Model, got {describe(model)} of type "
        f"{type(model).__name__}.{hint}"
    )


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

    With none of ``loss``, ``optimizer``, ``metrics`` the model is used as
    compiled. With any of them the model is (re)compiled; what is not given
    is kept from an earlier ``compile`` (the optimizer defaults to Adam).

    Raises:
        ConfigError: if the model ends up without a loss (and does not compute
            one itself), or is not compiled and nothing was given.

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> prepare_model(model, loss="mse")
        >>> model.loss, type(model.optimizer).__name__
        ('mse', 'Adam')
    """
    if loss is None and optimizer is None and metrics is None:
        if not model.compiled:
            raise ConfigError(
                "`model` is not compiled and no `loss` was given, so there is "
                "nothing to train it on. Pass loss= (and optionally optimizer=, "
                "metrics=) to the Trainer, or call model.compile(...) first."
            )
    else:
        if optimizer is None:
            optimizer = model.optimizer if model.compiled else DEFAULT_OPTIMIZER
        if loss is None and model.compiled:
            loss = model.loss
        if metrics is None and model.compiled:
            metrics = _compat.compiled_metrics(model)
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    own_losses = bool(model.built and model.losses)  # add_loss() terms only
    if (
        getattr(model, "loss", None) is None
        and not own_losses
        and not _has_own_loss_logic(model)
    ):
        raise ConfigError(
            f"`model` ({model.name}) was compiled without a loss, and none was "
            f"given (loss=None). Pass loss= to the Trainer, e.g. "
            f"loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), "
            f"or compile the model with one."
        )
