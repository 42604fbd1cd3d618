"""The Trainer takes what ``model.fit`` takes, and trains the same (issue 13).

For each data kind and structure, each argument of ``fit`` / ``evaluate`` /
``predict``, single- and multi-output models, Sequential / functional /
subclassed: plain Keras and both Trainer loops, from the same seed, must give

- the same number of optimizer steps (``model.optimizer.iterations``),
- the same `keras.callbacks.History` keys and values (to 1e-5),
- the same hooks with the same batch indices and ``logs`` keys (a spy),
- the same weights (to 1e-5, SGD), and the same ``evaluate`` / ``predict``
  results,

with the model's ``steps_per_execution`` left to its default, and, where
Keras' plan then differs (``steps_per_epoch`` that overshoots or runs out,
data of unknown length, ragged inputs in its multi-step loop), set by
``model.compile(..., steps_per_execution=3)``. Without a callback listening
to the batch hooks the Trainer may run several steps per compiled call
(``steps_per_execution="auto"``); that must not change the step count, the
history, the weights or the warnings either (the cases with
``steps_per_epoch`` / ``steps``, validation steps, unknown or endless data
and ``keras.config``'s caps check it).

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
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs

pytestmark = pytest.mark.extended  # a long reference suite: its own step of .ci/run

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


def _batches(*arrays: Any, batch: int = BATCH) -> Iterator[tuple[Any, ...]]:
    for start in range(0, len(arrays[0]), batch):
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


@dataclass(frozen=True)
class Fresh:
    """An argument made anew for every run (generators are consumed)."""

    make: Callable[[], Any]


def ds(*arrays: Any) -> Fresh:
    """A batched ``tf.data.Dataset`` of known length."""
    return Fresh(lambda: _ds(*arrays))


def unknown(*arrays: Any) -> Fresh:
    """The same batches, of unknown cardinality (``.filter``)."""
    return Fresh(lambda: _ds(*arrays).filter(lambda *_: True))


def endless(*arrays: Any) -> Fresh:
    """The same batches, repeated forever (``.repeat()``)."""
    return Fresh(lambda: _ds(*arrays).repeat())


def generator(*arrays: Any) -> Fresh:
    """A Python generator of the batches, once."""
    return Fresh(lambda: _batches(*arrays))


def endless_generator(*arrays: Any) -> Fresh:
    """A Python generator of the batches, forever."""
    return Fresh(lambda: _endless(*arrays))


def py_dataset(*arrays: Any) -> Fresh:
    """A `keras.utils.PyDataset` of the batches."""
    return Fresh(lambda: _Batches(*arrays))


RAGGED = Fresh(lambda: tf.RaggedTensor.from_row_lengths(RAGGED_VALUES, RAGGED_LENGTHS))
SPARSE = Fresh(lambda: tf.sparse.from_dense(XS))


def _made(value: Any) -> Any:
    return value.make() if isinstance(value, Fresh) else value


# ------------------------------------------------------------------ cases

RAN_OUT = "Your input ran out of data"
NO_GRADIENTS = "Gradients do not exist for variables"
# Warnings given once per event (per epoch, per call), so counted; the others
# are given when a step is traced, which Keras may do more often than we do.
COUNTED = (RAN_OUT, "Limiting")

PHANTOM_STEP = (
    "Keras counts one optimizer iteration too many for each epoch that ends on "
    "data of unknown length (a finite generator, a filtered dataset) with "
    "steps_per_execution=1: the call that finds no batch left still increments "
    "`optimizer.iterations` (the weights do not change): 12 iterations for 2 "
    "epochs of 5 batches."
)


class StepCountError(AssertionError):
    """Only the optimizer's iteration counts differ (see `PHANTOM_STEP`)."""


@dataclass(frozen=True, eq=False)
class Call:
    """One call of ``fit`` / ``evaluate`` / ``predict`` and its arguments."""

    method: str
    args: tuple[Any, ...]
    kwargs: tuple[tuple[str, Any], ...]

    def made(self) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args = tuple(_made(a) for a in self.args)
        kwargs = {k: _made(v) for k, v in self.kwargs}
        if self.method == "fit":
            # tfstarter's seeded shuffle differs from Keras' on purpose, and
            # Keras warns that it ignores shuffle=True for a dataset/generator.
            kwargs.setdefault("shuffle", False)
        return args, kwargs


def fit(*args: Any, **kwargs: Any) -> Call:
    return Call("fit", args, tuple(kwargs.items()))


def evaluate(*args: Any, **kwargs: Any) -> Call:
    return Call("evaluate", args, tuple(kwargs.items()))


def predict(*args: Any, **kwargs: Any) -> Call:
    return Call("predict", args, tuple(kwargs.items()))


@dataclass(frozen=True)
class Case:
    """Calls on one fresh model, run with plain Keras and with each Trainer loop.

    Attributes:
        name: the test id.
        model: a key of `MODELS`.
        calls: the calls, in order, on the same model (and Trainer).
        warns: regexes of the warnings plain Keras gives (with the model's
            default steps_per_execution); the Trainer must give them too.
        warns_spe: the same with the model's own ``steps_per_execution``,
            where Keras warns differently.
        config: ``keras.config`` limits (``max_epochs``,
            ``max_steps_per_epoch``).
        model_spe: also run with ``compile(steps_per_execution=MODEL_SPE)``.
        quiet: also run with no callback hearing the batch hooks (the
            Trainer then picks its own steps per call).
        phantom: plain Keras counts `PHANTOM_STEP`s here.
        keras_fails: plain Keras itself fails here (why).
    """

    name: str
    model: str
    calls: tuple[Call, ...]
    warns: tuple[str, ...] = ()
    warns_spe: tuple[str, ...] | None = None
    config: tuple[tuple[str, int], ...] = ()
    model_spe: bool = False
    quiet: bool = False
    phantom: bool = False
    keras_fails: str | None = None


def case(name: str, model: str, *calls: Call, **options: Any) -> Case:
    return Case(name, model, calls, **options)


# Cases are grouped so that one model runs several related calls: every
# model and Trainer traces its functions once, and tracing, not training,
# is what a case costs (the suite runs in CI). A call's difference is
# reported with its index ("fit #2 History['loss']").
CASES = [
    # Sequential / functional / subclassed models on arrays, with the
    # arguments of fit / evaluate / predict.
    case(
        "sequential-arrays-validation-batch-size-initial-epoch-freq",
        "sequential",
        fit(
            X,
            Y,
            batch_size=BATCH,
            epochs=2,
            validation_data=(XV, YV),
            validation_batch_size=5,
        ),
        evaluate(X, Y, batch_size=BATCH, sample_weight=W),
        predict(X, batch_size=BATCH),
        # The default batch size; validation weights; validation_freq.
        fit(
            X,
            Y,
            epochs=4,
            initial_epoch=1,
            validation_data=(XV, YV, W[:24]),
            validation_freq=[2, 4],
        ),
        fit(
            X,
            Y,
            batch_size=BATCH,
            epochs=3,
            validation_data=(XV, YV),
            validation_freq=2,
        ),
    ),
    case(
        "functional-arrays-sample-weight-validation-split",
        "functional",
        fit(X, Y, batch_size=BATCH, epochs=2, sample_weight=W, validation_split=0.25),
        evaluate(X, Y, batch_size=12, return_dict=False),
        predict(X, batch_size=12),
    ),
    case(
        "subclassed-arrays-class-weight-short-last-batch",
        "subclassed",
        fit(X, Y, batch_size=12, epochs=2, class_weight={0: 1.0, 1: 2.0, 2: 0.5}),
        evaluate(X, Y, batch_size=12),
        predict(X, batch_size=12),
    ),
    # steps_per_epoch / steps with arrays; one iterator carries over from
    # epoch to epoch until the data runs out.
    case(
        "arrays-steps-per-epoch",
        "sequential",
        # The case: 5 batches, 7 per epoch: Keras runs 10 steps and
        # warns that the data ran out, in each epoch.
        fit(X100, Y100, batch_size=20, steps_per_epoch=7, epochs=2),
        # 6 batches, 3 per epoch: carried over, never runs out.
        fit(X48, Y48, batch_size=BATCH, steps_per_epoch=3, epochs=3),
        evaluate(X, Y, batch_size=BATCH, steps=2),
        predict(X, batch_size=BATCH, steps=2),
        # 5 batches, 3 per epoch: epoch 2 finds 2 left (one step per call
        # warns; three per call begin no call after the end, and do not).
        fit(X, Y, batch_size=BATCH, steps_per_epoch=3, epochs=2),
        warns=(RAN_OUT,),
        model_spe=True,
        quiet=True,
    ),
    # tf.data.Dataset of known length: steps_per_epoch / steps, validation.
    case(
        "dataset-validation-steps-per-epoch-and-steps",
        "functional",
        fit(ds(X, Y), epochs=2, validation_data=ds(XV, YV)),
        evaluate(ds(X, Y)),
        predict(ds(X, Y)),
        # 5 batches, 7 per epoch: runs out in each epoch.
        fit(ds(X, Y), epochs=2, steps_per_epoch=7),
        # 6 batches, 4 per epoch: carried over, runs out in epoch 2.
        fit(ds(X48, Y48), epochs=3, steps_per_epoch=4),
        # 6 batches, 3 per epoch; fewer steps than batches.
        fit(ds(X48, Y48), epochs=3, steps_per_epoch=3),
        evaluate(ds(X, Y), steps=2),
        predict(ds(X), steps=3),
        fit(ds(X, Y), epochs=2, validation_data=ds(XV, YV), validation_steps=2),
        warns=(RAN_OUT,),
        quiet=True,
    ),
    # Weights in the dataset; endless data (.repeat()) with steps.
    case(
        "dataset-weights-and-endless-data",
        "functional",
        fit(ds(X, Y, W), epochs=2),
        fit(ds(X, Y), epochs=2, class_weight={0: 1.0, 1: 3.0, 2: 0.5}),
        fit(endless(X, Y), epochs=2, steps_per_epoch=7),
        evaluate(endless(X, Y), steps=7),
        predict(endless(X), steps=7),
        fit(ds(X, Y), epochs=2, validation_data=endless(XV, YV), validation_steps=4),
        fit(
            ds(X, Y),
            epochs=2,
            validation_data=endless_generator(XV, YV),
            validation_steps=2,
        ),
        quiet=True,
    ),
    # Data of unknown length (.filter, finite generators).
    case(
        "unknown-length",
        "functional",
        fit(unknown(X, Y), epochs=2),
        evaluate(unknown(X, Y)),
        predict(unknown(X)),
        fit(unknown(X, Y), epochs=2, steps_per_epoch=3),
        fit(generator(X, Y)),
        evaluate(generator(X, Y)),
        predict(generator(X)),
        warns=(RAN_OUT,),
        phantom=True,
        model_spe=True,
        quiet=True,
    ),
    # keras.config.set_max_epochs / set_max_steps_per_epoch.
    case(
        "max-epochs-and-max-steps-per-epoch",
        "sequential",
        fit(X, Y, batch_size=BATCH, epochs=4),
        warns=("Limiting epochs to 2", "Limiting steps_per_epoch to 2"),
        config=(("max_epochs", 2), ("max_steps_per_epoch", 2)),
        quiet=True,
    ),
    # Endless generators and keras.utils.PyDataset (not shuffled, to compare).
    case(
        "generator-endless-and-py-dataset",
        "functional",
        fit(endless_generator(X, Y), epochs=2, steps_per_epoch=4),
        fit(py_dataset(X, Y), epochs=2),
        evaluate(py_dataset(X, Y)),
        predict(py_dataset(X)),
    ),
    # Ragged, sparse and optional (None) inputs; multi-input and nested x.
    case(
        "ragged-input",
        "ragged",
        fit(RAGGED, Y, batch_size=BATCH, epochs=2),
        predict(RAGGED, batch_size=BATCH),
        model_spe=True,
    ),
    case(
        "sparse-input",
        "sparse",
        fit(SPARSE, Y, batch_size=BATCH, epochs=2),
        predict(SPARSE, batch_size=BATCH),
    ),
    case(
        "optional-input-none-then-given",
        "optional_input",
        fit({"x": X, "o": None}, Y, batch_size=BATCH, epochs=2),
        fit({"x": X, "o": X}, Y, batch_size=BATCH),
        predict({"x": X, "o": None}, batch_size=BATCH),
    ),
    case(
        "multi-input-list-arrays-and-dataset",
        "multi_input_list",
        fit([X, B], Y, batch_size=BATCH, epochs=2),
        fit(ds((X, B), Y)),
        predict([X, B], batch_size=BATCH),
    ),
    case(
        "multi-input-dict",
        "multi_input_dict",
        fit({"a": X, "b": B}, Y, batch_size=BATCH, epochs=2),
        predict({"a": X, "b": B}, batch_size=BATCH),
    ),
    case(
        "nested-input",
        "nested_input",
        fit({"a": X, "pair": [B, C]}, Y, batch_size=BATCH, epochs=2),
        predict({"a": X, "pair": [B, C]}, batch_size=BATCH),
    ),
    # Multi-output models: y as a list / dict, loss_weights, partial losses.
    case(
        "multi-output-list-loss-weights",
        "multi_output_list",
        fit(X, [Y, YREG], batch_size=BATCH, epochs=2),
        evaluate(X, [Y, YREG], batch_size=BATCH, return_dict=False),
        predict(X, batch_size=BATCH),
    ),
    case(
        "multi-output-dict-loss-weights-arrays-and-dataset",
        "multi_output_dict",
        fit(X, {"cls": Y, "reg": YREG}, batch_size=BATCH, epochs=2),
        fit(ds(X, {"cls": Y, "reg": YREG})),
        evaluate(X, {"cls": Y, "reg": YREG}, batch_size=BATCH),
        predict(X, batch_size=BATCH),
    ),
    case(
        "partial-loss-list-one-label-then-all",
        "partial_loss_list",
        fit(X, Y, batch_size=BATCH, epochs=2),
        fit(X, [Y, YREG], batch_size=BATCH),
        warns=(NO_GRADIENTS,),
    ),
    case(
        "partial-loss-dict",
        "partial_loss_dict",
        fit(X, {"cls": Y, "reg": YREG}, batch_size=BATCH, epochs=2),
        warns=(NO_GRADIENTS,),
    ),
    case(
        "partial-loss-dict-partial-labels",
        "partial_loss_dict",
        fit(X, {"cls": Y}, batch_size=BATCH),
        warns=(NO_GRADIENTS,),
        keras_fails=(
            "Keras raises KeyError: 'reg' for a dict y that leaves out an output "
            "without a loss"
        ),
    ),
    # Only add_loss() terms; no compiled loss. An uncompiled model predicts.
    case(
        "add-loss-only",
        "add_loss_only",
        fit(X, batch_size=BATCH, epochs=2),
        evaluate(X, batch_size=BATCH),
    ),
    case("predict-uncompiled", "uncompiled", predict(X, batch_size=BATCH)),
]
assert len({c.name for c in CASES}) == len(CASES), "case names must be unique"


# ---------------------------------------------------------------- running

_HOOKS = tuple(
    f"on_{kind}_{end}"
    for kind in (
        "train",
        "test",
        "predict",
        "epoch",
        "train_batch",
        "test_batch",
        "predict_batch",
    )
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


for _hook in _HOOKS:
    setattr(_Spy, _hook, _recorder(_hook))


@dataclass
class Outcome:
    """What one run left behind."""

    iterations: int | None
    results: list[Any]  # per call: the History dict, or evaluate/predict's result
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
    """Record the warnings that match ``patterns``; any other stays an error.

    Yields how often each was warned (at most 1 for those warned when a step
    is traced, see `COUNTED`), filled in on exit.
    """
    counts: dict[str, int] = {}
    with warnings.catch_warnings(record=True) as caught:
        for pattern in patterns:
            warnings.filterwarnings("always", message=pattern, category=UserWarning)
        yield counts
    for pattern in patterns:
        count = sum(1 for w in caught if re.match(pattern, str(w.message)))
        counts[pattern] = count if pattern.startswith(COUNTED) else min(count, 1)


def _result(method: str, value: Any) -> Any:
    if method == "fit":
        return {k: [float(v) for v in vs] for k, vs in value.history.items()}
    return tf.nest.map_structure(np.asarray, value)


def _run(loop: str, case: Case, spe: int | None, *, spy: bool) -> Outcome:
    """Run ``case`` with plain Keras (``loop="plain"``) or a Trainer loop."""
    model = _model(case.model, spe)
    target = model if loop == "plain" else tfs.Trainer(model, loop)
    callback = _Spy() if spy else None
    warns = case.warns if spe is None or case.warns_spe is None else case.warns_spe
    results = []
    with _keras_config(case.config), _warns(warns) as counts:
        for call in case.calls:
            args, kwargs = call.made()
            if loop == "plain" and call.method == "evaluate":
                # The Trainer's default; Keras' is return_dict=False (documented).
                kwargs.setdefault("return_dict", True)
            value = getattr(target, call.method)(
                *args, verbose=0, callbacks=[callback] if callback else None, **kwargs
            )
            results.append(_result(call.method, value))
    optimizer = getattr(model, "optimizer", None)
    return Outcome(
        iterations=None if optimizer is None else int(optimizer.iterations.numpy()),
        results=results,
        records=callback.records if callback else None,
        weights=[np.array(w) for w in model.get_weights()],
        warnings=counts,
    )


_PLAIN: dict[tuple[str, int | None], Outcome] = {}


def _plain(case: Case, spe: int | None) -> Outcome:
    """Plain Keras' outcome (with the spy: it does not change what Keras runs)."""
    key = (case.name, spe)
    if key not in _PLAIN:
        outcome = _run("plain", case, spe, spy=True)
        silent = [p for p, count in outcome.warnings.items() if not count]
        assert not silent, f"setup: plain Keras did not warn {silent}"
        _PLAIN[key] = outcome
    return _PLAIN[key]


def _close(name: str, ours: Any, plain: Any) -> list[str]:
    try:
        tf.nest.assert_same_structure(ours, plain)
    except (TypeError, ValueError) as error:
        return [f"{name}: structure differs: {error}"]
    problems = []
    for leaf, plain_leaf in zip(
        tf.nest.flatten(ours), tf.nest.flatten(plain), strict=True
    ):
        a, b = np.asarray(leaf), np.asarray(plain_leaf)
        if a.shape != b.shape:
            problems.append(f"{name}: shape {a.shape}, plain Keras: {b.shape}")
        elif not np.allclose(a, b, atol=ATOL, rtol=0):
            worst = float(np.max(np.abs(a - b)))
            shown = (
                f"{a.tolist()} vs plain {b.tolist()}"
                if a.size <= 4
                else f"max diff {worst:.3g}"
            )
            problems.append(f"{name}: {shown}")
    return problems


def _records_diff(ours: list[Any], plain: list[Any]) -> str:
    first = next(
        (i for i, (a, b) in enumerate(zip(ours, plain, strict=False)) if a != b),
        min(len(ours), len(plain)),
    )
    return (
        f"hooks differ from record {first} on ({len(ours)} records, plain Keras "
        f"{len(plain)}): ours {ours[first : first + 4]}, plain Keras "
        f"{plain[first : first + 4]}"
    )


def _assert_same(case: Case, plain: Outcome, ours: Outcome, *, hooks: bool) -> None:
    """Everything equal; every difference is listed.

    Raises `StepCountError` when the optimizer's step count is all that differs.
    """
    problems = []
    if ours.warnings != plain.warnings:
        problems.append(f"warnings {ours.warnings}, plain Keras {plain.warnings}")
    for index, (call, a, b) in enumerate(
        zip(case.calls, ours.results, plain.results, strict=True)
    ):
        name = f"{call.method} #{index}"
        if call.method == "fit":
            if sorted(a) != sorted(b):
                problems.append(f"{name}: History keys {sorted(a)} vs {sorted(b)}")
                continue
            for key in b:
                problems += _close(f"{name} History[{key!r}]", a[key], b[key])
        else:
            problems += _close(f"{name} result", a, b)
    if hooks and ours.records != plain.records:
        problems.append(_records_diff(ours.records or [], plain.records or []))
    if len(ours.weights) != len(plain.weights):
        problems.append(f"{len(ours.weights)} weights, plain {len(plain.weights)}")
    else:
        for index, (a, b) in enumerate(zip(ours.weights, plain.weights, strict=True)):
            problems += _close(f"weight {index}", a, b)
    steps = f"optimizer steps {ours.iterations}, plain Keras {plain.iterations}"
    if problems:
        if ours.iterations != plain.iterations:
            problems.insert(0, steps)
        raise AssertionError("\n".join(problems))
    if ours.iterations != plain.iterations:
        raise StepCountError(steps)


def _marks(case: Case, spe: int | None) -> list[Any]:
    if case.keras_fails is not None:
        return [pytest.mark.xfail(strict=True, reason=case.keras_fails)]
    if case.phantom and spe is None:
        return [
            pytest.mark.xfail(strict=True, raises=StepCountError, reason=PHANTOM_STEP)
        ]
    return []


def _params(*, spy: bool) -> list[Any]:
    params = []
    for c in CASES:
        if not spy and not c.quiet:
            continue
        for spe in [None, MODEL_SPE] if spy and c.model_spe else [None]:
            for loop in LOOPS:
                tag = "spe-default" if spe is None else f"spe{spe}"
                params.append(
                    pytest.param(
                        c, spe, loop, id=f"{c.name}-{tag}-{loop}", marks=_marks(c, spe)
                    )
                )
    return params


@pytest.mark.parametrize(("case", "spe", "loop"), _params(spy=True))
def test_same_steps_hooks_history_and_weights(
    case: Case, spe: int | None, loop: str
) -> None:
    """With a spy on every hook: everything equals plain Keras."""
    _assert_same(case, _plain(case, spe), _run(loop, case, spe, spy=True), hooks=True)


@pytest.mark.parametrize(("case", "spe", "loop"), _params(spy=False))
def test_steps_per_call_never_change_the_training(
    case: Case, spe: int | None, loop: str
) -> None:
    """No batch hooks heard: the Trainer's own steps per call change nothing."""
    _assert_same(case, _plain(case, spe), _run(loop, case, spe, spy=False), hooks=False)
