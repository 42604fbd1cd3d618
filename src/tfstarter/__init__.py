"""tfstarter: typed, high-level modelling on TensorFlow 2 / Keras 3.

Builders for linear, logistic, dense and CNN models, a `Trainer` with a
``model.fit`` loop and a compiled ``tf.GradientTape`` loop, ``tf.data``
pipelines, and exporters that verify their own output. Everything underneath
is plain Keras: models are ``keras.Model``, callbacks ``keras.callbacks.Callback``,
pipelines ``tf.data.Dataset``.

Subpackages are imported on first use, so ``import tfstarter`` stays cheap.

Examples:
    >>> import tfstarter as tfs
    >>> (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist()  # doctest: +SKIP
    >>> model = tfs.models.cnn(input_shape=(28, 28), classes=10)  # doctest: +SKIP
    >>> tfs.Trainer(model).fit((x_train, y_train), epochs=3)  # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tfstarter import errors
from tfstarter._version import __version__

if TYPE_CHECKING:
    from tfstarter import data, datasets, export, models, report, training
    from tfstarter.training import Trainer

__all__ = [
    "Trainer",
    "__version__",
    "data",
    "datasets",
    "errors",
    "export",
    "models",
    "report",
    "training",
]

_LAZY_SUBPACKAGES = frozenset(
    {"data", "datasets", "export", "models", "report", "training"}
)
_LAZY_ATTRIBUTES = {"Trainer": "training"}


def __getattr__(name: str) -> Any:
    """Import subpackages (and the names they own) on first access (PEP 562)."""
    if name in _LAZY_SUBPACKAGES:
        module = importlib.import_module(f"tfstarter.{name}")
        globals()[name] = module
        return module
    if name in _LAZY_ATTRIBUTES:
        value = getattr(
            importlib.import_module(f"tfstarter.{_LAZY_ATTRIBUTES[name]}"), name
        )
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tfstarter' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
