"""Native .keras files: round trip with optimizer state, and safe loading."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ConfigError, UnsafeModelError


def test_round_trip_keeps_the_optimizer_state(
    tmp_path: Path, kit: SimpleNamespace, trained_classifier: keras.Model
) -> None:
    path = tfs.export.keras(trained_classifier, tmp_path / "model.keras")
    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer) is type(trained_classifier.optimizer)
    assert loaded.optimizer.get_config() == trained_classifier.optimizer.get_config()
    assert int(loaded.optimizer.iterations) == int(
        trained_classifier.optimizer.iterations
    )
    for got, want in zip(
        loaded.optimizer.variables, trained_classifier.optimizer.variables, strict=True
    ):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    x = kit.features(16)
    np.testing.assert_array_equal(loaded(x), trained_classifier(x))


def test_compiled_but_untrained_model_verifies(
    tmp_path: Path, kit: SimpleNamespace
) -> None:
    # Keras warns on load that it skips the (empty) optimizer state; the
    # self-check knows there is nothing to load and stays quiet.
    model = kit.make_classifier()
    path = tfs.export.keras(model, tmp_path / "model.keras")
    report = tfs.export.verify(path, model, kit.features(8))
    assert report.passed and report.max_abs_diff == 0.0


def test_suffix_is_checked(tmp_path: Path, kit: SimpleNamespace) -> None:
    with pytest.raises(ConfigError, match=r"must end in \.keras.*model\.keras"):
        tfs.export.keras(kit.make_classifier(), tmp_path / "model.h5")


@pytest.fixture
def lambda_model() -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Lambda(lambda t: t * 2.0),
            keras.layers.Dense(2),
        ]
    )


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_lambda_layers_are_refused_in_safe_mode(
    tmp_path: Path, lambda_model: keras.Model, suffix: str
) -> None:
    exporter = tfs.export.keras if suffix == ".keras" else tfs.export.h5
    # The exporter's own check loads what it just wrote from the caller's
    # model, so it does not need safe mode.
    path = exporter(lambda_model, tmp_path / f"model{suffix}")
    x = np.ones((2, 3), "float32")
    with pytest.raises(UnsafeModelError, match=r"Lambda layer.*safe_mode=False"):
        tfs.export.load(path)
    with pytest.raises(UnsafeModelError, match=f"model{suffix} holds Python code"):
        tfs.export.verify(path, lambda_model, x)
    predictor = tfs.export.load(path, safe_mode=False)
    np.testing.assert_allclose(predictor.predict(x), lambda_model(x))
    assert tfs.export.verify(path, lambda_model, x, safe_mode=False).passed
