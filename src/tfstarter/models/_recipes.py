"""Training recipes: how long, in what batches, on what schedule and data to train.

A builder fixes the architecture and the compile settings; a `Recipe` holds
the rest of what its defaults were tuned with: epochs, batch size, the
validation hold-out, the learning-rate schedule, the augmentation and the
`Trainer` loop. One call applies all of it::

    model = tfs.models.cnn((28, 28), classes=10, rescale=1 / 255)
    history = tfs.models.CNN_RECIPE.fit(model, x_train, y_train)

The published recipes are in `RECIPES` by name (``recipe("cnn")``), which is
how the ``tfstarter`` command's configs refer to them; the time-to-accuracy
benchmark (``benchmarks/time_to_accuracy.py``) measures them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import keras
import tensorflow as tf

from tfstarter._checks import (
    check_bool,
    check_non_negative_int,
    check_number_in_range,
    check_one_of,
    check_positive_int,
    check_seed,
    describe,
)
from tfstarter.errors import ArgumentTypeError, ConfigError
from tfstarter.models._recipe_data import (
    evaluation_pipeline,
    hold_out,
    training_pipeline,
)
from tfstarter.models._schedules import CosineOverEpochs, OneCycle

if TYPE_CHECKING:
    from tfstarter.training import Trainer

Schedule = Literal["constant", "cosine", "one_cycle"]
"""``"constant"``: one rate throughout; ``"cosine"``: decay per epoch from the
peak to almost 0; ``"one_cycle"``: per batch, warm up to the peak, then
anneal to almost 0 (`OneCycle`)."""

RecipeLoop = Literal["fit", "custom"]
"""The `Trainer` loop a recipe runs in (see `tfstarter.training.Trainer`)."""

SCHEDULES: tuple[Schedule, ...] = ("constant", "cosine", "one_cycle")


@dataclass(frozen=True)
class Recipe:
    """How to train a model built with a builder's defaults.

    Attributes:
        epochs: passes over the training data.
        batch_size: samples per gradient step.
        validation_split: the fraction of the training data held out for
            validation: the *last* samples, as in Keras ``fit`` (watch the
            train/validation gap for overfitting). 0 for none.
        schedule: the learning-rate schedule (see `Schedule`).
        learning_rate: the peak learning rate of the schedule, or ``None``
            for the optimizer's rate when training starts.
        warmup: for ``"one_cycle"``, the fraction of the batches spent
            rising to the peak, in ``[0, 1)``.
        shift: random translation of training images by up to this many
            pixels along each axis (0: no augmentation). Needs image arrays
            and the recipe's own pipeline (`fit` or `datasets`).
        flip: mirror each training image left-right with probability 1/2:
            for images whose mirror image is the same class (clothing,
            objects), never for digits or text. Needs image arrays and the
            recipe's own pipeline, as ``shift``.
        loop: the `Trainer` loop `fit` runs in (``"custom"``: tfstarter's
            compiled loop, faster on a CPU; or ``"fit"``).

    Raises:
        ConfigError: for out-of-range or unknown settings.
        ArgumentTypeError: for a setting of the wrong type.

    Examples:
        >>> recipe = Recipe(epochs=5, batch_size=64, validation_split=0.1)
        >>> kwargs = recipe.fit_kwargs()
        >>> callbacks = kwargs.pop("callbacks")
        >>> kwargs
        {'epochs': 5, 'batch_size': 64, 'validation_split': 0.1}
        >>> type(callbacks.pop()).__name__
        'LearningRateScheduler'
    """

    epochs: int
    batch_size: int
    validation_split: float = 0.1
    schedule: Schedule = "cosine"
    learning_rate: float | None = None
    warmup: float = 0.25
    shift: int = 0
    loop: RecipeLoop = "custom"
    flip: bool = False

    def __post_init__(self) -> None:
        check_positive_int("epochs", self.epochs)
        check_positive_int("batch_size", self.batch_size)
        check_number_in_range(
            "validation_split", self.validation_split, low=0.0, high=1.0
        )
        check_one_of("schedule", self.schedule, SCHEDULES)
        if self.learning_rate is not None:
            check_number_in_range(
                "learning_rate",
                self.learning_rate,
                low=0.0,
                high=math.inf,
                low_inclusive=False,
            )
        check_number_in_range("warmup", self.warmup, low=0.0, high=1.0)
        check_non_negative_int("shift", self.shift)
        check_bool("flip", self.flip)
        check_one_of("loop", self.loop, ("fit", "custom"))

    def callbacks(self) -> list[keras.callbacks.Callback]:
        """Return fresh callbacks that apply the learning-rate schedule.

        The model's optimizer must have a float learning rate (the builders'
        default), not a `LearningRateSchedule`.

        Examples:
            >>> [
            ...     type(c).__name__
            ...     for c in Recipe(3, 32, schedule="one_cycle").callbacks()
            ... ]
            ['OneCycle']
        """
        if self.schedule == "one_cycle":
            return [OneCycle(self.learning_rate, warmup=self.warmup)]
        if self.schedule == "cosine":
            schedule = CosineOverEpochs(self.epochs, base=self.learning_rate)
            return [keras.callbacks.LearningRateScheduler(schedule)]
        if self.learning_rate is None:
            return []
        rate = self.learning_rate
        return [keras.callbacks.LearningRateScheduler(lambda _epoch, _rate: rate)]

    def fit_kwargs(self) -> dict[str, Any]:
        """Return the recipe as keyword arguments for ``fit`` on arrays.

        For ``keras.Model.fit`` and `Trainer.fit` alike: ``epochs``,
        ``batch_size``, ``validation_split`` and ``callbacks`` (the schedule).

        Raises:
            ConfigError: for a recipe that augments (``shift > 0`` or
                ``flip``): ``fit`` cannot shift or mirror images; use `fit` or
                `datasets` instead.
        """
        augmentation = [f"shift={self.shift}"] if self.shift else []
        augmentation += ["flip=True"] if self.flip else []
        if augmentation:
            raise ConfigError(
                f"this recipe augments its training images "
                f"({', '.join(augmentation)}), "
                f"which keyword arguments for fit cannot express. Call "
                f"recipe.fit(model, x, y), or train on recipe.datasets(x, y) with "
                f"epochs=recipe.epochs and callbacks=recipe.callbacks()."
            )
        return {
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "validation_split": self.validation_split,
            "callbacks": self.callbacks(),
        }

    def datasets(
        self, x: Any, y: Any, *, seed: int | None = 0
    ) -> tuple[tf.data.Dataset, tf.data.Dataset | None]:
        """Return the training and validation pipelines for arrays ``x``, ``y``.

        The last ``validation_split`` of the samples are held out (``None``
        when it is 0); the rest is shuffled every epoch and, with ``shift``,
        randomly translated (and with ``flip`` mirrored), all from ``seed``.

        Examples:
            >>> x, y = np.zeros((100, 8, 8), "uint8"), np.zeros(100, "int64")
            >>> train, val = Recipe(2, 30, validation_split=0.1, shift=1).datasets(x, y)
            >>> int(train.cardinality()), int(val.cardinality())
            (3, 1)
        """
        seed = check_seed(seed)
        (x_train, y_train), validation = hold_out(x, y, self.validation_split)
        train = training_pipeline(
            x_train,
            y_train,
            batch_size=self.batch_size,
            shift=self.shift,
            flip=self.flip,
            seed=seed,
        )
        return train, None if validation is None else evaluation_pipeline(*validation)

    def trainer(self, model: keras.Model) -> Trainer:
        """Return a `Trainer` for ``model`` in this recipe's loop.

        Examples:
            >>> model = tfs.models.dense(4, classes=3)
            >>> Recipe(1, 8).trainer(model).loop
            'custom'
        """
        from tfstarter.training import Trainer

        return Trainer(model, self.loop)

    def fit(
        self,
        target: keras.Model | Trainer,
        x: Any,
        y: Any,
        *,
        validation_data: Any = None,
        seed: int | None = 0,
        verbose: Any = "auto",
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
    ) -> keras.callbacks.History:
        """Train ``target`` on arrays ``x``, ``y`` with everything the recipe says.

        Builds the pipelines (`datasets`: the hold-out, shuffling, augmentation),
        adds the schedule to ``callbacks`` and runs `Trainer.fit` for
        ``epochs``: in a `Trainer` in the recipe's loop when given a model,
        or in the `Trainer` given.

        Args:
            target: a compiled `keras.Model`, or a `Trainer`.
            x: training inputs, an array with one row per sample.
            y: training labels.
            validation_data: ``(x_val, y_val)`` arrays or a dataset to
                validate on instead of holding out ``validation_split``.
            seed: the seed of shuffling and augmentation.
            verbose: as in `Trainer.fit`.
            callbacks: more callbacks, called after the schedule's.

        Returns:
            The `keras.callbacks.History` of the run.

        Raises:
            ArgumentTypeError: if ``target`` is neither a model nor a
                `Trainer`, or ``x`` is a dataset (pass arrays; with a
                pipeline of your own use `callbacks` and ``epochs``).

        Examples:
            >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
            >>> y = (x[:, 0] > 0).astype("int64")
            >>> model = tfs.models.dense(4, classes=2, seed=0)
            >>> history = Recipe(2, 16, schedule="one_cycle").fit(
            ...     model, x, y, verbose=0
            ... )
            >>> sorted(history.history)[:3]
            ['accuracy', 'auc', 'learning_rate']
        """
        from tfstarter.training import Trainer

        if isinstance(x, tf.data.Dataset):
            raise ArgumentTypeError(
                "`x` must be arrays: the recipe builds its own pipeline from them. "
                "With a tf.data pipeline of your own, pass "
                "epochs=recipe.epochs and callbacks=recipe.callbacks() to fit."
            )
        if isinstance(target, Trainer):
            trainer = target
        elif isinstance(target, keras.Model):
            trainer = self.trainer(target)
        else:
            raise ArgumentTypeError(
                f"`target` must be a keras.Model or a tfs.Trainer, got "
                f"{describe(target)} of type {type(target).__name__}."
            )
        if validation_data is None:
            train, validation = self.datasets(x, y, seed=seed)
        else:
            train, _ = dataclasses.replace(self, validation_split=0.0).datasets(
                x, y, seed=seed
            )
            validation = (
                evaluation_pipeline(*validation_data)
                if isinstance(validation_data, tuple)
                else validation_data
            )
        return trainer.fit(
            train,
            validation_data=validation,
            epochs=self.epochs,
            verbose=verbose,
            callbacks=[*self.callbacks(), *(callbacks or [])],
        )


CNN_RECIPE = Recipe(
    epochs=3,
    batch_size=128,
    validation_split=0.1,
    schedule="one_cycle",
    learning_rate=1e-2,
    warmup=0.2,
)
"""Recommended training for `cnn` with default settings on 28x28 images.

Examples:
    >>> CNN_RECIPE.schedule
    'one_cycle'
"""

CNN_LONG_RECIPE = Recipe(
    epochs=12,
    batch_size=128,
    validation_split=0.1,
    schedule="one_cycle",
    learning_rate=1e-2,
    warmup=0.2,
    shift=2,
)
"""Longer training for `cnn` with default settings on 28x28 images, for the
last tenths of a percent: more epochs, with randomly shifted images.

Examples:
    >>> CNN_LONG_RECIPE.shift
    2
"""

CNN_FASHION_RECIPE = dataclasses.replace(CNN_LONG_RECIPE, epochs=16)
"""`CNN_LONG_RECIPE` trained for 16 epochs: for `cnn` with default settings on
harder 28x28 images such as Fashion-MNIST's clothing, where the extra epochs
pay: Fashion-MNIST test accuracy 93.41% (median of 3 seeds), against 92.94%
for 11 epochs from seed 0 (the time-to-accuracy benchmark).

Examples:
    >>> CNN_FASHION_RECIPE.epochs, CNN_FASHION_RECIPE.shift
    (16, 2)
"""

DENSE_RECIPE = Recipe(epochs=20, batch_size=128, validation_split=0.1)
"""Recommended training for a `dense` classifier with default settings on
flattened 28x28 images.

Examples:
    >>> DENSE_RECIPE.batch_size
    128
"""

RECIPES: Mapping[str, Recipe] = MappingProxyType(
    {
        "cnn": CNN_RECIPE,
        "cnn_long": CNN_LONG_RECIPE,
        "cnn_fashion": CNN_FASHION_RECIPE,
        "dense": DENSE_RECIPE,
    }
)
"""The published recipes by name (read-only)."""


def recipe(name: str) -> Recipe:
    """Return the published recipe called ``name`` (a key of `RECIPES`).

    Raises:
        ConfigError: for an unknown name, listing the known ones.

    Examples:
        >>> recipe("cnn") is CNN_RECIPE
        True
    """
    if not isinstance(name, str) or name not in RECIPES:
        raise ConfigError(
            f"`name` must be one of {', '.join(map(repr, RECIPES))}, got "
            f"{describe(name)}. Or build your own tfs.models.Recipe(...)."
        )
    return RECIPES[name]
