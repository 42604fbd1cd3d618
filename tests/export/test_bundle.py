"""bundle(): several formats in one folder, with a manifest that tells the truth."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import (
    ArgumentTypeError,
    ArtifactExistsError,
    ConfigError,
    VerificationError,
)


@pytest.fixture(scope="module")
def bundle(
    tmp_path_factory: pytest.TempPathFactory, trained_classifier: keras.Model
) -> tfs.export.Bundle:
    x = np.random.default_rng(0).normal(size=(200, 4)).astype("float32")
    return tfs.export.bundle(
        trained_classifier,
        tmp_path_factory.mktemp("bundles") / "classifier",
        quantize=(None, "float16", "int8"),
        representative_data=x,
    )


def test_layout(bundle: tfs.export.Bundle) -> None:
    names = sorted(
        p.relative_to(bundle.path).as_posix()
        for p in bundle.path.rglob("*")
        if p.is_file() and "variables" not in p.parts
    )
    assert "manifest.json" in names
    assert {"model.keras", "model.h5", "model.tflite", "model.float16.tflite"} <= set(
        names
    )
    assert "model.int8.tflite" in names
    assert "saved_model/1/saved_model.pb" in names
    assert not [p for p in bundle.path.parent.iterdir() if p.name.startswith(".")]


def test_manifest_matches_the_files(bundle: tfs.export.Bundle) -> None:
    manifest = json.loads(bundle.manifest_path.read_text())
    assert manifest == bundle.manifest
    assert manifest["manifest_version"] == 2
    assert manifest["versions"]["tensorflow"] == tf.__version__
    assert manifest["versions"]["keras"] == keras.__version__
    assert manifest["versions"]["tfstarter"] == tfs.__version__
    assert manifest["versions"]["ai_edge_litert"]
    assert manifest["model"] == {
        "name": "classifier",
        "class": "Sequential",
        "parameters": 4 * 16 + 16 + 16 * 3 + 3,
    }
    assert manifest["signature"]["inputs"] == {
        "name": "inputs",
        "shape": [None, 4],
        "dtype": "float32",
    }
    keys = [entry["key"] for entry in manifest["artifacts"]]
    assert keys == [
        "keras",
        "h5",
        "saved_model",
        "tflite",
        "tflite-float16",
        "tflite-int8",
        "onnx",
    ]
    for entry in manifest["artifacts"]:
        path = bundle.path / entry["path"]
        assert path.exists()
        if path.is_file():
            assert entry["bytes"] == path.stat().st_size
            assert entry["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            assert entry["sha256"] is None
            assert entry["bytes"] == sum(
                p.stat().st_size for p in path.rglob("*") if p.is_file()
            )
        assert entry["verification"]["passed"] is True
        assert entry["verification"]["path"] == entry["path"]
        if entry["format"] in ("saved_model", "tflite", "onnx"):
            assert entry["signature"]["name"] == "serving_default"
        else:
            assert entry["signature"] is None
    assert [report.key for report in bundle.reports] == keys


def test_every_artifact_loads(
    bundle: tfs.export.Bundle, trained_classifier: keras.Model
) -> None:
    x = np.random.default_rng(1).normal(size=(20, 4)).astype("float32")
    expected = np.asarray(trained_classifier(x))
    for report in bundle.reports:
        got = tfs.export.load(bundle.path / report.path.relative_to(bundle.path))
        atol = 0.1 if report.quantize else 1e-5
        np.testing.assert_allclose(got.predict(x), expected, atol=atol)
    assert bundle.artifact("tflite-int8") == bundle.path / "model.int8.tflite"
    with pytest.raises(ConfigError, match="has no artifact 'tflite-dynamic'; it has"):
        bundle.artifact("tflite-dynamic")
    with pytest.raises(ConfigError, match="is an export bundle"):
        tfs.export.load(bundle.path)


def test_existing_bundle_is_protected(
    bundle: tfs.export.Bundle, trained_classifier: keras.Model
) -> None:
    with pytest.raises(ArtifactExistsError, match="overwrite=True"):
        tfs.export.bundle(trained_classifier, bundle.path, formats=("keras",))


def test_failed_verification_writes_no_bundle(
    tmp_path: Path, trained_classifier: keras.Model
) -> None:
    strict = tfs.export.Tolerance(atol=0.0, rtol=0.0, min_agreement=1.0)
    with pytest.raises(
        VerificationError, match=r"tflite-float16 artifact .*The bundle was not written"
    ):
        tfs.export.bundle(
            trained_classifier,
            tmp_path / "b",
            formats=("keras", "tflite"),
            quantize=("float16",),
            tolerances={"tflite-float16": strict},
        )
    assert list(tmp_path.iterdir()) == []


def test_overwrite_and_unchecked(
    tmp_path: Path, trained_classifier: keras.Model, kit: SimpleNamespace
) -> None:
    first = tfs.export.bundle(trained_classifier, tmp_path / "b", formats=("h5",))
    second = tfs.export.bundle(
        trained_classifier,
        tmp_path / "b",
        formats=("keras",),
        name="net",
        overwrite=True,
        check=False,
        sample=kit.features(4),
    )
    assert first.path == second.path
    assert sorted(p.name for p in second.path.iterdir()) == [
        "manifest.json",
        "net.keras",
    ]
    assert second.reports == ()
    assert second.manifest["artifacts"][0]["verification"] is None


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"formats": "keras"},
            ArgumentTypeError,
            "`formats` must be a non-empty sequence",
        ),
        ({"formats": ()}, ArgumentTypeError, "`formats` must be a non-empty sequence"),
        ({"formats": ("pb",)}, ConfigError, r"`formats\[...\]` must be one of 'h5'"),
        ({"quantize": "int8"}, ArgumentTypeError, "`quantize` must be a non-empty"),
        (
            {"quantize": ("int4",)},
            ConfigError,
            r"`quantize\[...\]` must be one of None",
        ),
        ({"quantize": ("int8",)}, ConfigError, "`representative_data` is None"),
        ({"name": "a/b"}, ConfigError, "`name` must be a plain file name stem"),
        (
            {"tolerances": {"h5": 0.1}},
            ArgumentTypeError,
            r"`tolerances\['h5'\]` must be",
        ),
    ],
)
def test_bad_arguments(
    tmp_path: Path,
    trained_classifier: keras.Model,
    kwargs: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        tfs.export.bundle(trained_classifier, tmp_path / "b", **kwargs)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []
