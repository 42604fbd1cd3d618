"""TF Serving warm-up records: parsed with the serving protos, they serve the model."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from tensorflow_serving.apis import prediction_log_pb2

import tfstarter as tfs
from tfstarter.errors import ConfigError, CorruptFileError
from tfstarter.export import _extras, _saved_model, _warmup

WARMUP = Path("assets.extra") / "tf_serving_warmup_requests"


def parse_records(path: Path) -> list[prediction_log_pb2.PredictionLog]:
    return [
        prediction_log_pb2.PredictionLog.FromString(record.numpy())
        for record in tf.data.TFRecordDataset(str(path))
    ]


@pytest.fixture(scope="module")
def x() -> np.ndarray:
    return np.random.default_rng(3).normal(size=(12, 4)).astype("float32")


@pytest.fixture(scope="module")
def exported(
    tmp_path_factory: pytest.TempPathFactory,
    trained_classifier: keras.Model,
    x: np.ndarray,
) -> Path:
    base = tmp_path_factory.mktemp("warm") / "classifier"
    return tfs.export.saved_model(trained_classifier, base, warmup=x)


def test_records_parse_with_the_serving_protos_and_serve(
    exported: Path, trained_classifier: keras.Model, x: np.ndarray
) -> None:
    logs = parse_records(exported / WARMUP)
    assert len(logs) == len(x)  # one batch-1 request per sample
    signature = tf.saved_model.load(str(exported)).signatures["serving_default"]
    for row, log in enumerate(logs):
        request = log.predict_log.request
        assert request.model_spec.signature_name == "serving_default"
        assert list(request.inputs) == ["inputs"]
        inputs = tf.make_ndarray(request.inputs["inputs"])
        assert inputs.shape == (1, 4) and inputs.dtype == np.float32
        np.testing.assert_array_equal(inputs, x[row : row + 1])
        got = signature(inputs=tf.constant(inputs))["outputs"].numpy()
        np.testing.assert_allclose(got, trained_classifier(inputs), atol=1e-6)


def test_read_warmup_gives_the_inputs(exported: Path, x: np.ndarray) -> None:
    inputs = _warmup.read_warmup(exported / WARMUP)
    np.testing.assert_array_equal(np.concatenate(inputs), x)


def test_at_most_1000_records(tmp_path: Path, trained_classifier: keras.Model) -> None:
    many = np.zeros((1001, 4), "float32")
    with pytest.raises(ConfigError, match=r"`warmup` has 1001 samples.*at most 1000"):
        tfs.export.saved_model(trained_classifier, tmp_path / "m", warmup=many)
    assert not (tmp_path / "m").exists()
    exported = tfs.export.saved_model(
        trained_classifier, tmp_path / "m", warmup=many[:1000], check=False
    )
    assert len(parse_records(exported / WARMUP)) == 1000


def test_records_that_do_not_parse_are_not_published(
    tmp_path: Path, trained_classifier: keras.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _warmup.write_warmup

    def misnamed(version_dir: Path, inputs: np.ndarray) -> Path:
        path = real(version_dir, inputs)
        logs = parse_records(path)
        with tf.io.TFRecordWriter(str(path)) as writer:
            for log in logs:
                request = log.predict_log.request
                request.inputs["x"].CopyFrom(request.inputs["inputs"])
                del request.inputs["inputs"]
                writer.write(log.SerializeToString())
        return path

    monkeypatch.setattr(_saved_model, "write_warmup", misnamed)
    with pytest.raises(CorruptFileError, match=r"record 0 has no 'inputs' input"):
        tfs.export.saved_model(
            trained_classifier, tmp_path / "m", warmup=np.zeros((3, 4), "float32")
        )
    assert list((tmp_path / "m").iterdir()) == []


def test_garbage_is_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "tf_serving_warmup_requests"
    path.write_bytes(b"not a tfrecord file at all")
    with pytest.raises(CorruptFileError, match="not a readable TFRecord file"):
        _warmup.read_warmup(path)


def test_missing_extra_names_it(
    tmp_path: Path, trained_classifier: keras.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = _extras.importlib.import_module

    def without_serving(name: str) -> object:
        if name.startswith("tensorflow_serving"):
            raise ModuleNotFoundError(f"No module named {name!r}")
        return real(name)

    monkeypatch.setattr(_extras.importlib, "import_module", without_serving)
    with pytest.raises(ImportError, match=r"pip install 'tfstarter\[serving\]'"):
        tfs.export.saved_model(
            trained_classifier, tmp_path / "m", warmup=np.zeros((2, 4), "float32")
        )
    assert not (tmp_path / "m").exists()
    tfs.export.saved_model(trained_classifier, tmp_path / "m", check=False)  # no extra
