"""H5 files load back compiled, train on with the same optimizer, leave the model be.

Covers the three Keras 3.15 traps: string loss aliases that H5 cannot load
back, the H5 writer popping the optimizer out of the live compile config, and
the H5 loader building the optimizer before the model's variables are known.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ArtifactExistsError, ConfigError


def _plain_keras_h5_fails(model: keras.Model, path: Path) -> None:
    """The trap itself: Keras' own H5 save of a string-loss model cannot be loaded."""
    model.save(path)
    with pytest.raises(
        ValueError, match=r"Could not deserialize 'keras\.metrics\.mse'"
    ):
        keras.models.load_model(path)


def test_string_loss_aliases_load_back(tmp_path: Path, kit: SimpleNamespace) -> None:
    _plain_keras_h5_fails(kit.make_regressor(loss="mse"), tmp_path / "plain.h5")
    model = kit.make_regressor(loss="mse", metrics=("mae", "mse"))
    path = tfs.export.h5(model, tmp_path / "model.h5")
    loaded = keras.models.load_model(path)
    assert loaded.loss.__name__ == "mean_squared_error"
    x = kit.features(32)
    np.testing.assert_array_equal(
        loaded.predict(x, verbose=0), model.predict(x, verbose=0)
    )
    # the live model still has its string loss
    assert model.get_compile_config()["loss"] == "mse"


@pytest.mark.parametrize(
    "loss",
    [["mae", "mse"], {"dense": "mae"}],
    ids=["list", "dict"],
)
def test_nested_string_losses_load_back(
    tmp_path: Path, kit: SimpleNamespace, loss: object
) -> None:
    inputs = keras.Input((kit.FEATURES,))
    dense = keras.layers.Dense(2, name="dense")(inputs)
    model = keras.Model(inputs, dense if isinstance(loss, dict) else [dense])
    model.compile(optimizer="sgd", loss=loss)
    path = tfs.export.h5(model, tmp_path / "model.h5", check=False)
    loaded = keras.models.load_model(path)
    assert loaded.compiled


def test_h5_save_leaves_the_compile_config_alone(
    tmp_path: Path, kit: SimpleNamespace
) -> None:
    model = kit.make_classifier(optimizer=keras.optimizers.Adam(learning_rate=0.02))
    x = kit.features(64)
    model.fit(x, kit.class_labels(x), epochs=1, verbose=0)
    before = model.get_compile_config()
    # Keras' own H5 save drops the optimizer from the live model's config...
    probe = kit.make_classifier(optimizer=keras.optimizers.Adam(learning_rate=0.02))
    probe.save(tmp_path / "probe.h5")
    assert "optimizer" not in probe.get_compile_config()
    # ... tfstarter's does not, so a later .keras save keeps Adam.
    tfs.export.h5(model, tmp_path / "model.h5")
    assert model.get_compile_config() == before
    path = tfs.export.keras(model, tmp_path / "after.keras")
    reloaded = keras.models.load_model(path)
    assert type(reloaded.optimizer) is keras.optimizers.Adam
    assert float(reloaded.optimizer.learning_rate) == pytest.approx(0.02)


def _one_step(model: keras.Model, x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    model.fit(x, y, epochs=1, batch_size=len(x), verbose=0, shuffle=False)
    return model.get_weights()


def test_h5_continues_training_with_the_same_optimizer(
    tmp_path: Path, kit: SimpleNamespace
) -> None:
    model = kit.make_classifier(
        optimizer=keras.optimizers.Adam(learning_rate=2e-3, beta_1=0.8, amsgrad=True)
    )
    x = kit.features(128)
    y = kit.class_labels(x)
    model.fit(x, y, epochs=2, batch_size=32, verbose=0)
    path = tfs.export.h5(model, tmp_path / "model.h5")

    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    assert loaded.get_compile_config()["optimizer"]["config"] == (
        model.optimizer.get_config()
    )
    # It trains on exactly like the same weights under a fresh optimizer of the
    # same class and configuration (H5 files carry no optimizer state).
    reference = keras.models.clone_model(model)
    reference.set_weights(model.get_weights())
    reference.compile(
        optimizer=keras.optimizers.Adam.from_config(model.optimizer.get_config()),
        loss=keras.losses.SparseCategoricalCrossentropy(),
    )
    expected = _one_step(reference, x[:32], y[:32])
    for got, want in zip(_one_step(loaded, x[:32], y[:32]), expected, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert not np.allclose(loaded.get_weights()[0], model.get_weights()[0])


def test_keras_loader_trap_is_avoided(tmp_path: Path, kit: SimpleNamespace) -> None:
    """Keras' own H5 file of a trained model loads into a model that cannot train."""
    model = kit.make_classifier()
    x = kit.features(64)
    model.fit(x, kit.class_labels(x), epochs=1, verbose=0)
    model.save(tmp_path / "plain.h5")
    with pytest.raises(ValueError, match="Unknown variable"):
        _one_step(
            keras.models.load_model(tmp_path / "plain.h5"), x, kit.class_labels(x)
        )
    ours = keras.models.load_model(tfs.export.h5(model, tmp_path / "ours.h5"))
    _one_step(ours, x, kit.class_labels(x))
    assert int(ours.optimizer.iterations) == 1


def test_uncompiled_model_saves_and_loads(tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    path = tfs.export.h5(model, tmp_path / "model.hdf5")
    assert not keras.models.load_model(path).compiled


def test_suffix_is_checked(tmp_path: Path, kit: SimpleNamespace) -> None:
    with pytest.raises(ConfigError, match=r"must end in \.h5 or \.hdf5.*model\.h5"):
        tfs.export.h5(kit.make_classifier(), tmp_path / "model.keras")


def test_not_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ArgumentTypeError, match=r"`model` must be a keras\.Model, got"):
        tfs.export.h5("model", tmp_path / "model.h5")


def test_existing_file_is_kept_without_overwrite(
    tmp_path: Path, kit: SimpleNamespace
) -> None:
    target = tmp_path / "model.h5"
    target.write_bytes(b"precious")
    with pytest.raises(ArtifactExistsError, match="overwrite=True"):
        tfs.export.h5(kit.make_classifier(), target)
    assert target.read_bytes() == b"precious"
    tfs.export.h5(kit.make_classifier(), target, overwrite=True)
    assert keras.models.load_model(target).name == "classifier"
