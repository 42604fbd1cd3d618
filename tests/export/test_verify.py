"""verify(): the report, the tolerances, and failures that say by how much."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import (
    ArgumentTypeError,
    ConfigError,
    DataError,
    VerificationError,
)
from tfstarter.export import DEFAULT_TOLERANCES, Tolerance


@pytest.fixture(scope="module")
def keras_file(
    tmp_path_factory: pytest.TempPathFactory, trained_classifier: keras.Model
) -> Path:
    return tfs.export.keras(
        trained_classifier, tmp_path_factory.mktemp("verify") / "model.keras"
    )


def test_report_fields(
    keras_file: Path, trained_classifier: keras.Model, kit: SimpleNamespace
) -> None:
    x = kit.features(100, seed=5)
    report = tfs.export.verify(keras_file, trained_classifier, x)
    assert report.format == "keras" and report.quantize is None
    assert report.path == keras_file
    assert report.size_bytes == keras_file.stat().st_size
    assert report.samples == 100
    assert report.max_abs_diff == 0.0 == report.mean_abs_diff
    assert report.argmax_agreement == 1.0 and report.min_agreement == 1.0
    assert 0 < report.latency_s < 1
    assert report.passed and report.problems() == []
    assert report.key == "keras"
    assert str(report).startswith(f"keras {keras_file}: passed, ")
    assert report.to_dict()["path"] == str(keras_file)


def test_dataset_sample_is_accepted(
    keras_file: Path, trained_classifier: keras.Model, kit: SimpleNamespace
) -> None:
    x = kit.features(40)
    dataset = tf.data.Dataset.from_tensor_slices((x, kit.class_labels(x))).batch(16)
    assert tfs.export.verify(keras_file, trained_classifier, dataset).samples == 40


def _perturbed(model: keras.Model, scale: float) -> keras.Model:
    other = keras.models.clone_model(model)
    weights = model.get_weights()
    other.set_weights([w + scale for w in weights])
    return other


def test_failure_says_by_how_much(
    keras_file: Path, trained_classifier: keras.Model, kit: SimpleNamespace
) -> None:
    other = _perturbed(trained_classifier, 0.05)
    x = kit.features(200, seed=2)
    with pytest.raises(
        VerificationError,
        match=r"keras artifact .*model\.keras does not reproduce the model on 200 "
        r"samples: max \|difference\| [0-9.e-]+ exceeds the allowed [0-9.e-]+ "
        r"\([0-9.e+]+ times the limit\)",
    ):
        tfs.export.verify(keras_file, other, x)
    report = tfs.export.verify(keras_file, other, x, raise_on_failure=False)
    assert not report.passed
    assert report.max_abs_diff > report.limit
    assert report.limit == pytest.approx(1e-5 + 1e-5 * np.abs(other(x)).max())
    assert str(report).startswith(f"keras {keras_file}: FAILED")


def test_agreement_failure_counts_the_samples(
    keras_file: Path, trained_classifier: keras.Model, kit: SimpleNamespace
) -> None:
    other = _perturbed(trained_classifier, 0.3)
    x = kit.features(200, seed=3)
    loose = Tolerance(atol=10.0, rtol=0.0, min_agreement=0.999)
    report = tfs.export.verify(
        keras_file, other, x, tolerance=loose, raise_on_failure=False
    )
    assert report.max_abs_diff <= report.limit
    assert report.argmax_agreement is not None and report.argmax_agreement < 0.999
    differ = round((1 - report.argmax_agreement) * 200)
    with pytest.raises(
        VerificationError,
        match=rf"argmax agreement [0-9.]+% is below the required 99\.90% \({differ} of "
        r"200 samples predict another class\)",
    ):
        tfs.export.verify(keras_file, other, x, tolerance=loose)


def test_model_of_another_shape_is_reported(keras_file: Path) -> None:
    other = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    with pytest.raises(
        VerificationError,
        match=r"takes inputs of shape \(None, 4\) but the model takes",
    ):
        tfs.export.verify(keras_file, other, np.zeros((2, 5)))
    wider = keras.Sequential([keras.Input((4,)), keras.layers.Dense(7)])
    with pytest.raises(VerificationError, match=r"returns outputs of shape \(2, 3\)"):
        tfs.export.verify(keras_file, wider, np.zeros((2, 4)))


@pytest.mark.parametrize(
    ("sample", "error", "message"),
    [
        (np.zeros((3, 5)), DataError, r"has shape \(3, 5\)"),
        (np.zeros(4), DataError, r"Add the batch dimension"),
        (np.zeros((0, 4)), DataError, "is empty"),
        (np.array([[np.inf, 0, 0, 0]]), DataError, "NaN or Inf"),
        (np.array([["a", "b", "c", "d"]]), DataError, "must hold numbers"),
        (None, ArgumentTypeError, "`sample` must be an array"),
    ],
)
def test_bad_samples(
    keras_file: Path,
    trained_classifier: keras.Model,
    sample: object,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        tfs.export.verify(keras_file, trained_classifier, sample)


def test_bad_arguments(keras_file: Path, trained_classifier: keras.Model) -> None:
    x = np.zeros((2, 4))
    with pytest.raises(ArgumentTypeError, match=r"`model` must be a keras\.Model"):
        tfs.export.verify(keras_file, "model", x)
    with pytest.raises(ArgumentTypeError, match="`tolerance` must be a tfstarter"):
        tfs.export.verify(keras_file, trained_classifier, x, tolerance=1e-3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`head` must be one of 'auto'"):
        tfs.export.verify(keras_file, trained_classifier, x, head="ranking")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="`batch_size` must be a positive integer"):
        tfs.export.verify(keras_file, trained_classifier, x, batch_size=0)


def test_heads(tmp_path: Path, kit: SimpleNamespace) -> None:
    binary = keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")]
    )
    path = tfs.export.keras(binary, tmp_path / "b.keras")
    x = kit.features(10)
    assert tfs.export.verify(path, binary, x).argmax_agreement == 1.0
    assert (
        tfs.export.verify(path, binary, x, head="regression").argmax_agreement is None
    )
    regressor = kit.make_regressor()  # two linear outputs: not classes
    path = tfs.export.keras(regressor, tmp_path / "r.keras")
    assert tfs.export.verify(path, regressor, x).argmax_agreement is None
    logits = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    logits.compile(loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    path = tfs.export.keras(logits, tmp_path / "l.keras")
    assert tfs.export.verify(path, logits, x).argmax_agreement == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"atol": -1.0, "rtol": 0.0, "min_agreement": 0.5},
            "`atol` must be a number >= 0",
        ),
        (
            {"atol": 0.0, "rtol": math.nan, "min_agreement": 0.5},
            "`rtol` must be a number",
        ),
        (
            {"atol": 0.0, "rtol": 0.0, "min_agreement": 99.0},
            r"fraction of samples in \[0, 1\]",
        ),
    ],
)
def test_tolerance_is_validated(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Tolerance(**kwargs)


def test_default_tolerances_cover_every_format_and_mode() -> None:
    assert set(DEFAULT_TOLERANCES) == {
        "h5",
        "keras",
        "saved_model",
        "onnx",
        "tflite",
        "tflite-dynamic",
        "tflite-float16",
        "tflite-int8",
    }
    # lossier modes are never held tighter than less lossy ones
    order = ["keras", "tflite", "tflite-float16", "tflite-dynamic", "tflite-int8"]
    for tighter, looser in itertools.pairwise(order):
        assert DEFAULT_TOLERANCES[tighter].atol <= DEFAULT_TOLERANCES[looser].atol
        assert DEFAULT_TOLERANCES[tighter].rtol <= DEFAULT_TOLERANCES[looser].rtol
