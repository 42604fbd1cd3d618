"""Atomic file writes: write under a temporary name, then rename into place."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path


def temporary_name(target: Path) -> Path:
    """Return a hidden, unique temporary path beside ``target``.

    Examples:
        >>> temporary_name(Path("out/part.tfrecord")).name.startswith(".part.tfrecord.")
        True
    """
    return target.with_name(f".{target.name}.{uuid.uuid4().hex[:12]}.tmp")


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path to write; rename it to ``target`` on success.

    On an exception the temporary file is removed and ``target`` is untouched,
    so readers never see a half-written file.

    Examples:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> with atomic_path(folder / "a.txt") as tmp:
        ...     _ = tmp.write_text("done")
        >>> (folder / "a.txt").read_text()
        'done'
    """
    tmp = temporary_name(target)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
