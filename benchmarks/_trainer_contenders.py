"""Models and training contenders for ``benchmarks/trainer.py``.

Every contender trains the same model (same seed) on the same ``tf.data``
pipeline with the same optimizer, loss and metric, and exposes ``warm_up()``
(one untimed epoch that traces everything; for the custom loop with
``jit_compile="auto"``, one untimed ``fit`` call long enough for its rule to
decide on whole-step XLA) and ``epochs(n)`` (n timed passes over the data in
one call).
"""

from __future__ import annotations

import math
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
    decide_xla: bool = True,
    on_non_finite: str = "raise",
) -> Contender:
    """A Trainer contender.

    With ``decide_xla``, the custom loop under ``jit_compile="auto"`` warms up
    with one ``fit`` call of at least `whole_step_min_steps` steps, as a
    user's first real run would be, so that its rule decides on whole-step
    XLA before the timed calls; the settings column then says what it chose.
    """
    model = compiled(name)
    run = tfs.Trainer(
        model,
        loop,  # type: ignore[arg-type]
        steps_per_execution=steps_per_execution,  # type: ignore[arg-type]
        jit_compile=jit_compile,  # type: ignore[arg-type]
        on_non_finite=on_non_finite,  # type: ignore[arg-type]
    )
    resolved = (
        f"auto = {tfs.training.AUTO_STEPS_PER_EXECUTION}"
        if steps_per_execution == "auto"
        else str(steps_per_execution)
    )
    suffix = "" if steps_per_execution == "auto" else f", spe={steps_per_execution}"
    suffix += "" if jit_compile == "auto" else f", jit_compile={jit_compile!r}"
    suffix += "" if on_non_finite == "raise" else f", on_non_finite={on_non_finite!r}"
    xla = {
        "auto": "jit_compile=auto (XLA update)",
        "autotune": "jit_compile=autotune (XLA update)",
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
    if loop == "custom" and jit_compile == "auto" and decide_xla:

        def warm_up() -> None:
            run.fit(data, epochs=deciding_epochs(data), verbose=0)
            if not run.xla.decided:
                raise RuntimeError(f"the XLA rule did not decide: {run.xla.reason}")
            contender.settings = (
                f"steps_per_execution={resolved}, jit_compile=auto "
                f"({describe_xla(run.xla)})"
            )

        contender.warm_up = warm_up
    return contender


def whole_step_min_steps() -> int:
    """Steps of the first ``fit`` call in which ``jit_compile="auto"`` decides."""
    from tfstarter.training._xla import _whole_step

    return int(_whole_step.WHOLE_STEP_MIN_STEPS)


def shorten_whole_step_rule(steps: int) -> None:
    """For smoke runs only: let the rule decide in a call of ``steps`` steps."""
    from tfstarter.training._xla import _whole_step

    _whole_step.WHOLE_STEP_MIN_STEPS = steps  # type: ignore[misc]


def deciding_epochs(data: tf.data.Dataset) -> int:
    """Epochs of one ``fit`` call long enough for the whole-step rule to decide."""
    steps = int(data.cardinality())
    if steps <= 0:
        raise ValueError("the benchmark data must be of known, finite length")
    return math.ceil(whole_step_min_steps() / steps)


def describe_xla(status: Any) -> str:
    """A few words on what ``jit_compile="auto"`` (or "autotune") chose."""
    times = status.seconds_per_step
    measured = (
        f": {times['xla'] * 1e3:.1f} vs {times['plain'] * 1e3:.1f} ms/step"
        if times
        else ""
    )
    how = "trial" if times else "rule"
    if status.whole_step:
        return f"{how} chose whole-step XLA{measured}"
    update = "XLA update" if status.update else "no XLA update"
    if not status.decided:
        return f"{update}; whole step not decided yet"
    # The reason ends "whole-step XLA not used: WHY" or "no whole-step XLA:
    # WHY" (see XlaPolicy.status).
    why = status.reason
    for marker in ("whole-step XLA not used: ", "no whole-step XLA: "):
        why = why.split(marker, 1)[-1]
    return f"{update}; {how} kept the plain step{measured} ({why})"


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
    name: str, data: tf.data.Dataset, *, like_for_like: bool
) -> list[Contender]:
    """The four headline contenders, plus the like-for-like variants."""
    runs = [
        plain_fit(name, data),
        trainer(name, data, loop="fit"),
        trainer(name, data, loop="custom"),
        hand_loop(name, data),
    ]
    if like_for_like:
        spe = tfs.training.AUTO_STEPS_PER_EXECUTION
        runs += [
            plain_fit(name, data, steps_per_execution=spe),
            # Without the XLA-compiled update, the Trainer runs Keras' own step.
            trainer(name, data, loop="custom", jit_compile=False),
            trainer(name, data, loop="fit", steps_per_execution=1, jit_compile=False),
            # The same with the Trainer's other defaults (the XLA update).
            trainer(name, data, loop="fit", steps_per_execution=1),
            trainer(
                name, data, loop="custom", steps_per_execution=1, jit_compile=False
            ),
            # The whole step under XLA, opt-in in both (Keras turns it off on
            # machines without a GPU).
            plain_fit(name, data, jit_compile=True),
            trainer(name, data, loop="custom", jit_compile=True),
            # The NaN guard's price: the same as two rows above, guard off.
            trainer(name, data, loop="custom", on_non_finite="ignore"),
            trainer(
                name,
                data,
                loop="fit",
                steps_per_execution=1,
                jit_compile=False,
                on_non_finite="ignore",
            ),
        ]
    return runs
