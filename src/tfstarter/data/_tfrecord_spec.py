"""The JSON spec written beside TFRecord shards: structure, counts, file sizes."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfstarter._atomic import staged
from tfstarter.data._record_codec import (
    Structure,
    structure_from_json,
    structure_to_json,
)
from tfstarter.errors import CorruptFileError, DatasetNotFoundError

SPEC_NAME = "tfrecord_spec.json"
FORMAT = "tfstarter.tfrecord"
VERSION = 1


@dataclass(frozen=True)
class Shard:
    """One shard file: its name in the folder, sample count and size in bytes."""

    name: str
    count: int
    size: int


@dataclass(frozen=True)
class TFRecordSpec:
    """Everything needed to read a folder of shards back exactly.

    Attributes:
        structure: the nesting of the samples and each tensor's dtype and shape.
        shards: the shard files, in writing order (sample ``i`` is in shard
            ``i % len(shards)``).
        compression: ``""``, ``"GZIP"`` or ``"ZLIB"``.
    """

    structure: Structure
    shards: tuple[Shard, ...]
    compression: str

    @property
    def count(self) -> int:
        """The total number of samples."""
        return sum(shard.count for shard in self.shards)

    def write(self, folder: Path) -> None:
        """Write the spec atomically into ``folder``."""
        data = {
            "format": FORMAT,
            "version": VERSION,
            "count": self.count,
            "compression": self.compression,
            "structure": structure_to_json(self.structure),
            "shards": [
                {"name": s.name, "count": s.count, "size": s.size} for s in self.shards
            ],
        }
        with staged(folder / SPEC_NAME, kind="file", overwrite=True) as tmp:
            tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def spec_path(path: str | os.PathLike[str]) -> Path:
    """Return the spec file for a folder (or the spec file itself).

    Examples:
        >>> spec_path("shards").name
        'tfrecord_spec.json'
    """
    target = Path(path)
    return target if target.name == SPEC_NAME else target / SPEC_NAME


def read_spec(path: str | os.PathLike[str]) -> TFRecordSpec:
    """Read and check the spec of a folder written by `write_tfrecord`.

    Raises:
        DatasetNotFoundError: if the folder, its spec or a shard is missing.
        CorruptFileError: if the spec is malformed or a shard has the wrong size.

    Examples:
        >>> read_spec("shards").count  # doctest: +SKIP
        60000
    """
    file = spec_path(path)
    if not file.parent.is_dir():
        raise DatasetNotFoundError(
            f"`path` {os.fspath(path)!r} is not a folder. Pass the folder that "
            f"tfstarter.data.write_tfrecord wrote."
        )
    if not file.is_file():
        found = sorted(p.name for p in file.parent.iterdir())[:10]
        raise DatasetNotFoundError(
            f"`path` {os.fspath(file.parent)!r} holds no {SPEC_NAME} (found: "
            f"{found}). Only folders written by tfstarter.data.write_tfrecord can "
            f"be read; write the data with it first."
        )
    try:
        data: Any = json.loads(file.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("version") != VERSION:
            raise ValueError(
                f"format {data.get('format')!r} version {data.get('version')!r}, "
                f"expected {FORMAT!r} version {VERSION}"
            )
        shards = tuple(
            Shard(str(s["name"]), int(s["count"]), int(s["size"]))
            for s in data["shards"]
        )
        compression = str(data["compression"])
        structure_json = data["structure"]
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise CorruptFileError(
            f"{file} is not a valid tfstarter TFRecord spec ({err}). Write the "
            f"data again with tfstarter.data.write_tfrecord."
        ) from None
    structure = structure_from_json(structure_json, str(file))
    for shard in shards:
        shard_file = file.parent / shard.name
        if not shard_file.is_file():
            raise DatasetNotFoundError(
                f"shard {shard_file} listed in {file} is missing. Copy the whole "
                f"folder, or write the data again."
            )
        size = shard_file.stat().st_size
        if size != shard.size:
            raise CorruptFileError(
                f"shard {shard_file} is {size} bytes but {file} says {shard.size}: "
                f"it was truncated or changed. Copy it again, or write the data "
                f"again."
            )
    return TFRecordSpec(structure, shards, compression)
