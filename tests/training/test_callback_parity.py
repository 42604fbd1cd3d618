"""Every callback sees in both loops exactly what plain ``model.fit`` shows it.

The reference is plain Keras: the same model (same seed), the same data,
``model.fit`` / ``evaluate`` / ``predict`` with Keras' defaults. Each spy
records every hook call it gets — name, index, ``logs`` keys and values — and
the record under ``Trainer(loop="fit")`` and ``Trainer(loop="custom")`` must
equal the record under plain Keras (values to 1e-6). ``steps_per_execution``
is left to its default, so the Trainer is free to run several steps per call
wherever no callback would notice: the spies make sure that every way a
callback can listen is noticed.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs

pytestmark = pytest.mark.extended  # a long reference suite: its own step of .ci/run

HOOKS = (
    "on_train_begin",
    "on_train_end",
    "on_epoch_begin",
    "on_epoch_end",
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_test_begin",
    "on_test_end",
    "on_test_batch_begin",
    "on_test_batch_end",
    "on_predict_begin",
    "on_predict_end",
    "on_predict_batch_begin",
    "on_predict_batch_end",
)
INDEXED = {h for h in HOOKS if "batch" in h or "epoch" in h}


class Record(list):
    """``(hook, index, logs)`` tuples."""

    def add(self, hook: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        index = args[0] if hook in INDEXED else None
        logs = kwargs.get(
            "logs",
            args[1]
            if hook in INDEXED and len(args) > 1
            else (args[0] if hook not in INDEXED and args else None),
        )
        self.append((hook, index, _copy(logs)))


def _copy(logs: Any) -> dict[str, Any]:
    out = {}
    for key, value in dict(logs or {}).items():
        out[key] = np.array(value, copy=True) if key == "outputs" else float(value)
    return out


class ClassSpy(keras.callbacks.Callback):
    """Overrides every hook in its class."""

    def __init__(self, record: Record) -> None:
        super().__init__()
        self.record = record


def _class_hook(hook: str) -> Callable[..., None]:
    def method(self: ClassSpy, *args: Any, **kwargs: Any) -> None:
        self.record.add(hook, args, kwargs)

    return method


for _hook in HOOKS:
    setattr(ClassSpy, _hook, _class_hook(_hook))


class InstanceSpy(keras.callbacks.Callback):
    """Assigns every hook on the instance, in ``__init__``."""

    def __init__(self, record: Record) -> None:
        super().__init__()
        for hook in HOOKS:
            setattr(self, hook, self._bind(record, hook))

    @staticmethod
    def _bind(record: Record, hook: str) -> Callable[..., None]:
        return lambda *args, **kwargs: record.add(hook, args, kwargs)


class DynamicSpy(keras.callbacks.Callback):
    """Produces its hooks when they are looked up (``__getattribute__``)."""

    def __init__(self, record: Record) -> None:
        super().__init__()
        self._record = record

    def __getattribute__(self, name: str) -> Any:
        if name in HOOKS:
            record = object.__getattribute__(self, "_record")
            return lambda *args, **kwargs: record.add(name, args, kwargs)
        return super().__getattribute__(name)


def lambda_spy(record: Record) -> keras.callbacks.Callback:
    """A `keras.callbacks.LambdaCallback` given every hook it takes."""
    hooks = {hook: InstanceSpy._bind(record, hook) for hook in HOOKS}
    return keras.callbacks.LambdaCallback(**hooks)


def recording(stock: type, record: Record, *args: Any, **kwargs: Any) -> Any:
    """A stock callback whose every hook records its call, then runs as usual."""

    def wrap(hook: str) -> Callable[..., Any]:
        original = getattr(stock, hook)

        def method(self: Any, *a: Any, **k: Any) -> Any:
            record.add(hook, a, k)
            return original(self, *a, **k)

        return method

    cls = type(f"Recording{stock.__name__}", (stock,), {h: wrap(h) for h in HOOKS})
    return cls(*args, **kwargs)


SPIES: dict[str, Callable[[Record, Any], keras.callbacks.Callback]] = {
    "class": lambda record, tmp: ClassSpy(record),
    "instance": lambda record, tmp: InstanceSpy(record),
    "dynamic": lambda record, tmp: DynamicSpy(record),
    "lambda": lambda record, tmp: lambda_spy(record),
    "EarlyStopping": lambda record, tmp: recording(
        keras.callbacks.EarlyStopping, record, monitor="loss", patience=1
    ),
    "ReduceLROnPlateau": lambda record, tmp: recording(
        keras.callbacks.ReduceLROnPlateau, record, monitor="loss", patience=0
    ),
    "CSVLogger": lambda record, tmp: recording(
        keras.callbacks.CSVLogger, record, str(tmp / "log.csv")
    ),
    "ModelCheckpoint": lambda record, tmp: recording(
        keras.callbacks.ModelCheckpoint,
        record,
        str(tmp / "m.weights.h5"),
        save_weights_only=True,
    ),
    "TensorBoard": lambda record, tmp: recording(
        keras.callbacks.TensorBoard, record, str(tmp / "tb")
    ),
    "LearningRateScheduler": lambda record, tmp: recording(
        keras.callbacks.LearningRateScheduler, record, lambda e, lr: lr * 0.9
    ),
    "TerminateOnNaN": lambda record, tmp: recording(
        keras.callbacks.TerminateOnNaN, record
    ),
    "History": lambda record, tmp: recording(keras.callbacks.History, record),
}


def _model() -> keras.Model:
    keras.utils.set_random_seed(7)
    model = keras.Sequential(
        [
            keras.Input((6,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(3),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.1),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    return model


def _data() -> tuple[tf.data.Dataset, tf.data.Dataset, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(90, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 1).astype("int64")
    train = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)  # short last batch
    return train, train.take(2), x[:37]


def _session(runner: str, spy: str, validation: bool, tmp: Any) -> Record:
    record = Record()
    tmp.mkdir(parents=True, exist_ok=True)
    callback = SPIES[spy](record, tmp)
    train, val, x = _data()
    model = _model()
    kwargs = {"epochs": 2, "verbose": 0, "callbacks": [callback]}
    if validation:
        kwargs["validation_data"] = val
    if runner == "keras":
        model.fit(train, shuffle=False, **kwargs)
        model.evaluate(val, verbose=0, callbacks=[callback])
        model.predict(x, verbose=0, callbacks=[callback])
    else:
        trainer = tfs.Trainer(model, runner)
        trainer.fit(train, **kwargs)
        trainer.evaluate(val, verbose=0, callbacks=[callback])
        trainer.predict(x, verbose=0, callbacks=[callback])
    return record


def _assert_same(got: Record, want: Record) -> None:
    assert [(h, i, sorted(logs)) for h, i, logs in got] == [
        (h, i, sorted(logs)) for h, i, logs in want
    ]
    for (hook, index, a), (_, _, b) in zip(got, want, strict=True):
        for key in b:
            np.testing.assert_allclose(
                a[key], b[key], rtol=1e-6, atol=1e-6, err_msg=f"{hook}({index}) {key}"
            )


@pytest.mark.parametrize("validation", [False, True], ids=["no-val", "val"])
@pytest.mark.parametrize("spy", list(SPIES))
@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_the_hook_record_equals_plain_keras(loop, spy, validation, tmp_path):
    want = _session("keras", spy, validation, tmp_path / "keras")
    got = _session(loop, spy, validation, tmp_path / loop)
    assert any(hook == "on_train_batch_end" for hook, _, _ in want) or spy in (
        "History",
        "CSVLogger",
        "EarlyStopping",
        "ReduceLROnPlateau",
        "LearningRateScheduler",
    )
    _assert_same(got, want)


def _csv(path: Any) -> list[dict[str, str]]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_audited_stock_callbacks_end_the_same(loop, tmp_path):
    """Callbacks audited as per-epoch leave what they leave under plain fit."""

    def run(runner: str) -> dict[str, Any]:
        out = tmp_path / runner
        out.mkdir()
        callbacks = [
            keras.callbacks.ModelCheckpoint(
                str(out / "e{epoch}.weights.h5"), save_weights_only=True
            ),
            keras.callbacks.TensorBoard(str(out / "tb")),
            keras.callbacks.CSVLogger(str(out / "log.csv")),
            keras.callbacks.BackupAndRestore(str(out / "backup")),
        ]
        train, val, _ = _data()
        model = _model()
        if runner == "keras":
            model.fit(
                train,
                epochs=3,
                verbose=0,
                validation_data=val,
                callbacks=callbacks,
                shuffle=False,
            )
        else:
            tfs.Trainer(model, runner).fit(
                train, epochs=3, verbose=0, validation_data=val, callbacks=callbacks
            )
        return {
            "checkpoints": sorted(p.name for p in out.glob("*.weights.h5")),
            "log": _csv(out / "log.csv"),
            "tb": sorted(p.name for p in (out / "tb").iterdir()),
            "weights": model.get_weights(),
        }

    want, got = run("keras"), run(loop)
    assert (
        got["checkpoints"]
        == want["checkpoints"]
        == [
            "e1.weights.h5",
            "e2.weights.h5",
            "e3.weights.h5",
        ]
    )
    assert got["tb"] == want["tb"]
    assert [row.keys() for row in got["log"]] == [row.keys() for row in want["log"]]
    for a, b in zip(got["log"], want["log"], strict=True):
        for key in b:
            assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-6)
    for a, b in zip(got["weights"], want["weights"], strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
