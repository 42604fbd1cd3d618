"""Recipes: validated settings, their callbacks, pipelines and one-call training."""

from __future__ import annotations

import dataclasses
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError
from tfstarter.models import Recipe


def test_published_recipes_are_valid_and_named() -> None:
    assert set(tfs.models.RECIPES) == {"cnn", "cnn_long", "cnn_fashion", "dense"}
    for name, recipe in tfs.models.RECIPES.items():
        assert tfs.models.recipe(name) is recipe
        assert 0.0 < recipe.validation_split < 1.0
        assert recipe.loop == "custom"
    assert tfs.models.recipe("cnn") is tfs.models.CNN_RECIPE
    long, fast = tfs.models.CNN_LONG_RECIPE, tfs.models.CNN_RECIPE
    assert long.epochs > fast.epochs
    fashion = tfs.models.CNN_FASHION_RECIPE
    assert fashion == dataclasses.replace(long, epochs=fashion.epochs)
    assert fashion.epochs > long.epochs


def test_recipes_are_read_only() -> None:
    with pytest.raises(TypeError):
        tfs.models.RECIPES["mine"] = Recipe(1, 1)  # type: ignore[index]
    with pytest.raises(AttributeError):
        tfs.models.CNN_RECIPE.epochs = 1  # type: ignore[misc]


def test_unknown_recipe_names_the_known_ones() -> None:
    known = r"one of 'cnn', 'cnn_long', 'cnn_fashion', 'dense', got"
    with pytest.raises(ConfigError, match=known):
        tfs.models.recipe("resnet")


def test_cosine_schedule_drives_fit() -> None:
    model = tfs.models.linear(2, learning_rate=0.1)
    recipe = Recipe(epochs=4, batch_size=8, validation_split=0.25)
    x = np.random.default_rng(0).standard_normal((16, 2)).astype("float32")
    history = model.fit(x, x[:, :1], verbose=0, **recipe.fit_kwargs())
    assert history.history["learning_rate"] == pytest.approx(
        [0.1 * 0.5 * (1 + math.cos(math.pi * i / 4)) for i in range(4)], rel=1e-5
    )
    assert len(history.history["val_loss"]) == 4


def test_a_recipe_rate_replaces_the_optimizer_rate() -> None:
    x = np.ones((16, 2), "float32")
    for schedule, expected in (("cosine", 0.5), ("constant", 0.5)):
        model = tfs.models.linear(2, learning_rate=0.1)
        recipe = Recipe(2, 8, schedule=schedule, learning_rate=0.5)
        history = model.fit(x, x[:, :1], verbose=0, **recipe.fit_kwargs())
        assert history.history["learning_rate"][0] == pytest.approx(expected)


def test_constant_schedule_without_a_rate_has_no_callbacks() -> None:
    recipe = Recipe(epochs=2, batch_size=4, schedule="constant")
    assert recipe.callbacks() == []
    assert recipe.fit_kwargs()["callbacks"] == []


def test_each_call_gives_fresh_callbacks() -> None:
    recipe = tfs.models.CNN_RECIPE
    first, second = recipe.callbacks(), recipe.callbacks()
    assert first[0] is not second[0]
    assert isinstance(first[0], tfs.models.OneCycle)


def test_fit_kwargs_refuse_augmentation_they_cannot_express() -> None:
    with pytest.raises(ConfigError, match=r"augments its training images \(shift=2\)"):
        Recipe(1, 8, shift=2).fit_kwargs()


def test_datasets_hold_out_the_last_samples_and_shift_only_training() -> None:
    x = np.full((20, 6, 6), 255, "uint8")
    y = np.arange(20)
    train, validation = Recipe(1, 4, validation_split=0.25, shift=2).datasets(x, y)
    assert validation is not None
    held = np.concatenate([labels for _, labels in validation.as_numpy_iterator()])
    assert held.tolist() == list(range(15, 20))
    images = np.concatenate([i for i, _ in validation.as_numpy_iterator()])
    assert (images == 255).all()  # validation images are never shifted
    batches = list(train.as_numpy_iterator())
    labels = np.concatenate([b[1] for b in batches])
    assert sorted(labels.tolist()) == list(range(15))
    shifted = np.concatenate([b[0] for b in batches])
    assert shifted.dtype == np.uint8 and (shifted == 0).any()


def test_flip_mirrors_some_training_images_and_no_validation_image() -> None:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (80, 5, 7), dtype=np.uint8)
    x[:, :, 0] = 0  # no image is its own mirror image
    y = np.arange(80)
    recipe = Recipe(1, 16, validation_split=0.2, flip=True)
    train, validation = recipe.datasets(x, y, seed=3)
    assert validation is not None
    for images, labels in validation.as_numpy_iterator():
        np.testing.assert_array_equal(images, x[labels])
    mirrored = []
    for images, labels in train.as_numpy_iterator():
        for image, label in zip(images, labels, strict=True):
            same = np.array_equal(image, x[label])
            assert same or np.array_equal(image, x[label][:, ::-1])
            mirrored.append(not same)
    assert 0.25 < np.mean(mirrored) < 0.75


def test_flip_with_shift_is_repeatable_per_seed_and_new_each_epoch() -> None:
    x = np.random.default_rng(1).integers(0, 256, (32, 6, 6), dtype=np.uint8)
    recipe = Recipe(1, 8, validation_split=0.0, shift=1, flip=True)

    def epochs(seed: int) -> list[np.ndarray]:
        train, _ = recipe.datasets(x, np.arange(32), seed=seed)
        return [
            np.concatenate([b for b, _ in train.as_numpy_iterator()]) for _ in range(2)
        ]

    first, again = epochs(0), epochs(0)
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], first[1])


@pytest.mark.parametrize("shape", [(10, 3), (10, 2, 2, 2, 1)])
def test_flip_needs_images(shape: tuple[int, ...]) -> None:
    with pytest.raises(ConfigError, match=r"flip=True mirrors images"):
        Recipe(1, 5, flip=True).datasets(np.zeros(shape), np.zeros(10))


def test_fit_kwargs_refuse_flips_they_cannot_express() -> None:
    with pytest.raises(ConfigError, match=r"training images \(flip=True\)"):
        Recipe(1, 8, flip=True).fit_kwargs()


def test_datasets_without_validation() -> None:
    x, y = np.zeros((10, 3), "float32"), np.zeros(10, "int64")
    train, validation = Recipe(1, 5, validation_split=0.0).datasets(x, y)
    assert validation is None
    assert int(train.cardinality()) == 2


def test_shift_needs_images() -> None:
    with pytest.raises(ConfigError, match=r"shift=1 translates images"):
        Recipe(1, 5, shift=1).datasets(np.zeros((10, 3)), np.zeros(10))


def test_too_little_data_for_the_hold_out() -> None:
    with pytest.raises(
        ConfigError, match=r"validation_split=0.1 of 5 samples leaves 0"
    ):
        Recipe(1, 5).datasets(np.zeros((5, 3)), np.zeros(5))


def small_images(n: int = 64) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, n)
    x = rng.integers(0, 60, (n, 8, 8)).astype("uint8")
    for label in range(3):  # a bright bar whose row says the class
        x[y == label, 2 * label + 1, 1:7] = 255
    return x, y


def test_fit_runs_the_whole_recipe_in_a_trainer() -> None:
    x, y = small_images()
    model = tfs.models.cnn(
        (8, 8), classes=3, filters=(4,), hidden=(8,), rescale=1 / 255, seed=0
    )
    recipe = Recipe(3, 16, schedule="one_cycle", learning_rate=0.01, shift=1)
    history = recipe.fit(model, x, y, verbose=0, seed=0)
    assert len(history.history["val_loss"]) == 3
    rates = history.history["learning_rate"]
    assert rates[-1] == pytest.approx(0.01 / 1e4, rel=1e-3)
    assert max(rates) <= 0.01


def test_fit_is_repeatable() -> None:
    x, y = small_images()
    results = []
    for _ in range(2):
        keras.utils.set_random_seed(0)
        model = tfs.models.cnn(
            (8, 8), classes=3, filters=(4,), hidden=(8,), rescale=1 / 255, seed=0
        )
        trainer = tfs.Trainer(model, "custom", jit_compile=False)
        Recipe(2, 16, schedule="one_cycle", shift=1).fit(trainer, x, y, verbose=0)
        results.append(model.get_weights())
    for a, b in zip(*results, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fit_with_validation_data_trains_on_everything() -> None:
    x, y = small_images(40)
    model = tfs.models.dense((8, 8), classes=3, rescale=1 / 255, seed=0)
    seen: list[int] = []

    class Count(keras.callbacks.Callback):
        def on_epoch_end(self, epoch: int, logs: object = None) -> None:
            seen.append(self.params["steps"])

    Recipe(1, 10).fit(
        model, x, y, validation_data=(x[:8], y[:8]), verbose=0, callbacks=[Count()]
    )
    assert seen == [4]


def test_fit_refuses_what_it_cannot_train() -> None:
    x, y = small_images(16)
    recipe = Recipe(1, 8)
    with pytest.raises(ArgumentTypeError, match=r"`target` must be a keras.Model"):
        recipe.fit("model", x, y)  # type: ignore[arg-type]
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    model = tfs.models.dense((8, 8), classes=3)
    with pytest.raises(ArgumentTypeError, match=r"`x` must be arrays"):
        recipe.fit(model, dataset, None)


def test_trainer_uses_the_recipe_loop() -> None:
    model = tfs.models.dense(4, classes=3)
    assert Recipe(1, 8, loop="fit").trainer(model).loop == "fit"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"epochs": 0}, ConfigError, r"`epochs` must be a positive integer, got 0"),
        ({"batch_size": -1}, ConfigError, r"`batch_size` must be a positive integer"),
        (
            {"batch_size": 1.5},
            ArgumentTypeError,
            r"`batch_size` must be a positive integer",
        ),
        (
            {"validation_split": 1.0},
            ConfigError,
            r"`validation_split` must be in \[0.0, 1.0\)",
        ),
        (
            {"schedule": "linear"},
            ConfigError,
            r"`schedule` must be one of 'constant', 'cosine', 'one_cycle'",
        ),
        ({"learning_rate": 0.0}, ConfigError, r"`learning_rate` must be in \(0.0"),
        ({"warmup": 1.0}, ConfigError, r"`warmup` must be in \[0.0, 1.0\)"),
        ({"shift": -1}, ConfigError, r"`shift` must be a non-negative integer"),
        ({"loop": "eager"}, ConfigError, r"`loop` must be one of 'fit', 'custom'"),
        ({"flip": "yes"}, ArgumentTypeError, r"`flip` must be True or False"),
    ],
)
def test_bad_recipes(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    arguments: dict[str, object] = {"epochs": 3, "batch_size": 32, **kwargs}
    with pytest.raises(error, match=match):
        Recipe(**arguments)  # type: ignore[arg-type]
