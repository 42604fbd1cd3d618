"""The Trainer takes what ``model.fit`` takes, and trains the same (issue 13).

For each data kind and structure, each argument of ``fit`` / ``evaluate`` /
``predict``, single- and multi-output models, Sequential / functional /
subclassed: plain Keras and both Trainer loops, from the same seed, must give

- the same number of optimizer steps (``model.optimizer.iterations``),
- the same `keras.callbacks.History` keys and values (to 1e-5),
- the same hooks with the same batch indices and ``logs`` keys (a spy),
- the same weights (to 1e-5, SGD), and the same ``evaluate`` / ``predict``
  results,

with the model's ``steps_per_execution`` left to its default and set by
``model.compile(..., steps_per_execution=3)``. Without a callback listening
to the batch hooks the Trainer may run several steps per compiled call
(``steps_per_execution="auto"``); that must not change the step count, the
history or the weights either.

Where plain Keras warns (a run that ends early because the data ran out, a
capped number of epochs), the Trainer must warn the same: both sides run
inside ``pytest.warns``; anywhere else a warning is an error.

Arrays are never shuffled here (``shuffle=False``): tfstarter's seeded
shuffle differs from Keras' on purpose. Plain Keras runs once per case and
``steps_per_execution`` (cached); the Trainer runs per loop.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs

SEED = 11
N = 40
FEATURES = 4
CLASSES = 3
BATCH = 8
ATOL = 1e-5
LOOPS = ("fit", "custom")
MODEL_SPE = 3  # the model's own compile(steps_per_execution=...)

_RNG = np.random.default_rng(0)
X = _RNG.normal(size=(N, FEATURES)).astype("float32")
Y = ((X[:, 0] > 0).astype("int64") + (X[:, 1] > 0.5).astype("int64")).astype("int64")
B = _RNG.normal(size=(N, 2)).astype("float32")  # a second / nested input
C = _RNG.normal(size=(N, 2)).astype("float32")
YREG = (X[:, :1] - 0.5 * X[:, 1:2]).astype("float32")  # a regression target
W = _RNG.uniform(0.2, 2.0, size=N).astype("float32")  # sample weights
XV = _RNG.normal(size=(24, FEATURES)).astype("float32")  # validation data
YV = (XV[:, 0] > 0).astype("int64")
X100 = _RNG.normal(size=(100, FEATURES)).astype("float32")
Y100 = (X100[:, 0] > 0).astype("int64")
X48 = _RNG.normal(size=(48, FEATURES)).astype("float32")
Y48 = (X48[:, 0] > 0).astype("int64")
XS = np.where(np.abs(X) > 0.6, X, 0.0).astype("float32")  # for sparse inputs
RAGGED_LENGTHS = (np.arange(N) % 4) + 1
RAGGED_VALUES = _RNG.normal(size=int(RAGGED_LENGTHS.sum())).astype("float32")


# ----------------------------------------------------------------- models


def _scce() -> keras.losses.Loss:
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def _compile(model: keras.Model, spe: int | None, **kwargs: Any) -> keras.Model:
    kwargs.setdefault("loss", _scce())
    kwargs.setdefault("metrics", ["accuracy"])
    if spe is not None:
        kwargs["steps_per_execution"] = spe
    model.compile(optimizer=keras.optimizers.SGD(0.1), **kwargs)
    return model


def _head(tensor: Any) -> Any:
    hidden = keras.layers.Dense(5, activation="relu")(tensor)
    return keras.layers.Dense(CLASSES)(hidden)


class SubclassedClassifier(keras.Model):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = keras.layers.Dense(5, activation="relu")
        self.out = keras.layers.Dense(CLASSES)

    def call(self, inputs: Any) -> Any:
        return self.out(self.hidden(inputs))


class OptionalAdd(keras.layers.Layer):
    """``x + o``, or ``x`` when the optional input ``o`` is None."""

    def call(self, x: Any, o: Any = None) -> Any:
        return x if o is None else x + o

    def compute_output_shape(self, x_shape: Any, o_shape: Any = None) -> Any:
        return x_shape


class RaggedClassifier(keras.Model):
    """Mean and max over each ragged row, then a small dense head."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = keras.layers.Dense(5, activation="relu")
        self.out = keras.layers.Dense(CLASSES)

    def call(self, inputs: Any) -> Any:
        features = tf.stack(
            [tf.reduce_mean(inputs, axis=1), tf.reduce_max(inputs, axis=1)], axis=-1
        )
        return self.out(self.hidden(features))


class SquareLoss(keras.layers.Layer):
    """Adds ``mean((x - 1)^2)`` with ``add_loss``; the model has no other loss."""

    def call(self, x: Any) -> Any:
        self.add_loss(keras.ops.mean(keras.ops.square(x - 1.0)))
        return x


def _sequential(spe: int | None) -> keras.Model:
    model = keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.Dense(CLASSES),
        ]
    )
    return _compile(model, spe)


def _uncompiled(spe: int | None) -> keras.Model:
    del spe
    return keras.Sequential(
        [
            keras.Input((FEATURES,)),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.Dense(CLASSES),
        ]
    )


def _functional(spe: int | None) -> keras.Model:
    inputs = keras.Input((FEATURES,))
    return _compile(keras.Model(inputs, _head(inputs)), spe)


def _subclassed(spe: int | None) -> keras.Model:
    return _compile(SubclassedClassifier(), spe)


def _multi_input_list(spe: int | None) -> keras.Model:
    a = keras.Input((FEATURES,), name="a")
    b = keras.Input((2,), name="b")
    joined = keras.layers.Concatenate()([a, b])
    return _compile(keras.Model([a, b], _head(joined)), spe)


def _multi_input_dict(spe: int | None) -> keras.Model:
    a = keras.Input((FEATURES,), name="a")
    b = keras.Input((2,), name="b")
    joined = keras.layers.Concatenate()([a, b])
    return _compile(keras.Model({"a": a, "b": b}, _head(joined)), spe)


def _nested_input(spe: int | None) -> keras.Model:
    a = keras.Input((FEATURES,), name="a")
    p0 = keras.Input((2,), name="p0")
    p1 = keras.Input((2,), name="p1")
    joined = keras.layers.Concatenate()([a, p0, p1])
    return _compile(keras.Model({"a": a, "pair": [p0, p1]}, _head(joined)), spe)


def _optional_input(spe: int | None) -> keras.Model:
    x = keras.Input((FEATURES,), name="x")
    o = keras.Input((FEATURES,), name="o", optional=True)
    return _compile(keras.Model({"x": x, "o": o}, _head(OptionalAdd()(x, o))), spe)


def _two_heads(*, as_dict: bool) -> keras.Model:
    inputs = keras.Input((FEATURES,))
    hidden = keras.layers.Dense(5, activation="relu")(inputs)
    cls = keras.layers.Dense(CLASSES, name="cls")(hidden)
    reg = keras.layers.Dense(1, name="reg")(hidden)
    return keras.Model(inputs, {"cls": cls, "reg": reg} if as_dict else [cls, reg])


def _multi_output_list(spe: int | None) -> keras.Model:
    return _compile(
        _two_heads(as_dict=False),
        spe,
        loss=[_scce(), keras.losses.MeanSquaredError()],
        loss_weights=[1.0, 0.5],
        metrics=[["accuracy"], ["mae"]],
    )


def _multi_output_dict(spe: int | None) -> keras.Model:
    return _compile(
        _two_heads(as_dict=True),
        spe,
        loss={"cls": _scce(), "reg": keras.losses.MeanSquaredError()},
        loss_weights={"cls": 0.3, "reg": 2.0},
        metrics={"cls": ["accuracy"], "reg": ["mae"]},
    )


def _partial_loss_list(spe: int | None) -> keras.Model:
    return _compile(_two_heads(as_dict=False), spe, loss=[_scce(), None], metrics=None)


def _partial_loss_dict(spe: int | None) -> keras.Model:
    return _compile(
        _two_heads(as_dict=True),
        spe,
        loss={"cls": _scce()},
        metrics={"cls": ["accuracy"]},
    )


def _ragged(spe: int | None) -> keras.Model:
    return _compile(RaggedClassifier(), spe)


def _sparse(spe: int | None) -> keras.Model:
    inputs = keras.Input((FEATURES,), sparse=True)
    return _compile(keras.Model(inputs, _head(inputs)), spe)


def _add_loss_only(spe: int | None) -> keras.Model:
    inputs = keras.Input((FEATURES,))
    outputs = SquareLoss()(keras.layers.Dense(2)(inputs))
    return _compile(keras.Model(inputs, outputs), spe, loss=None, metrics=None)


MODELS: dict[str, Callable[[int | None], keras.Model]] = {
    "sequential": _sequential,
    "uncompiled": _uncompiled,
    "functional": _functional,
    "subclassed": _subclassed,
    "multi_input_list": _multi_input_list,
    "multi_input_dict": _multi_input_dict,
    "nested_input": _nested_input,
    "optional_input": _optional_input,
    "multi_output_list": _multi_output_list,
    "multi_output_dict": _multi_output_dict,
    "partial_loss_list": _partial_loss_list,
    "partial_loss_dict": _partial_loss_dict,
    "ragged": _ragged,
    "sparse": _sparse,
    "add_loss_only": _add_loss_only,
}


def _model(name: str, spe: int | None) -> keras.Model:
    keras.utils.set_random_seed(SEED)
    return MODELS[name](spe)


# ------------------------------------------------------------------- data


def _ds(*arrays: Any, batch: int = BATCH) -> tf.data.Dataset:
    return tf.data.Dataset.from_tensor_slices(arrays).batch(batch)


def _unknown(dataset: tf.data.Dataset) -> tf.data.Dataset:
    """The same batches, of unknown cardinality."""
    return dataset.filter(lambda *_: True)


def _batches(*arrays: Any, batch: int = BATCH) -> Iterator[tuple[Any, ...]]:
    n = len(arrays[0])
    for start in range(0, n, batch):
        yield tuple(a[start : start + batch] for a in arrays)


def _endless(*arrays: Any, batch: int = BATCH) -> Iterator[tuple[Any, ...]]:
    while True:
        yield from _batches(*arrays, batch=batch)


class _Batches(keras.utils.PyDataset):
    """A `keras.utils.PyDataset` of fixed, in-order batches."""

    def __init__(self, *arrays: Any, batch: int = BATCH) -> None:
        super().__init__()
        self.arrays = arrays
        self.batch = batch

    def __len__(self) -> int:
        return math.ceil(len(self.arrays[0]) / self.batch)

    def __getitem__(self, index: int) -> Any:
        part = tuple(
            a[index * self.batch : (index + 1) * self.batch] for a in self.arrays
        )
        return part if len(part) > 1 else part[0]


def _ragged_x() -> tf.RaggedTensor:
    return tf.RaggedTensor.from_row_lengths(RAGGED_VALUES, RAGGED_LENGTHS)


def _sparse_x() -> tf.SparseTensor:
    return tf.sparse.from_dense(XS)


# ------------------------------------------------------------------ cases

RAN_OUT = "Your input ran out of data"
NO_GRADIENTS = "Gradients do not exist for variables"

PHANTOM_STEP = (
    "Keras counts one optimizer iteration too many for each epoch that ends on "
    "data of unknown length (a finite generator, a filtered dataset) with "
    "steps_per_execution=1: the call that finds no batch left still increments "
    "`optimizer.iterations` (the weights do not change). Plain fit gives 12 "
    "iterations for 2 epochs of 5 batches."
)


class StepCountError(AssertionError):
    """The optimizer's iteration counts differ (see `PHANTOM_STEP`)."""


@dataclass(frozen=True)
class Case:
    """One call of ``fit`` / ``evaluate`` / ``predict``, run three ways.

    Attributes:
        method: ``"fit"``, ``"evaluate"`` or ``"predict"``.
        name: the test id.
        model: a key of `MODELS`.
        data: returns ``(args, kwargs)`` for the call, fresh each time
            (generators are consumed).
        warns: regexes of the warnings plain Keras gives (with the model's
            default steps_per_execution); the Trainer must give each as often.
        warns_spe: the same with the model's own steps_per_execution, where
            Keras warns differently.
        config: ``keras.config`` limits: ``max_epochs`` and/or
            ``max_steps_per_epoch``.
        model_spe: also run with ``compile(steps_per_execution=MODEL_SPE)``.
        quiet: also run without batch hooks heard (the Trainer then picks
            its own steps per call).
        phantom: plain Keras counts `PHANTOM_STEP`s here (default
            steps_per_execution).
        keras_fails: plain Keras itself fails here (reason).
    """

    method: str
    name: str
    model: str
    data: Callable[[], tuple[tuple[Any, ...], dict[str, Any]]]
    warns: tuple[str, ...] = ()
    warns_spe: tuple[str, ...] | None = None
    config: tuple[tuple[str, int], ...] = ()
    model_spe: bool = True
    quiet: bool = False
    phantom: bool = False
    keras_fails: str | None = None


def _case(
    method: str,
    name: str,
    model: str,
    *args: Any,
    data: Callable[[], Any] | None = None,
    warns: tuple[str, ...] = (),
    warns_spe: tuple[str, ...] | None = None,
    config: tuple[tuple[str, int], ...] = (),
    model_spe: bool = True,
    quiet: bool = False,
    phantom: bool = False,
    keras_fails: str | None = None,
    **kwargs: Any,
) -> Case:
    """A case calling ``method(*args, **kwargs)``; ``data`` for fresh data."""
    if data is None:
        data = lambda: (args, kwargs)  # noqa: E731
    return Case(
        method,
        name,
        model,
        data,
        warns=warns,
        warns_spe=warns_spe,
        config=config,
        model_spe=model_spe,
        quiet=quiet,
        phantom=phantom,
        keras_fails=keras_fails,
    )


def _fit(name: str, model: str, *args: Any, **kwargs: Any) -> Case:
    return _case("fit", name, model, *args, **kwargs)


def _evaluate(name: str, model: str, *args: Any, **kwargs: Any) -> Case:
    return _case("evaluate", name, model, *args, **kwargs)


def _predict(name: str, model: str, *args: Any, **kwargs: Any) -> Case:
    return _case("predict", name, model, *args, **kwargs)


FIT_CASES = [
    # Sequential / functional / subclassed models on arrays.
    _fit(
        "sequential-arrays", "sequential", X, Y, batch_size=BATCH, epochs=2, quiet=True
    ),
    _fit("functional-arrays", "functional", X, Y, batch_size=BATCH, epochs=2),
    _fit(
        "subclassed-arrays-short-last-batch",
        "subclassed",
        X,
        Y,
        batch_size=12,
        epochs=2,
        quiet=True,
    ),
    _fit("arrays-default-batch-size", "sequential", X, Y, model_spe=False),
    # steps_per_epoch with arrays: the case (5 batches, Keras: 10 steps).
    _fit(
        "issue-arrays-100-batch20-steps7-epochs2",
        "sequential",
        X100,
        Y100,
        batch_size=20,
        steps_per_epoch=7,
        epochs=2,
        warns=(RAN_OUT,),
        quiet=True,
    ),
    _fit(
        "arrays-steps-per-epoch-smaller-carries-over",
        "sequential",
        X48,
        Y48,
        batch_size=BATCH,
        steps_per_epoch=3,
        epochs=3,
        quiet=True,
    ),
    _fit(
        "arrays-steps-per-epoch-smaller-runs-out",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        steps_per_epoch=3,
        epochs=2,
        warns=(RAN_OUT,),
        warns_spe=(),
        quiet=True,
    ),
    # tf.data: known length, steps_per_epoch, unknown length, endless.
    _fit(
        "dataset", "functional", data=lambda: ((_ds(X, Y),), {"epochs": 2}), quiet=True
    ),
    _fit(
        "dataset-steps-per-epoch-larger",
        "functional",
        data=lambda: ((_ds(X, Y),), {"epochs": 2, "steps_per_epoch": 7}),
        warns=(RAN_OUT,),
        quiet=True,
    ),
    _fit(
        "dataset-steps-per-epoch-smaller-carries-over",
        "functional",
        data=lambda: ((_ds(X48, Y48),), {"epochs": 3, "steps_per_epoch": 4}),
        warns=(RAN_OUT,),
        warns_spe=(),
        quiet=True,
    ),
    _fit(
        "dataset-steps-per-epoch-divides",
        "functional",
        data=lambda: ((_ds(X48, Y48),), {"epochs": 3, "steps_per_epoch": 3}),
        quiet=True,
    ),
    _fit(
        "dataset-unknown-length",
        "functional",
        data=lambda: ((_unknown(_ds(X, Y)),), {"epochs": 2}),
        warns=(RAN_OUT,),
        quiet=True,
        phantom=True,
    ),
    _fit(
        "dataset-unknown-length-steps-per-epoch",
        "functional",
        data=lambda: ((_unknown(_ds(X, Y)),), {"epochs": 2, "steps_per_epoch": 3}),
        warns=(RAN_OUT,),
        warns_spe=(),
        quiet=True,
        phantom=True,
    ),
    _fit(
        "dataset-endless-steps-per-epoch",
        "functional",
        data=lambda: ((_ds(X, Y).repeat(),), {"epochs": 2, "steps_per_epoch": 7}),
        quiet=True,
    ),
    _fit(
        "dataset-with-sample-weight",
        "functional",
        data=lambda: ((_ds(X, Y, W),), {"epochs": 2}),
    ),
    # keras.config limits.
    _fit(
        "max-epochs",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        epochs=4,
        warns=("Limiting epochs to 2",),
        config=(("max_epochs", 2),),
        quiet=True,
    ),
    _fit(
        "max-steps-per-epoch",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        epochs=2,
        warns=("Limiting steps_per_epoch to 2",),
        config=(("max_steps_per_epoch", 2),),
        quiet=True,
    ),
    # Python generators and keras.utils.PyDataset.
    _fit(
        "generator-finite",
        "functional",
        data=lambda: ((_batches(X, Y),), {}),
        warns=(RAN_OUT,),
        quiet=True,
        phantom=True,
    ),
    _fit(
        "generator-endless-steps-per-epoch",
        "functional",
        data=lambda: ((_endless(X, Y),), {"epochs": 2, "steps_per_epoch": 4}),
        quiet=True,
    ),
    _fit(
        "py-dataset",
        "functional",
        data=lambda: ((_Batches(X, Y),), {"epochs": 2}),
        quiet=True,
    ),
    # Ragged, sparse, optional, multi-input and nested inputs.
    _fit(
        "ragged-input",
        "ragged",
        data=lambda: ((_ragged_x(), Y), {"batch_size": BATCH, "epochs": 2}),
    ),
    _fit(
        "sparse-input",
        "sparse",
        data=lambda: ((_sparse_x(), Y), {"batch_size": BATCH, "epochs": 2}),
    ),
    _fit(
        "optional-input-none",
        "optional_input",
        {"x": X, "o": None},
        Y,
        batch_size=BATCH,
        epochs=2,
    ),
    _fit(
        "optional-input-given",
        "optional_input",
        {"x": X, "o": X},
        Y,
        batch_size=BATCH,
        epochs=2,
        model_spe=False,
    ),
    _fit("multi-input-list", "multi_input_list", [X, B], Y, batch_size=BATCH, epochs=2),
    _fit(
        "multi-input-dict",
        "multi_input_dict",
        {"a": X, "b": B},
        Y,
        batch_size=BATCH,
        epochs=2,
        model_spe=False,
    ),
    _fit(
        "multi-input-dataset",
        "multi_input_list",
        data=lambda: ((_ds((X, B), Y),), {"epochs": 2}),
        model_spe=False,
    ),
    _fit(
        "nested-input",
        "nested_input",
        {"a": X, "pair": [B, C]},
        Y,
        batch_size=BATCH,
        epochs=2,
    ),
    # Multi-output models: y as a list / dict, loss_weights, partial losses.
    _fit(
        "multi-output-list-loss-weights",
        "multi_output_list",
        X,
        [Y, YREG],
        batch_size=BATCH,
        epochs=2,
    ),
    _fit(
        "multi-output-dict-loss-weights",
        "multi_output_dict",
        X,
        {"cls": Y, "reg": YREG},
        batch_size=BATCH,
        epochs=2,
        model_spe=False,
    ),
    _fit(
        "multi-output-dict-dataset",
        "multi_output_dict",
        data=lambda: ((_ds(X, {"cls": Y, "reg": YREG}),), {"epochs": 2}),
    ),
    _fit(
        "partial-loss-list-one-label",
        "partial_loss_list",
        X,
        Y,
        batch_size=BATCH,
        epochs=2,
        warns=(NO_GRADIENTS,),
    ),
    _fit(
        "partial-loss-list-all-labels",
        "partial_loss_list",
        X,
        [Y, YREG],
        batch_size=BATCH,
        epochs=2,
        warns=(NO_GRADIENTS,),
        model_spe=False,
    ),
    _fit(
        "partial-loss-dict",
        "partial_loss_dict",
        X,
        {"cls": Y, "reg": YREG},
        batch_size=BATCH,
        epochs=2,
        warns=(NO_GRADIENTS,),
        model_spe=False,
    ),
    _fit(
        "partial-loss-dict-partial-labels",
        "partial_loss_dict",
        X,
        {"cls": Y},
        batch_size=BATCH,
        warns=(NO_GRADIENTS,),
        model_spe=False,
        keras_fails=(
            "Keras raises KeyError: 'reg' for a dict y without the key of an "
            "output that has no loss"
        ),
    ),
    # A model whose only loss is add_loss().
    _fit("add-loss-only", "add_loss_only", X, batch_size=BATCH, epochs=2),
    # class_weight / sample_weight.
    _fit(
        "class-weight-arrays",
        "subclassed",
        X,
        Y,
        batch_size=BATCH,
        epochs=2,
        class_weight={0: 1.0, 1: 2.0, 2: 0.5},
    ),
    _fit(
        "class-weight-dataset",
        "functional",
        data=lambda: (
            (_ds(X, Y),),
            {"epochs": 2, "class_weight": {0: 1.0, 1: 3.0, 2: 0.5}},
        ),
    ),
    _fit(
        "sample-weight-arrays",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        epochs=2,
        sample_weight=W,
    ),
    # Validation.
    _fit(
        "validation-data-tuple",
        "functional",
        X,
        Y,
        batch_size=BATCH,
        epochs=2,
        validation_data=(XV, YV),
    ),
    _fit(
        "validation-data-tuple-with-sample-weight",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        epochs=2,
        validation_data=(XV, YV, W[:24]),
        model_spe=False,
    ),
    _fit(
        "validation-data-dataset",
        "functional",
        data=lambda: ((_ds(X, Y),), {"epochs": 2, "validation_data": _ds(XV, YV)}),
        quiet=True,
    ),
    _fit(
        "validation-split",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        epochs=2,
        validation_split=0.25,
    ),
    _fit(
        "validation-steps",
        "functional",
        data=lambda: (
            (_ds(X, Y),),
            {"epochs": 2, "validation_data": _ds(XV, YV), "validation_steps": 2},
        ),
        quiet=True,
    ),
    _fit(
        "validation-steps-endless-dataset",
        "functional",
        data=lambda: (
            (_ds(X, Y),),
            {
                "epochs": 2,
                "validation_data": _ds(XV, YV).repeat(),
                "validation_steps": 4,
            },
        ),
        quiet=True,
    ),
    _fit(
        "validation-steps-endless-generator",
        "functional",
        data=lambda: (
            (_ds(X, Y),),
            {"epochs": 2, "validation_data": _endless(XV, YV), "validation_steps": 2},
        ),
    ),
    _fit(
        "validation-batch-size",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        epochs=2,
        validation_data=(XV, YV),
        validation_batch_size=5,
    ),
    _fit(
        "validation-freq-int",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        epochs=3,
        validation_data=(XV, YV),
        validation_freq=2,
        quiet=True,
    ),
    _fit(
        "validation-freq-list",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        epochs=3,
        validation_data=(XV, YV),
        validation_freq=[1, 3],
        model_spe=False,
    ),
    _fit(
        "initial-epoch",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        epochs=3,
        initial_epoch=1,
        quiet=True,
    ),
]

EVALUATE_CASES = [
    _evaluate("evaluate-arrays", "sequential", X, Y, batch_size=BATCH, quiet=True),
    _evaluate("evaluate-subclassed-short-batch", "subclassed", X, Y, batch_size=12),
    _evaluate(
        "evaluate-sample-weight", "sequential", X, Y, batch_size=BATCH, sample_weight=W
    ),
    _evaluate(
        "evaluate-arrays-steps",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        steps=2,
        quiet=True,
    ),
    _evaluate(
        "evaluate-dataset-steps",
        "functional",
        data=lambda: ((_ds(X, Y),), {"steps": 2}),
        quiet=True,
    ),
    _evaluate(
        "evaluate-endless-steps",
        "functional",
        data=lambda: ((_ds(X, Y).repeat(),), {"steps": 7}),
        quiet=True,
    ),
    _evaluate(
        "evaluate-unknown-length",
        "functional",
        data=lambda: ((_unknown(_ds(X, Y)),), {}),
        warns=(RAN_OUT,),
        quiet=True,
    ),
    _evaluate(
        "evaluate-generator",
        "functional",
        data=lambda: ((_batches(X, Y),), {}),
        warns=(RAN_OUT,),
        quiet=True,
    ),
    _evaluate(
        "evaluate-py-dataset", "functional", data=lambda: ((_Batches(X, Y),), {})
    ),
    _evaluate(
        "evaluate-multi-output-return-list",
        "multi_output_list",
        X,
        [Y, YREG],
        batch_size=BATCH,
        return_dict=False,
    ),
    _evaluate(
        "evaluate-multi-output-dict",
        "multi_output_dict",
        X,
        {"cls": Y, "reg": YREG},
        batch_size=BATCH,
        model_spe=False,
    ),
    _evaluate(
        "evaluate-return-list",
        "sequential",
        X,
        Y,
        batch_size=BATCH,
        return_dict=False,
        model_spe=False,
    ),
    _evaluate("evaluate-add-loss-only", "add_loss_only", X, batch_size=BATCH),
]

PREDICT_CASES = [
    _predict("predict-arrays", "sequential", X, batch_size=BATCH, quiet=True),
    _predict(
        "predict-arrays-steps", "sequential", X, batch_size=BATCH, steps=2, quiet=True
    ),
    _predict("predict-uncompiled", "uncompiled", X, batch_size=BATCH, model_spe=False),
    _predict(
        "predict-dataset-with-targets",
        "functional",
        data=lambda: ((_ds(X, Y),), {}),
        model_spe=False,
    ),
    _predict(
        "predict-dataset-steps",
        "functional",
        data=lambda: ((_ds(X),), {"steps": 3}),
        quiet=True,
    ),
    _predict(
        "predict-endless-steps",
        "functional",
        data=lambda: ((_ds(X).repeat(),), {"steps": 7}),
        quiet=True,
    ),
    _predict(
        "predict-unknown-length",
        "functional",
        data=lambda: ((_unknown(_ds(X)),), {}),
        warns=(RAN_OUT,),
        quiet=True,
    ),
    _predict(
        "predict-generator",
        "functional",
        data=lambda: ((_batches(X),), {}),
        warns=(RAN_OUT,),
        quiet=True,
    ),
    _predict("predict-py-dataset", "functional", data=lambda: ((_Batches(X),), {})),
    _predict("predict-multi-output-list", "multi_output_list", X, batch_size=BATCH),
    _predict(
        "predict-multi-output-dict",
        "multi_output_dict",
        X,
        batch_size=BATCH,
        model_spe=False,
    ),
    _predict("predict-multi-input", "multi_input_list", [X, B], batch_size=BATCH),
    _predict(
        "predict-optional-input-none",
        "optional_input",
        {"x": X, "o": None},
        batch_size=BATCH,
    ),
    _predict(
        "predict-ragged",
        "ragged",
        data=lambda: ((_ragged_x(),), {"batch_size": BATCH}),
    ),
    _predict(
        "predict-sparse",
        "sparse",
        data=lambda: ((_sparse_x(),), {"batch_size": BATCH}),
    ),
]

CASES = FIT_CASES + EVALUATE_CASES + PREDICT_CASES
assert len({case.name for case in CASES}) == len(CASES), "case names must be unique"


# ---------------------------------------------------------------- running

_BATCH_HOOKS = tuple(
    f"on_{kind}_batch_{end}"
    for kind in ("train", "test", "predict")
    for end in ("begin", "end")
)
_OTHER_HOOKS = tuple(
    f"on_{kind}_{end}"
    for kind in ("train", "test", "predict", "epoch")
    for end in ("begin", "end")
)


class _Spy(keras.callbacks.Callback):
    """Records ``(hook, index, sorted logs keys)`` for every hook."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, int | None, tuple[str, ...]]] = []


def _recorder(hook: str) -> Any:
    if "batch" in hook or "epoch" in hook:

        def indexed(self: _Spy, index: int, logs: Any = None) -> None:
            self.records.append((hook, index, tuple(sorted(logs or {}))))

        return indexed

    def plain(self: _Spy, logs: Any = None) -> None:
        self.records.append((hook, None, tuple(sorted(logs or {}))))

    return plain


for _hook in _BATCH_HOOKS + _OTHER_HOOKS:
    setattr(_Spy, _hook, _recorder(_hook))


@dataclass
class Outcome:
    """What one run left behind."""

    iterations: int | None
    history: dict[str, list[float]] | None
    result: Any
    records: list[tuple[str, int | None, tuple[str, ...]]] | None
    weights: list[np.ndarray]
    warnings: dict[str, int]


@contextlib.contextmanager
def _keras_config(config: tuple[tuple[str, int], ...]) -> Iterator[None]:
    """``keras.config.set_max_epochs`` / ``set_max_steps_per_epoch``, then reset."""
    setters = {
        "max_epochs": keras.config.set_max_epochs,
        "max_steps_per_epoch": keras.config.set_max_steps_per_epoch,
    }
    try:
        for name, value in config:
            setters[name](value)
        yield
    finally:
        keras.config.set_max_epochs(None)
        keras.config.set_max_steps_per_epoch(None)


@contextlib.contextmanager
def _warns(patterns: tuple[str, ...]) -> Iterator[dict[str, int]]:
    """Each of ``patterns`` must be warned (counted); any other warning is an error."""
    counts: dict[str, int] = {}
    checkers = []
    with contextlib.ExitStack() as stack:
        for pattern in patterns:
            checker = stack.enter_context(pytest.warns(UserWarning, match=pattern))
            checkers.append((pattern, checker))
        yield counts
    for pattern, checker in checkers:
        counts[pattern] = sum(1 for w in checker if re.search(pattern, str(w.message)))


def _run(loop: str, case: Case, spe: int | None, *, spy: bool) -> Outcome:
    """Run ``case`` with plain Keras (``loop="plain"``) or a Trainer loop."""
    model = _model(case.model, spe)
    args, kwargs = case.data()
    kwargs = dict(kwargs)
    if case.method == "fit":
        # tfstarter's seeded shuffle differs from Keras' on purpose; Keras
        # also warns that it ignores shuffle=True for datasets and generators.
        kwargs.setdefault("shuffle", False)
    if loop == "plain" and case.method == "evaluate":
        # The Trainer's default; Keras' is return_dict=False (documented).
        kwargs.setdefault("return_dict", True)
    callback = _Spy() if spy else None
    target = model if loop == "plain" else tfs.Trainer(model, loop)
    method = getattr(target, case.method)
    warns = case.warns if spe is None or case.warns_spe is None else case.warns_spe
    with _keras_config(case.config), _warns(warns) as counts:
        result = method(
            *args, verbose=0, callbacks=[callback] if callback else None, **kwargs
        )
    history = None
    if case.method == "fit":
        history = {k: [float(v) for v in vs] for k, vs in result.history.items()}
        result = None
    optimizer = getattr(model, "optimizer", None)
    return Outcome(
        iterations=None if optimizer is None else int(optimizer.iterations.numpy()),
        history=history,
        result=None if result is None else tf.nest.map_structure(np.asarray, result),
        records=callback.records if callback else None,
        weights=[np.array(w) for w in model.get_weights()],
        warnings=counts,
    )


_PLAIN: dict[tuple[str, int | None], Outcome] = {}


def _plain(case: Case, spe: int | None) -> Outcome:
    """Plain Keras' outcome (with the spy: it does not change what Keras runs)."""
    key = (case.name, spe)
    if key not in _PLAIN:
        _PLAIN[key] = _run("plain", case, spe, spy=True)
    return _PLAIN[key]


def _assert_same(plain: Outcome, ours: Outcome, *, hooks: bool) -> None:
    """Everything equal; the optimizer's step count is checked last."""
    assert ours.warnings == plain.warnings, "warnings (counts) differ"
    if plain.history is not None:
        assert ours.history is not None
        assert sorted(ours.history) == sorted(plain.history), "History keys differ"
        for key, values in plain.history.items():
            np.testing.assert_allclose(
                ours.history[key], values, atol=ATOL, rtol=0, err_msg=f"History {key}"
            )
    if hooks:
        assert ours.records == plain.records, "hooks, indices or logs keys differ"
    if plain.result is not None:
        if isinstance(plain.result, dict):
            assert sorted(ours.result) == sorted(plain.result), "result keys differ"
        tf.nest.assert_same_structure(ours.result, plain.result)
        for a, b in zip(
            tf.nest.flatten(ours.result), tf.nest.flatten(plain.result), strict=True
        ):
            np.testing.assert_allclose(a, b, atol=ATOL, rtol=0, err_msg="result")
    assert len(ours.weights) == len(plain.weights)
    for index, (a, b) in enumerate(zip(ours.weights, plain.weights, strict=True)):
        np.testing.assert_allclose(
            a, b, atol=ATOL, rtol=0, err_msg=f"weight {index} differs"
        )
    if ours.iterations != plain.iterations:
        raise StepCountError(
            f"optimizer steps: {ours.iterations}, plain Keras: {plain.iterations}"
        )


def _marks(case: Case, spe: int | None, loop: str, *, spy: bool) -> list[Any]:
    if case.keras_fails is not None:
        return [pytest.mark.xfail(strict=True, reason=case.keras_fails)]
    # Keras' phantom step comes with one step per call, on unknown-length
    # data. The fit loop with a spy runs model.fit with one step per call too
    # and counts it; the custom loop, and the Trainer's own steps per call,
    # count the batches actually trained.
    if case.phantom and spe is None and (loop == "custom" or not spy):
        return [
            pytest.mark.xfail(strict=True, raises=StepCountError, reason=PHANTOM_STEP)
        ]
    return []


def _params(*, spy: bool) -> list[Any]:
    params = []
    for case in CASES:
        if not spy and not case.quiet:
            continue
        variants = [None, MODEL_SPE] if spy and case.model_spe else [None]
        for spe in variants:
            for loop in LOOPS:
                tag = "spe-default" if spe is None else f"spe{spe}"
                params.append(
                    pytest.param(
                        case,
                        spe,
                        loop,
                        id=f"{case.name}-{tag}-{loop}",
                        marks=_marks(case, spe, loop, spy=spy),
                    )
                )
    return params


@pytest.mark.parametrize(("case", "spe", "loop"), _params(spy=True))
def test_same_steps_hooks_history_and_weights(
    case: Case, spe: int | None, loop: str
) -> None:
    """With a spy on every hook: everything equals plain Keras."""
    plain = _plain(case, spe)
    ours = _run(loop, case, spe, spy=True)
    _assert_same(plain, ours, hooks=True)


@pytest.mark.parametrize(("case", "spe", "loop"), _params(spy=False))
def test_steps_per_call_never_change_the_training(
    case: Case, spe: int | None, loop: str
) -> None:
    """No batch hooks heard: the Trainer's own steps per call change nothing."""
    plain = _plain(case, spe)
    ours = _run(loop, case, spe, spy=False)
    _assert_same(plain, ours, hooks=False)
