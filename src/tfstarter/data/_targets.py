"""What targets a model takes, read from its loss and its output.

A model does not say in words what labels it expects, but its loss and its
output layer do: a binary cross-entropy takes 0/1 labels, a sparse
categorical cross-entropy over ``n`` output units takes integers in
``[0, n)``, a categorical cross-entropy takes one-hot (or probability) rows
of ``n``, and a regression loss takes targets of the output's shape. This
module turns that into a `TargetRule`; `tfstarter.data._labels` checks data
against it.

Why our own code: Keras checks none of this. Out-of-range labels give a raw
``InvalidArgumentError`` (or, for a binary cross-entropy, train silently),
one-hot rows into a sparse loss give a rank message that never says
"one-hot", and a regression loss broadcasts ``(n, 3)`` targets against a
``(n, 1)`` output and averages them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tfstarter.errors import ConfigError

TargetKind = Literal["binary", "sparse", "categorical", "regression"]
"""The kinds of targets a known loss takes."""

_LOSS_KINDS: dict[str, TargetKind] = {
    "binary_crossentropy": "binary",
    "binary_focal_crossentropy": "binary",
    "sparse_categorical_crossentropy": "sparse",
    "categorical_crossentropy": "categorical",
    "categorical_focal_crossentropy": "categorical",
    "mean_squared_error": "regression",
    "mean_absolute_error": "regression",
    "mean_absolute_percentage_error": "regression",
    "mean_squared_logarithmic_error": "regression",
    "huber": "regression",
    "log_cosh": "regression",
}
_ALIASES = {
    "bce": "binary_crossentropy",
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "logcosh": "log_cosh",
    "huber_loss": "huber",
}


def _snake(name: str) -> str:
    out = []
    for i, char in enumerate(name):
        if char.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)


def loss_name(loss: object) -> str | None:
    """Return the canonical snake-case name of a Keras loss, or None.

    Accepts a loss object, a Keras loss function or a loss name.

    Examples:
        >>> import keras
        >>> loss_name(keras.losses.SparseCategoricalCrossentropy())
        'sparse_categorical_crossentropy'
        >>> loss_name("mse"), loss_name(keras.losses.mean_absolute_error)
        ('mean_squared_error', 'mean_absolute_error')
    """
    import keras

    if isinstance(loss, str):
        name = loss
    elif isinstance(loss, keras.losses.Loss):
        name = _snake(type(loss).__name__)
    elif callable(loss) and hasattr(loss, "__name__"):
        name = str(loss.__name__)
    else:
        return None
    name = name.lower()
    return _ALIASES.get(name, name)


@dataclass(frozen=True)
class TargetRule:
    """What one model output takes as targets.

    Attributes:
        kind: ``"binary"``, ``"sparse"`` (integer class labels),
            ``"categorical"`` (one-hot or probability rows) or
            ``"regression"``.
        loss: the loss's class or function name, for messages.
        output_shape: one sample's output shape (no batch dimension), or
            None when the model does not say.
        ignore_class: a label value the loss skips (sparse only).

    Examples:
        >>> rule = TargetRule("sparse", "SparseCategoricalCrossentropy", (3,))
        >>> rule.classes
        3
    """

    kind: TargetKind
    loss: str
    output_shape: tuple[int | None, ...] | None
    ignore_class: int | None = None

    @property
    def classes(self) -> int | None:
        """The number of classes of a sparse or categorical head, if known."""
        if self.kind not in ("sparse", "categorical") or not self.output_shape:
            return None
        return self.output_shape[-1]

    @property
    def describe(self) -> str:
        """A few words on the head, for messages."""
        if self.kind == "binary":
            return f"a binary classifier ({self.loss})"
        if self.kind in ("sparse", "categorical"):
            count = self.classes
            classes = f"a {count}-class classifier" if count else "a classifier"
            return f"{classes} ({self.loss})"
        return f"a regression model ({self.loss})"


def _single(value: Any) -> Any:
    """The one item of a one-item list or mapping; None for several."""
    if isinstance(value, Mapping):
        return next(iter(value.values())) if len(value) == 1 else None
    if isinstance(value, Sequence) and not isinstance(value, str):
        return value[0] if len(value) == 1 else None
    return value


def output_shape(model: Any) -> tuple[int | None, ...] | None:
    """One sample's output shape of a single-output model, or None.

    Examples:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> output_shape(model)
        (3,)
    """
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        return None
    if not outputs or len(outputs) != 1:
        return None
    shape = outputs[0].shape
    if shape is None:
        return None
    return tuple(None if dim is None else int(dim) for dim in tuple(shape)[1:])


def target_rule(model: Any, *, loss: object = None) -> TargetRule | None:
    """Read what targets ``model`` takes from its loss and its output.

    Args:
        model: a `keras.Model`, compiled or not.
        loss: the loss to assume instead of the model's own (e.g. one the
            Trainer will compile with).

    Returns:
        The rule, or None when the loss is unknown (a function of your own),
        missing, or the model has several outputs: then nothing is checked.

    Raises:
        ConfigError: if a sparse or categorical loss sits on a one-unit
            output, which can only ever predict one class.

    Examples:
        >>> import tfstarter as tfs
        >>> target_rule(tfs.models.logistic(4, classes=2)).kind
        'binary'
        >>> target_rule(tfs.models.dense(4, classes=3, hidden=(8,))).classes
        3
    """
    chosen = _single(loss if loss is not None else getattr(model, "loss", None))
    if chosen is None:
        return None
    name = loss_name(chosen)
    kind = _LOSS_KINDS.get(name or "")
    if kind is None:
        return None
    shape = output_shape(model)
    if shape is None and getattr(model, "outputs", None):
        return None  # several outputs
    config = chosen.get_config() if hasattr(chosen, "get_config") else {}
    ignore = config.get("ignore_class") if isinstance(config, dict) else None
    label = type(chosen).__name__ if not isinstance(chosen, str) else chosen
    if not hasattr(chosen, "get_config") and callable(chosen):
        label = getattr(chosen, "__name__", label)
    rule = TargetRule(kind, label, shape, None if ignore is None else int(ignore))
    if kind in ("sparse", "categorical") and rule.classes == 1:
        raise ConfigError(
            f"`model`'s loss {label} needs one output unit per class, but the "
            f"output has shape {shape}: one unit can only ever predict one class. "
            f"For two classes use keras.losses.BinaryCrossentropy (one sigmoid "
            f"unit), or give the output layer one unit per class."
        )
    return rule
