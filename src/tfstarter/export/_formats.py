"""The export formats, the names they serve under, and format detection from a path.

A format is recognised from the path's suffix (``.h5``/``.hdf5``, ``.keras``,
``.tflite``, ``.onnx``) or, for a directory, from the ``saved_model.pb`` it
holds (directly or in numbered version folders, the TensorFlow Serving
layout). The first bytes of a file are then checked against the format's
signature, so a renamed or truncated file is reported as such instead of
failing deep inside a loader.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, TypeAlias

from tfstarter._atomic import recover_path
from tfstarter.errors import ArtifactNotFoundError, ConfigError, CorruptFileError

Format: TypeAlias = Literal["h5", "keras", "saved_model", "tflite", "onnx"]
Quantize: TypeAlias = Literal["dynamic", "float16", "int8"]
PathLike: TypeAlias = str | os.PathLike[str]

FORMATS: tuple[Format, ...] = ("h5", "keras", "saved_model", "tflite", "onnx")
QUANTIZE_MODES: tuple[Quantize | None, ...] = (None, "dynamic", "float16", "int8")

SERVING_SIGNATURE = "serving_default"
"""Name of the signature a SavedModel and a `.tflite` file serve under."""

INPUT_NAME = "inputs"
"""Name of the single input of the serving signature (SavedModel and TFLite)."""

OUTPUT_NAME = "outputs"
"""Name of the single output of the serving signature (SavedModel and TFLite)."""

SUFFIXES: dict[str, Format] = {
    ".h5": "h5",
    ".hdf5": "h5",
    ".keras": "keras",
    ".tflite": "tflite",
    ".onnx": "onnx",
}

_HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
_ZIP_MAGIC = b"PK\x03\x04"
_TFLITE_IDENTIFIER = b"TFL3"  # flatbuffer file identifier, at bytes 4..8
_ONNX_FIRST_BYTE = b"\x08"  # ModelProto field 1 (ir_version, a varint) comes first


def format_key(fmt: Format, quantize: Quantize | None) -> str:
    """Return the key of a format and quantization mode, e.g. ``"tflite-int8"``.

    Example:
        >>> format_key("tflite", "int8"), format_key("h5", None)
        ('tflite-int8', 'h5')
    """
    return fmt if quantize is None else f"{fmt}-{quantize}"


def _sniff(head: bytes) -> Format | None:
    """Return the format whose signature the first bytes carry, if any."""
    if head.startswith(_HDF5_MAGIC):
        return "h5"
    if head.startswith(_ZIP_MAGIC):
        return "keras"
    if head[4:8] == _TFLITE_IDENTIFIER:
        return "tflite"
    if head.startswith(_ONNX_FIRST_BYTE):
        return "onnx"
    return None


def saved_model_version_dir(path: Path) -> Path | None:
    """Return the SavedModel folder inside ``path``, if it holds one.

    ``path`` itself when it holds ``saved_model.pb``, else its highest numbered
    version folder that does (the one TensorFlow Serving would serve).

    Example:
        >>> saved_model_version_dir(Path("/nonexistent")) is None
        True
    """
    if (path / "saved_model.pb").is_file():
        return path
    if not path.is_dir():
        return None
    versions = [
        child
        for child in path.iterdir()
        if child.name.isdigit() and (child / "saved_model.pb").is_file()
    ]
    return max(versions, key=lambda child: int(child.name)) if versions else None


def detect_format(path: PathLike) -> tuple[Format, Path]:
    """Return the format of the artifact at ``path`` and the path to open.

    For a SavedModel base folder the returned path is its highest version folder.
    A folder swap that a killed export left half done (the target renamed
    aside, the new folder not yet in place) is finished first, so the path is
    found as the export meant it.

    Raises:
        ArtifactNotFoundError: if nothing exists at ``path``.
        ConfigError: if the suffix or the folder's content names no known format.
        CorruptFileError: if the file is empty, or its first bytes belong to
            another format (or to none).

    Example:
        >>> detect_format("/nonexistent/model.h5")
        Traceback (most recent call last):
        ...
        tfstarter.errors.ArtifactNotFoundError: no model artifact at /nonexistent/...
    """
    target = Path(path)
    recover_path(target)
    if not target.exists():
        raise ArtifactNotFoundError(
            f"no model artifact at {target}: the path does not exist. Check the "
            f"path, or export the model there first."
        )
    if target.is_dir():
        if (target / "manifest.json").is_file():
            raise ConfigError(
                f"{target} is an export bundle, not a single artifact; pass the "
                f"path of one of its files, e.g. {target / 'model.keras'}."
            )
        version_dir = saved_model_version_dir(target)
        if version_dir is None:
            raise CorruptFileError(
                f"{target} is a folder without saved_model.pb (nor numbered "
                f"version folders holding one), so it is not a SavedModel. Pass "
                f"the folder that saved_model() wrote."
            )
        return "saved_model", version_dir
    suffix = target.suffix.lower()
    if suffix not in SUFFIXES:
        known = ", ".join(sorted(SUFFIXES))
        raise ConfigError(
            f"cannot tell the format of {target} from its suffix {suffix!r}. "
            f"Use one of {known}, or a SavedModel folder."
        )
    fmt = SUFFIXES[suffix]
    with target.open("rb") as stream:
        head = stream.read(8)
    if not head:
        raise CorruptFileError(f"{target} is empty (0 bytes); export it again.")
    found = _sniff(head)
    if found != fmt:
        what = f"a {found!r} file" if found else "no known model format"
        raise CorruptFileError(
            f"{target} has the suffix of a {fmt!r} file but its first bytes are "
            f"{what}. The file is corrupt or misnamed: export it again, or rename "
            f"it to match its content."
        )
    return fmt, target


def artifact_bytes(path: Path) -> int:
    """Return the size of a file, or the total size of the files under a folder.

    Example:
        >>> artifact_bytes(Path("/nonexistent"))
        0
    """
    if path.is_file():
        return path.stat().st_size
    return sum(child.stat().st_size for child in path.rglob("*") if child.is_file())
