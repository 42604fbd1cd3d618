"""The contenders of ``benchmarks/time_to_accuracy.py`` and how each one trains.

Anchors, trained exactly as their sources do (plain ``model.fit`` on arrays
of ``pixels / 255``):

* the seed tutorial's CNN (workflow 5 of ``WORKFLOWS.md``): Conv2D 4/8/12
  filters 3x3 -> Flatten -> Dense(256) -> softmax, Adam, batch 1000, 25
  epochs, 20% validation;
* the keras.io "simple MNIST convnet": Conv32-pool-Conv64-pool-Flatten-
  Dropout(0.5)-Dense(10) softmax, Adam, batch 128, 15 epochs, 10% validation;
* the tutorial's dense network (workflow 4): Flatten -> Dense(128) ->
  Dropout(0.2) -> Dense(10), Adam, batch 32, 5 epochs, 10% validation.

tfstarter: the builders' defaults with their recipes, once under plain
``model.fit`` (on the recipe's pipelines, with its schedule callbacks) and
once through ``recipe.fit``, i.e. a `tfs.Trainer` with its defaults in the
recipe's loop. Every run is scored with ``model.evaluate`` on the 10,000
test images.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import numpy.typing as npt

import tfstarter as tfs
from tfstarter.models import Recipe

Arrays = tuple[npt.NDArray[Any], npt.NDArray[Any]]


@dataclass(frozen=True)
class Contender:
    """One model and one way of training it."""

    key: str
    label: str
    family: str  # "cnn" or "dense": which table block it belongs to
    epochs: int
    batch_size: int
    validation_split: float
    train: Callable[[Arrays, int, int], tuple[keras.Model, Any]]
    """``train((x, y), seed, epochs) -> (model, trainer or None)``."""
    scaled_inputs: bool = False
    """Whether the model takes ``pixels / 255`` (the anchors) or raw pixels."""
    datasets: tuple[str, ...] | None = None
    """The datasets it is trained on; ``None``: every dataset of the run."""

    @property
    def is_anchor(self) -> bool:
        """Whether this is an anchor (a recipe as its source trains it).

        The anchors are exactly the contenders that take ``pixels / 255``.
        """
        return self.scaled_inputs


@dataclass(frozen=True)
class Result:
    """What one training run measured."""

    key: str
    dataset: str
    seed: int
    test_accuracy: float
    fit_seconds: float
    train_samples: int
    validation_samples: int
    epochs: int
    params: int
    forward_flops: int
    load_before: float
    load_after: float
    note: str


def _load() -> float:
    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def scaled(x: npt.NDArray[np.uint8], *, channels: bool) -> npt.NDArray[np.float32]:
    """The tutorials' preprocessing: pixels / 255 as float32."""
    images = (x.astype(np.float32) / 255.0).astype(np.float32)
    return images[..., None] if channels else images


def _adam_compile(model: keras.Model) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def tutorial_cnn() -> keras.Model:
    """Workflow 5: Conv2D 4/8/12 filters 3x3 -> Flatten -> Dense(256) -> softmax."""
    return _adam_compile(
        keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(4, 3, activation="relu"),
                keras.layers.Conv2D(8, 3, activation="relu"),
                keras.layers.Conv2D(12, 3, activation="relu"),
                keras.layers.Flatten(),
                keras.layers.Dense(256, activation="relu"),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
    )


def keras_io_convnet() -> keras.Model:
    """keras.io "Simple MNIST convnet"."""
    return _adam_compile(
        keras.Sequential(
            [
                keras.Input((28, 28, 1)),
                keras.layers.Conv2D(32, 3, activation="relu"),
                keras.layers.MaxPooling2D(2),
                keras.layers.Conv2D(64, 3, activation="relu"),
                keras.layers.MaxPooling2D(2),
                keras.layers.Flatten(),
                keras.layers.Dropout(0.5),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
    )


def tutorial_dense() -> keras.Model:
    """Workflow 4: Flatten -> Dense(128, relu) -> Dropout(0.2) -> Dense(10)."""
    return _adam_compile(
        keras.Sequential(
            [
                keras.Input((28, 28)),
                keras.layers.Flatten(),
                keras.layers.Dense(128, activation="relu"),
                keras.layers.Dropout(0.2),
                keras.layers.Dense(10, activation="softmax"),
            ]
        )
    )


def _anchor(
    build: Callable[[], keras.Model],
    *,
    batch_size: int,
    validation_split: float,
    channels: bool,
) -> Callable[[Arrays, int, int], tuple[keras.Model, Any]]:
    def train(data: Arrays, seed: int, epochs: int) -> tuple[keras.Model, Any]:
        del seed  # seeded by the caller (keras.utils.set_random_seed)
        model = build()
        model.fit(
            scaled(data[0], channels=channels),
            data[1],
            epochs=epochs,
            batch_size=batch_size,
            validation_split=validation_split,
            verbose=0,
        )
        return model, None

    return train


def _builder(name: str, seed: int) -> keras.Model:
    if name == "cnn":
        return tfs.models.cnn((28, 28), classes=10, rescale=1 / 255, seed=seed)
    return tfs.models.dense((28, 28), classes=10, rescale=1 / 255, seed=seed)


def _recipe_plain_fit(
    name: str, recipe: Recipe
) -> Callable[[Arrays, int, int], tuple[keras.Model, Any]]:
    def train(data: Arrays, seed: int, epochs: int) -> tuple[keras.Model, Any]:
        model = _builder(name, seed)
        recipe_ = dataclasses.replace(recipe, epochs=epochs)
        train_ds, validation = recipe_.datasets(*data, seed=seed)
        model.fit(
            train_ds,
            validation_data=validation,
            epochs=recipe_.epochs,
            callbacks=recipe_.callbacks(),
            shuffle=False,  # the pipeline shuffles
            verbose=0,
        )
        return model, None

    return train


def _recipe_trainer(
    name: str, recipe: Recipe
) -> Callable[[Arrays, int, int], tuple[keras.Model, Any]]:
    def train(data: Arrays, seed: int, epochs: int) -> tuple[keras.Model, Any]:
        model = _builder(name, seed)
        recipe_ = dataclasses.replace(recipe, epochs=epochs)
        trainer = recipe_.trainer(model)
        recipe_.fit(trainer, *data, seed=seed, verbose=0)
        return model, trainer

    return train


def contenders() -> list[Contender]:
    """Every contender, anchors first."""
    cnn, long, fashion, dense = (
        tfs.models.CNN_RECIPE,
        tfs.models.CNN_LONG_RECIPE,
        tfs.models.CNN_FASHION_RECIPE,
        tfs.models.DENSE_RECIPE,
    )
    return [
        Contender(
            "tutorial_cnn",
            "seed tutorial CNN (workflow 5), model.fit",
            "cnn",
            25,
            1000,
            0.2,
            _anchor(tutorial_cnn, batch_size=1000, validation_split=0.2, channels=True),
            scaled_inputs=True,
        ),
        Contender(
            "keras_io",
            'keras.io "simple MNIST convnet", model.fit',
            "cnn",
            15,
            128,
            0.1,
            _anchor(
                keras_io_convnet, batch_size=128, validation_split=0.1, channels=True
            ),
            scaled_inputs=True,
        ),
        Contender(
            "cnn_plain",
            "`cnn` + `CNN_RECIPE`, plain model.fit",
            "cnn",
            cnn.epochs,
            cnn.batch_size,
            cnn.validation_split,
            _recipe_plain_fit("cnn", cnn),
        ),
        Contender(
            "cnn_trainer",
            "`cnn` + `CNN_RECIPE`, Trainer defaults",
            "cnn",
            cnn.epochs,
            cnn.batch_size,
            cnn.validation_split,
            _recipe_trainer("cnn", cnn),
        ),
        Contender(
            "cnn_long_trainer",
            "`cnn` + `CNN_LONG_RECIPE`, Trainer defaults",
            "cnn",
            long.epochs,
            long.batch_size,
            long.validation_split,
            _recipe_trainer("cnn", long),
        ),
        Contender(
            "cnn_fashion_trainer",
            "`cnn` + `CNN_FASHION_RECIPE`, Trainer defaults",
            "cnn",
            fashion.epochs,
            fashion.batch_size,
            fashion.validation_split,
            _recipe_trainer("cnn", fashion),
            datasets=("fashion_mnist",),  # tuned there; MNIST has CNN_LONG_RECIPE
        ),
        Contender(
            "tutorial_dense",
            "tutorial dense (workflow 4), model.fit",
            "dense",
            5,
            32,
            0.1,
            _anchor(
                tutorial_dense, batch_size=32, validation_split=0.1, channels=False
            ),
            scaled_inputs=True,
        ),
        Contender(
            "dense_trainer",
            "`dense` + `DENSE_RECIPE`, Trainer defaults",
            "dense",
            dense.epochs,
            dense.batch_size,
            dense.validation_split,
            _recipe_trainer("dense", dense),
        ),
    ]


def forward_flops(model: keras.Model) -> int:
    """Multiply-adds x 2 of one sample's forward pass, counted from the layers.

    Conv2D: ``2 * out_h * out_w * k_h * k_w * in_channels * filters``; Dense:
    ``2 * inputs * units`` (per position for inputs of more than one axis).
    Other layers (pooling, normalization, activations) are not counted: they
    are memory-bound and do few operations per byte.
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, keras.layers.Conv2D):
            out_h, out_w, filters = layer.output.shape[1:]
            k_h, k_w, in_channels, _ = layer.kernel.shape
            total += 2 * out_h * out_w * k_h * k_w * in_channels * filters
        elif isinstance(layer, keras.layers.Dense):
            inputs, units = layer.kernel.shape
            positions = int(np.prod(layer.output.shape[1:-1] or (1,)))
            total += 2 * inputs * units * positions
    return int(total)


def run_one(
    contender: Contender,
    dataset: str,
    train: Arrays,
    test: Arrays,
    *,
    seed: int,
    epochs: int,
) -> Result:
    """Train one contender from ``seed`` and score it on the test images."""
    keras.utils.set_random_seed(seed)
    load_before = _load()
    start = time.perf_counter()
    model, trainer = contender.train(train, seed, epochs)
    fit_seconds = time.perf_counter() - start
    load_after = _load()
    if trainer is None:
        channels = len(model.input_shape) == 4
        images = (
            scaled(test[0], channels=channels) if contender.scaled_inputs else test[0]
        )
        scores = model.evaluate(
            images,
            test[1],
            batch_size=1000,
            verbose=0,
            return_dict=True,
        )
    else:
        scores = trainer.evaluate(*test, batch_size=1000, verbose=0)
    note = ""
    if trainer is not None and hasattr(trainer, "xla"):
        status = trainer.xla
        note = f"whole-step XLA: {status.whole_step} ({status.reason})"
    samples = len(train[0])
    held = int(samples * contender.validation_split)
    result = Result(
        key=contender.key,
        dataset=dataset,
        seed=seed,
        test_accuracy=float(scores["accuracy"]),
        fit_seconds=fit_seconds,
        train_samples=samples - held,
        validation_samples=held,
        epochs=epochs,
        params=int(model.count_params()),
        forward_flops=forward_flops(model),
        load_before=load_before,
        load_after=load_after,
        note=note,
    )
    keras.backend.clear_session()
    return result
