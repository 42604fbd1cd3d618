"""The optional packages some exports need, imported only when used.

| extra | packages | needed for |
|---|---|---|
| ``litert`` | ``ai-edge-litert`` | running ``.tflite`` files |
| ``onnx`` | ``tf2onnx``, ``onnx``, ``onnxruntime`` | writing, running ``.onnx`` |
| ``serving`` | ``tensorflow-serving-api`` | TF Serving warm-up records |

A missing package raises `ImportError` naming the extra to install.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

EXTRAS: dict[str, tuple[str, ...]] = {
    "onnx": ("tf2onnx", "onnx", "onnxruntime"),
    "serving": ("tensorflow_serving",),
}


def has_extra(extra: str) -> bool:
    """Return whether every package of ``extra`` is installed (nothing is imported).

    Example:
        >>> has_extra("serving") in (True, False)
        True
    """
    try:
        return all(importlib.util.find_spec(name) for name in EXTRAS[extra])
    except (ImportError, ValueError):
        return False


def require(module: str, *, extra: str, needed_for: str) -> ModuleType:
    """Import ``module``, or raise `ImportError` naming the extra that installs it.

    Raises:
        ImportError: if the module is not installed.

    Example:
        >>> require("json", extra="onnx", needed_for="nothing").__name__
        'json'
        >>> require("no_such_module", extra="onnx", needed_for="ONNX export")
        Traceback (most recent call last):
        ...
        ImportError: ONNX export needs the 'onnx' extra: pip install ...
    """
    try:
        return importlib.import_module(module)
    except ImportError as err:
        packages = ", ".join(EXTRAS.get(extra, (module,)))
        raise ImportError(
            f"{needed_for} needs the {extra!r} extra: pip install "
            f"'tfstarter[{extra}]' (packages: {packages}); {module!r} could not be "
            f"imported ({err})."
        ) from err
