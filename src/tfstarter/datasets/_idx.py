"""Readers for the IDX format (gzip-compressed or not) and the Keras ``.npz`` layout.

Every failure (truncated file, bad gzip stream, wrong magic number, size that
does not match the header) becomes a `tfstarter.errors.CorruptFileError`
naming the file, never a NumPy reshape traceback.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.errors import CorruptFileError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049
_UBYTE = 0x08


def _read_bytes(path: Path) -> bytes:
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as stream:
                return stream.read()
        return path.read_bytes()
    except (EOFError, gzip.BadGzipFile, zlib.error) as err:
        raise CorruptFileError(
            f"{path} is not a complete gzip file ({err}). The download was probably "
            f"cut short: delete it and fetch it again."
        ) from err


@functools.lru_cache(maxsize=8)
def _decode_idx(
    path: Path, magic: int, mtime_ns: int, size: int
) -> npt.NDArray[np.uint8]:
    # mtime_ns and size are part of the cache key so an edited file is re-read.
    del mtime_ns, size
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise CorruptFileError(
            f"{path} is too short to be an IDX file ({len(raw)} bytes). "
            f"Delete it and fetch the original file again."
        )
    found = int.from_bytes(raw[:4], "big")
    if raw[:2] == b"\0\0" and raw[2] != _UBYTE:
        raise CorruptFileError(
            f"{path} stores type code {raw[2]:#04x}; only unsigned bytes (0x08) "
            f"are supported for MNIST-style datasets."
        )
    if found != magic:
        kind = "an images" if magic == IMAGES_MAGIC else "a labels"
        raise CorruptFileError(
            f"{path} has IDX magic number {found}, expected {magic} for {kind} "
            f"file. Check that the file is the original, unmodified IDX file."
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise CorruptFileError(
            f"{path} ends inside its IDX header ({len(raw)} of {header} bytes). "
            f"Delete it and fetch it again."
        )
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    expected = int(np.prod(shape, dtype=np.int64)) + header
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "longer than its header says"
        raise CorruptFileError(
            f"{path} is {problem}: its header declares shape {shape} "
            f"({expected} bytes) but it holds {len(raw)} bytes. Delete it and fetch "
            f"the original file again."
        )
    array = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)
    array.flags.writeable = False
    return array


def read_idx(path: Path, *, magic: int) -> npt.NDArray[np.uint8]:
    """Read an IDX file of unsigned bytes and return a fresh, writable array.

    Args:
        path: an IDX file, gzip-compressed if its name ends in ``.gz``.
        magic: the expected magic number (2051 for images, 2049 for labels).

    Raises:
        CorruptFileError: if the file is truncated, not gzip, or not that IDX type.

    Examples:
        >>> read_idx(
        ...     Path("mnist/t10k-labels-idx1-ubyte.gz"), magic=2049
        ... )  # doctest: +SKIP
        array([7, 2, 1, ..., 4, 5, 6], dtype=uint8)
    """
    stat = path.stat()
    return _decode_idx(path.resolve(), magic, stat.st_mtime_ns, stat.st_size).copy()


@functools.lru_cache(maxsize=8)
def _digest(path: Path, magic: int, mtime_ns: int, size: int) -> str:
    array = _decode_idx(path, magic, mtime_ns, size)
    return hashlib.sha256(array.tobytes()).hexdigest()


def idx_digest(path: Path, *, magic: int) -> str:
    """Return the sha256 of the array an IDX file holds (the bytes after its header).

    Cached per file version, so loading a dataset twice hashes it once.

    Raises:
        CorruptFileError: if the file cannot be read as that IDX type.

    Examples:
        >>> idx_digest(
        ...     Path("mnist/t10k-labels-idx1-ubyte.gz"), magic=2049
        ... )  # doctest: +SKIP
        'ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5'
    """
    stat = path.stat()
    return _digest(path.resolve(), magic, stat.st_mtime_ns, stat.st_size)


def array_digest(array: npt.NDArray[Any]) -> str:
    """Return the sha256 of an array's bytes (as `idx_digest` computes it).

    Examples:
        >>> array_digest(np.zeros(2, np.uint8))[:12]
        '96a296d224f2'
    """
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def read_npz(path: Path) -> dict[str, npt.NDArray[Any]]:
    """Read the Keras ``x_train``/``y_train``/``x_test``/``y_test`` ``.npz`` layout.

    Raises:
        CorruptFileError: if the file is not a readable ``.npz`` or lacks a key.

    Examples:
        >>> read_npz(Path("~/.keras/datasets/mnist.npz").expanduser())  # doctest: +SKIP
    """
    keys = ("x_train", "y_train", "x_test", "y_test")
    try:
        # Open the file ourselves: np.load leaks its handle on a bad zip file.
        with path.open("rb") as stream, np.load(stream, allow_pickle=False) as archive:
            missing = [key for key in keys if key not in archive.files]
            if missing:
                raise CorruptFileError(
                    f"{path} lacks the arrays {missing}; a Keras dataset .npz file "
                    f"holds {list(keys)}."
                )
            return {key: np.array(archive[key]) for key in keys}
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, zlib.error) as err:
        if isinstance(err, CorruptFileError):
            raise
        raise CorruptFileError(
            f"{path} is not a readable .npz archive ({err}). Delete it and fetch it "
            f"again."
        ) from err
