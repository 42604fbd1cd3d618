"""A full disk during an export becomes an `ExportError` naming the target and the need.

The writers report a full disk in their own ways: ``OSError`` with errno
``ENOSPC`` (``.keras`` zip files, TFLite and ONNX bytes), an ``OSError`` whose
text holds the errno (h5py), or a TensorFlow ``ResourceExhaustedError`` /
``UnknownError`` saying "No space left on device" (SavedModel variables).
`disk_full_as_export_error` turns each into one `ExportError` that names the
target, the bytes the export needs and the bytes free. The staging in
`tfstarter._atomic` has already deleted the partial temporary by then, and
the target (or its previous version) was never touched.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tfstarter.errors import ExportError

_NO_SPACE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
_NO_SPACE_TEXTS = ("no space left on device", "disk quota exceeded", "errno = 28")


def is_disk_full(error: BaseException) -> bool:
    """Return whether ``error`` (or an error it was raised from) means "disk full".

    Example:
        >>> is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
        True
        >>> is_disk_full(OSError(errno.ENOENT, "No such file or directory"))
        False
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _NO_SPACE_ERRNOS:
            return True
        if any(text in str(current).lower() for text in _NO_SPACE_TEXTS):
            return True
        current = current.__cause__ or current.__context__
    return False


def variables_bytes(model: Any, *, optimizer: bool = False) -> int:
    """Return the bytes of the model's variables (and its optimizer's, if asked).

    Every format stores them at least once, uncompressed, so this is a lower
    bound of what an export writes.

    Example:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> variables_bytes(model)  # (3 * 2 + 2) float32 values
        32
    """
    import numpy as np

    variables = list(model.weights)
    if optimizer and getattr(model, "optimizer", None) is not None:
        variables += list(getattr(model.optimizer, "variables", []))
    total = 0
    for variable in variables:
        count = int(np.prod(tuple(variable.shape), dtype=np.int64))
        total += count * np.dtype(str(variable.dtype)).itemsize
    return total


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{count:,} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count:,} bytes"  # pragma: no cover - the loop always returns


def disk_full_message(target: Path, needed: int, *, exact: bool) -> str:
    """Return the message of the `ExportError` for a full disk.

    Example:
        >>> disk_full_message(Path("/nonexistent/m.tflite"), 2048, exact=True)[:60]
        'no space left on the disk of /nonexistent/m.tflite: the expo'
    """
    try:
        free: int | None = shutil.disk_usage(target.parent).free
    except OSError:
        free = None
    amount = "" if exact else "at least "
    free_text = "" if free is None else f", and {free:,} bytes ({_size(free)}) are free"
    return (
        f"no space left on the disk of {target}: the export needs {amount}"
        f"{needed:,} bytes ({_size(needed)}){free_text}. Free some space there or "
        f"export to another disk. Nothing was written to {target}; an existing "
        f"file or folder there is unchanged."
    )


@contextlib.contextmanager
def disk_full_as_export_error(
    target: Path, needed: Callable[[], int], *, exact: bool = False
) -> Iterator[None]:
    """Turn a "disk full" error raised in the block into an `ExportError`.

    ``needed`` is called only then, to size the message; ``exact`` says it is
    the artifact's true size rather than a lower bound.

    Raises:
        ExportError: if the block fails because the disk is full.

    Example:
        >>> with disk_full_as_export_error(Path("/nonexistent/m.h5"), lambda: 10):
        ...     raise OSError(errno.ENOSPC, "No space left on device")
        Traceback (most recent call last):
        ...
        tfstarter.errors.ExportError: no space left on the disk of /nonexistent/m.h5...
    """
    try:
        yield
    except Exception as err:
        if not is_disk_full(err):
            raise
        raise ExportError(disk_full_message(target, needed(), exact=exact)) from err
