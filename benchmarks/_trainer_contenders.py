"""Models and training contenders for ``benchmarks/trainer.py``.

Every contender trains the same model (same seed) on the same ``tf.data``
pipeline with the same optimizer, loss and metric, and exposes ``warm_up()``
(one untimed epoch that traces everything) and ``epochs(n)`` (n timed passes over
the data in one call).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

import tfstarter as tfs

SEED = 0


def mlp() -> keras.Model:
    """Workflow 4's dense MNIST classifier (without dropout)."""
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


def cnn() -> keras.Model:
    """Workflow 5's small convolutional MNIST classifier."""
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Reshape((28, 28, 1)),
            keras.layers.Conv2D(4, 3, activation="relu"),
            keras.layers.Conv2D(8, 3, activation="relu"),
            keras.layers.Conv2D(12, 3, activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(10),
        ]
    )


MODELS: dict[str, Callable[[], keras.Model]] = {"MLP": mlp, "CNN": cnn}


def compiled(
    name: str, *, steps_per_execution: int = 1, jit_compile: bool | str = "auto"
) -> keras.Model:
    """A freshly built and compiled model (Adam, sparse CE from logits, accuracy).

    ``jit_compile="auto"`` is Keras' default, which means no XLA on a machine
    without a GPU.
    """
    keras.utils.set_random_seed(SEED)
    model = MODELS[name]()
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
        jit_compile=jit_compile,
    )
    return model


@dataclass
class Contender:
    """One way of training: a label, its settings, and how to run it."""

    label: str
    settings: str
    warm_up: Callable[[], Any]
    epochs: Callable[[int], Any]
    trainer: tfs.Trainer | None = None


def plain_fit(
    name: str,
    data: tf.data.Dataset,
    *,
    steps_per_execution: int = 1,
    jit_compile: bool = False,
) -> Contender:
    model = compiled(
        name,
        steps_per_execution=steps_per_execution,
        jit_compile=True if jit_compile else "auto",
    )
    suffix = " (spe)" if steps_per_execution > 1 else ""
    suffix += " (XLA)" if jit_compile else ""
    return Contender(
        label="plain model.fit" + suffix,
        settings=f"steps_per_execution={steps_per_execution}"
        + (", jit_compile=True" if jit_compile else ""),
        warm_up=lambda: model.fit(data, verbose=0, shuffle=False),
        epochs=lambda n: model.fit(data, epochs=n, verbose=0, shuffle=False),
    )


def trainer(
    name: str,
    data: tf.data.Dataset,
    *,
    loop: str,
    steps_per_execution: int | str = "auto",
    jit_compile: bool | str = "auto",
    settle_trial: bool = True,
) -> Contender:
    """A Trainer contender; with ``settle_trial``, "auto" runs its XLA trial first."""
    model = compiled(name)
    run = tfs.Trainer(
        model,
        loop,  # type: ignore[arg-type]
        steps_per_execution=steps_per_execution,  # type: ignore[arg-type]
        jit_compile=jit_compile,  # type: ignore[arg-type]
    )
    resolved = (
        f"auto = {tfs.training.AUTO_STEPS_PER_EXECUTION}"
        if steps_per_execution == "auto"
        else str(steps_per_execution)
    )
    suffix = "" if steps_per_execution == "auto" else f", spe={steps_per_execution}"
    suffix += "" if jit_compile == "auto" else f", jit_compile={jit_compile}"
    xla = {
        "auto": "jit_compile=auto (XLA update)",
        True: "jit_compile=True (XLA step)",
        False: "jit_compile=False (no XLA)",
    }[jit_compile]
    contender = Contender(
        label=f'Trainer(loop="{loop}"{suffix})',
        settings=f"steps_per_execution={resolved}, {xla}",
        warm_up=lambda: run.fit(data, verbose=0),
        epochs=lambda n: run.fit(data, epochs=n, verbose=0),
        trainer=run,
    )
    if loop == "custom" and jit_compile == "auto" and settle_trial:

        def warm_up() -> None:
            settle_xla_trial(run, data)
            contender.settings = (
                f"steps_per_execution={resolved}, jit_compile=auto "
                f"({describe_xla(run.xla)})"
            )

        contender.warm_up = warm_up
    return contender


TRIAL_WARM_UP_SECONDS = 45.0
"""Length of the warm-up ``fit`` call that lets ``jit_compile="auto"`` run its
trial of whole-step XLA with its defaults (it starts in a call with at least
30 s of training left)."""


def settle_xla_trial(run: tfs.Trainer, data: tf.data.Dataset) -> None:
    """Warm up as a user's long first ``fit`` call would: until "auto" has chosen."""
    run.fit(data, verbose=0)  # traces
    epochs = 1
    for _ in range(4):
        start = time.perf_counter()
        run.fit(data, epochs=epochs, verbose=0)
        if run.xla.decided:
            return
        epoch_seconds = (time.perf_counter() - start) / epochs
        epochs = math.ceil(TRIAL_WARM_UP_SECONDS / max(epoch_seconds, 1e-3))
    raise RuntimeError(f"the XLA trial did not finish: {run.xla.reason}")


def describe_xla(status: Any) -> str:
    """A few words on what ``jit_compile="auto"`` chose, for the settings column."""
    times = status.seconds_per_step
    measured = (
        f": {times['xla'] * 1e3:.1f} vs {times['plain'] * 1e3:.1f} ms/step"
        if times
        else ""
    )
    if status.whole_step:
        return f"trial chose whole-step XLA{measured}"
    return f"XLA update; trial kept the plain step{measured}"


def hand_loop(name: str, data: tf.data.Dataset) -> Contender:
    """The loop of TensorFlow's "custom training loop" guide, as written there."""
    model = compiled(name)
    optimizer = model.optimizer
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    accuracy = keras.metrics.SparseCategoricalAccuracy()

    @tf.function
    def train_step(x: Any, y: Any) -> Any:
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        accuracy.update_state(y, logits)
        return loss

    def epochs(count: int) -> None:
        for _ in range(count):
            accuracy.reset_state()
            for x, y in data:
                train_step(x, y)

    return Contender(
        label="hand-written tf.function loop",
        settings="one tf.function call per batch (`for x, y in ds`)",
        warm_up=lambda: epochs(1),
        epochs=epochs,
    )


def contenders(
    name: str, data: tf.data.Dataset, *, like_for_like: bool, settle_trial: bool = True
) -> list[Contender]:
    """The four headline contenders, plus the like-for-like variants."""
    runs = [
        plain_fit(name, data),
        trainer(name, data, loop="fit"),
        trainer(name, data, loop="custom", settle_trial=settle_trial),
        hand_loop(name, data),
    ]
    if like_for_like:
        spe = tfs.training.AUTO_STEPS_PER_EXECUTION
        runs += [
            plain_fit(name, data, steps_per_execution=spe),
            # Without the XLA-compiled update, the Trainer runs Keras' own step.
            trainer(name, data, loop="custom", jit_compile=False),
            trainer(name, data, loop="fit", steps_per_execution=1, jit_compile=False),
            trainer(
                name, data, loop="custom", steps_per_execution=1, jit_compile=False
            ),
            # The whole step under XLA, opt-in in both (Keras turns it off on
            # machines without a GPU).
            plain_fit(name, data, jit_compile=True),
            trainer(name, data, loop="custom", jit_compile=True),
        ]
    return runs
