"""Format detection from a path: suffixes, folders, and the bytes inside."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tfstarter.errors import ArtifactNotFoundError, ConfigError, CorruptFileError
from tfstarter.export._formats import (
    artifact_bytes,
    detect_format,
    format_key,
    saved_model_version_dir,
)

HDF5 = b"\x89HDF\r\n\x1a\n" + b"\0" * 32
ZIP = b"PK\x03\x04" + b"\0" * 32
TFLITE = b"\x1c\0\0\0TFL3" + b"\0" * 32


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("m.h5", HDF5, "h5"),
        ("m.HDF5", HDF5, "h5"),
        ("m.keras", ZIP, "keras"),
        ("m.tflite", TFLITE, "tflite"),
    ],
)
def test_suffix_and_content_agree(
    tmp_path: Path, name: str, content: bytes, fmt: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == (fmt, path)


def test_missing_path_names_it(tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFoundError, match=re.escape(str(tmp_path / "x.h5"))):
        detect_format(tmp_path / "x.h5")


def test_unknown_suffix_lists_the_known_ones(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    path.write_bytes(b"data")
    with pytest.raises(ConfigError, match=r"suffix '\.pkl'.*\.h5, \.hdf5, \.keras"):
        detect_format(path)


def test_empty_file_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "model.keras"
    path.touch()
    with pytest.raises(CorruptFileError, match=r"model\.keras is empty"):
        detect_format(path)


@pytest.mark.parametrize(
    ("name", "content", "found"),
    [
        ("m.h5", ZIP, "a 'keras' file"),
        ("m.keras", HDF5, "a 'h5' file"),
        ("m.tflite", b"hello world, not a model", "no known model format"),
    ],
)
def test_content_of_another_format_is_reported(
    tmp_path: Path, name: str, content: bytes, found: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CorruptFileError, match=f"{re.escape(name)}.*{found}"):
        detect_format(path)


def test_folder_without_saved_model_is_corrupt(tmp_path: Path) -> None:
    with pytest.raises(CorruptFileError, match=r"without saved_model\.pb"):
        detect_format(tmp_path)


def test_bundle_folder_asks_for_one_artifact(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text("{}")
    with pytest.raises(ConfigError, match="is an export bundle"):
        detect_format(tmp_path)


def test_saved_model_base_serves_the_highest_version(tmp_path: Path) -> None:
    for version in ("1", "10", "2"):
        (tmp_path / version).mkdir()
        (tmp_path / version / "saved_model.pb").write_bytes(b"pb")
    (tmp_path / "99").mkdir()  # no saved_model.pb: not a version
    (tmp_path / ".tmp").mkdir()
    assert detect_format(tmp_path) == ("saved_model", tmp_path / "10")
    assert saved_model_version_dir(tmp_path / "2") == tmp_path / "2"


def test_artifact_bytes_sums_a_folder(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"12345")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"123")
    assert artifact_bytes(tmp_path) == 8
    assert artifact_bytes(tmp_path / "a") == 5


def test_format_key() -> None:
    assert format_key("tflite", None) == "tflite"
    assert format_key("tflite", "float16") == "tflite-float16"
