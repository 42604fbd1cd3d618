"""Tiny models, data and a spy callback for the Trainer tests.

With ``--import-mode=importlib`` test modules cannot import each other, so the
helpers are handed out as fixtures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from typing import Any

import keras
import numpy as np
import pytest
import tensorflow as tf

N_SAMPLES = 96
N_FEATURES = 6
N_CLASSES = 3
BATCH = 16


def make_data(n: int = N_SAMPLES, *, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, N_FEATURES)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
    return x, y


def make_model(
    *,
    optimizer: Any = None,
    dropout: float = 0.0,
    metrics: Any = ("accuracy",),
    seed: int = 7,
    compile_model: bool = True,
) -> keras.Model:
    """A small classifier, built from the same seed every time it is made."""
    keras.utils.set_random_seed(seed)
    layers: list[Any] = [
        keras.Input((N_FEATURES,)),
        keras.layers.Dense(8, activation="relu"),
    ]
    if dropout:
        layers.append(keras.layers.Dropout(dropout, seed=seed))
    layers.append(keras.layers.Dense(N_CLASSES))
    model = keras.Sequential(layers)
    if compile_model:
        model.compile(
            optimizer=optimizer if optimizer is not None else keras.optimizers.SGD(0.1),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=list(metrics) if metrics else None,
        )
    return model


def make_dataset(
    n: int = N_SAMPLES, *, batch: int = BATCH, seed: int = 0
) -> tf.data.Dataset:
    x, y = make_data(n, seed=seed)
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(batch)


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


class Spy(keras.callbacks.Callback):
    """Records ``(hook, index, sorted logs keys)`` for every hook."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[tuple[str, int | None, tuple[str, ...]]] = []
        self.logs: list[dict[str, Any]] = []

    def _record(self, hook: str, index: int | None, logs: Any) -> None:
        logs = dict(logs or {})
        self.records.append((hook, index, tuple(sorted(logs))))
        self.logs.append(logs)


def _make(hook: str) -> Any:
    if hook.endswith(("_begin", "_end")) and ("batch" in hook or "epoch" in hook):

        def indexed(self: Spy, index: int, logs: Any = None) -> None:
            self._record(hook, index, logs)

        return indexed

    def plain(self: Spy, logs: Any = None) -> None:
        self._record(hook, None, logs)

    return plain


for _hook in HOOKS:
    setattr(Spy, _hook, _make(_hook))


@pytest.fixture
def without_op_determinism() -> Iterator[None]:
    """Turn TensorFlow op determinism (on in this suite) off for one test.

    The Trainer, like Keras, uses no XLA while it is on; the tests of the
    XLA-compiled update need it off.
    """
    from tensorflow.python.framework import config

    config.disable_op_determinism()
    try:
        yield
    finally:
        config.enable_op_determinism()


@pytest.fixture
def policy(request: pytest.FixtureRequest) -> Iterator[str]:
    """Make ``request.param`` the global dtype policy for one test.

    Parametrize with ``indirect=True``; the policy is float32 again afterwards.
    """
    keras.config.set_dtype_policy(request.param)
    try:
        yield request.param
    finally:
        keras.config.set_dtype_policy("float32")


@pytest.fixture
def spy_factory() -> type[Spy]:
    return Spy


@pytest.fixture
def data() -> tuple[np.ndarray, np.ndarray]:
    return make_data()


@pytest.fixture
def dataset() -> tf.data.Dataset:
    return make_dataset()


@pytest.fixture
def model_factory() -> Callable[..., keras.Model]:
    return make_model


TWO_CPUS = textwrap.dedent(
    """
    import json, os
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import numpy as np
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    import keras
    import tfstarter as tfs
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    """
)


@pytest.fixture(scope="session")
def on_two_cpus() -> Callable[[str], Any]:
    """Run a script under ``strategy``, a MirroredStrategy over two logical CPUs.

    Logical devices must be configured before TensorFlow initialises, so the
    script runs in a fresh interpreter (after `TWO_CPUS`); it must print its
    results as JSON on its last line, which is returned.
    """

    def run(script: str) -> Any:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        done = subprocess.run(
            [sys.executable, "-c", TWO_CPUS + textwrap.dedent(script)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    return run
