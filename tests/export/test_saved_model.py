"""SavedModels: TF Serving layout, stable signature names, any batch size."""

from __future__ import annotations

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
    CorruptFileError,
    ExportError,
)


@pytest.fixture(scope="module")
def exported(
    tmp_path_factory: pytest.TempPathFactory, trained_classifier: keras.Model
) -> Path:
    base = tmp_path_factory.mktemp("serving") / "classifier"
    return tfs.export.saved_model(trained_classifier, base)


def test_tf_serving_layout(exported: Path) -> None:
    assert exported.name == "1"
    assert (exported / "saved_model.pb").is_file()
    assert (exported / "variables" / "variables.index").is_file()
    assert [p.name for p in exported.parent.iterdir()] == ["1"]


def test_signature_has_the_documented_names(
    exported: Path, kit: SimpleNamespace, trained_classifier: keras.Model
) -> None:
    loaded = tf.saved_model.load(str(exported))
    assert list(loaded.signatures) == [tfs.export.SERVING_SIGNATURE]
    signature = loaded.signatures["serving_default"]
    _, inputs = signature.structured_input_signature
    assert list(inputs) == ["inputs"] == [tfs.export.INPUT_NAME]
    assert inputs["inputs"].shape.as_list() == [None, kit.FEATURES]
    assert list(signature.structured_outputs) == ["outputs"]
    for batch in (1, 7, 300):
        x = kit.features(batch)
        got = signature(inputs=tf.constant(x))["outputs"].numpy()
        np.testing.assert_allclose(got, trained_classifier(x), atol=1e-6)


def test_keras_cannot_load_it_but_load_can(
    exported: Path, kit: SimpleNamespace, trained_classifier: keras.Model
) -> None:
    with pytest.raises(ValueError, match="File format not supported"):
        keras.models.load_model(exported)
    for path in (exported, exported.parent):  # version folder or base folder
        predictor = tfs.export.load(path)
        assert predictor.format == "saved_model" and predictor.path == exported
        x = kit.features(5)
        np.testing.assert_allclose(
            predictor.predict(x), trained_classifier(x), atol=1e-6
        )


def test_versions_count_up_and_are_protected(
    tmp_path: Path, trained_classifier: keras.Model
) -> None:
    base = tmp_path / "model"
    assert tfs.export.saved_model(trained_classifier, base, check=False).name == "1"
    assert tfs.export.saved_model(trained_classifier, base, check=False).name == "2"
    assert (
        tfs.export.saved_model(trained_classifier, base, version=7, check=False).name
        == "7"
    )
    with pytest.raises(ArtifactExistsError, match=r"model/2 already exists"):
        tfs.export.saved_model(trained_classifier, base, version=2)
    stamp = (base / "2" / "saved_model.pb").stat().st_mtime_ns
    tfs.export.saved_model(trained_classifier, base, version=2, overwrite=True)
    assert (base / "2" / "saved_model.pb").stat().st_mtime_ns != stamp
    assert sorted(p.name for p in base.iterdir()) == ["1", "2", "7"]


def test_bad_versions_and_paths(
    tmp_path: Path, trained_classifier: keras.Model
) -> None:
    with pytest.raises(
        ConfigError, match="`version` must be a positive integer, got 0"
    ):
        tfs.export.saved_model(trained_classifier, tmp_path / "m", version=0)
    with pytest.raises(ArgumentTypeError, match="`version` must be a positive integer"):
        tfs.export.saved_model(trained_classifier, tmp_path / "m", version="1")  # type: ignore[arg-type]
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match=r"but .*file is a file"):
        tfs.export.saved_model(trained_classifier, tmp_path / "file")


def test_models_with_two_inputs_are_refused(tmp_path: Path) -> None:
    a, b = keras.Input((2,)), keras.Input((3,))
    model = keras.Model(
        [a, b], keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
    )
    with pytest.raises(
        ExportError, match=r"2 inputs and 1 outputs.*tfstarter\.export\.keras"
    ):
        tfs.export.saved_model(model, tmp_path / "m")


def test_unbuilt_model_is_refused(tmp_path: Path) -> None:
    model = keras.Sequential([keras.layers.Dense(1)])
    with pytest.raises(
        ExportError, match=r"model 'sequential.*' is not built.*keras\.Input"
    ):
        tfs.export.saved_model(model, tmp_path / "m")


def test_save_failure_is_an_export_error(
    tmp_path: Path, trained_classifier: keras.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = keras.export.ExportArchive

    class BrokenArchive:
        def __init__(self) -> None:
            self.archive = real()

        def track(self, resource: object) -> None:
            self.archive.track(resource)

        def add_endpoint(self, name: str, fn: object) -> None:
            self.archive.add_endpoint(name, fn)

        def write_out(self, *args: object, **kwargs: object) -> None:
            raise ValueError("disk says no")

    monkeypatch.setattr(keras.export, "ExportArchive", BrokenArchive)
    with pytest.raises(
        ExportError, match="could not save model 'classifier' as a SavedModel: disk"
    ):
        tfs.export.saved_model(trained_classifier, tmp_path / "m")
    assert list((tmp_path / "m").iterdir()) == []


def test_saved_model_with_two_inputs_is_refused_by_load(tmp_path: Path) -> None:
    module = tf.Module()
    module.serve = tf.function(
        lambda a, b: {"outputs": a + b},
        input_signature=[tf.TensorSpec((None, 2)), tf.TensorSpec((None, 2))],
    )
    tf.saved_model.save(
        module, str(tmp_path / "1"), signatures={"serving_default": module.serve}
    )
    with pytest.raises(CorruptFileError, match="serves 2 inputs and 1 outputs"):
        tfs.export.load(tmp_path)
