"""``jit_compile="auto"``: the optimizer's update, XLA-compiled on its own.

Op determinism (on in this suite) turns it off, as Keras turns XLA off; the
tests that run it use the ``without_op_determinism`` fixture.
"""

from __future__ import annotations

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError
from tfstarter.training import _compat
from tfstarter.training._non_finite import NonFiniteWatch
from tfstarter.training._xla._update import xla_update_unavailable

LOOPS = ["fit", "custom"]


def _weights_after(loop, model, dataset, *, epochs=2):
    trainer = tfs.Trainer(model, loop)
    trainer.fit(dataset, epochs=epochs, verbose=0)
    return model.get_weights(), trainer


def _assert_close(a, b, atol=1e-5):
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_allclose(wa, wb, atol=atol, rtol=0)


def _halving():
    return keras.callbacks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))


@pytest.mark.usefixtures("without_op_determinism")
@pytest.mark.parametrize("loop", LOOPS)
@pytest.mark.parametrize(
    ("optimizer", "dropout"),
    [(lambda: keras.optimizers.SGD(0.1), 0.0), (keras.optimizers.Adam, 0.3)],
    ids=["sgd", "adam-dropout"],
)
def test_auto_compiles_the_update_once_and_matches_plain_fit(
    loop, optimizer, dropout, model_factory, data
):
    x, y = data
    dataset = tf.data.Dataset.from_tensor_slices((x[:90], y[:90])).batch(16)  # 10 left
    plain = model_factory(optimizer=optimizer(), dropout=dropout)
    plain.fit(dataset, epochs=2, verbose=0, shuffle=False, callbacks=[_halving()])
    model = model_factory(optimizer=optimizer(), dropout=dropout)
    trainer = tfs.Trainer(model, loop)
    trainer.fit(dataset, epochs=2, verbose=0, callbacks=[_halving()])
    # A short last batch, a second epoch and a new learning rate: one trace.
    assert trainer.trace_counts["update"] == 1
    assert trainer.trace_counts["train"] == 1
    _assert_close(model.get_weights(), plain.get_weights())
    assert float(model.optimizer.learning_rate) == pytest.approx(0.05)


@pytest.mark.usefixtures("without_op_determinism")
def test_both_loops_run_the_same_compiled_update(model_factory, dataset):
    results = {}
    for loop in LOOPS:
        model = model_factory(optimizer=keras.optimizers.Adam(1e-2), dropout=0.3)
        weights, trainer = _weights_after(loop, model, dataset)
        assert trainer.trace_counts["update"] == 1
        results[loop] = weights
    _assert_close(results["fit"], results["custom"], atol=1e-6)


@pytest.mark.usefixtures("without_op_determinism")
@pytest.mark.parametrize("loop", LOOPS)
def test_compiled_update_accumulates_like_one_big_batch(loop, model_factory, data):
    x, y = data
    big = model_factory(optimizer=keras.optimizers.Adam(0.05))
    tfs.Trainer(big, loop).fit(
        tf.data.Dataset.from_tensor_slices((x, y)).batch(32), epochs=2, verbose=0
    )
    small = model_factory(optimizer=keras.optimizers.Adam(0.05))
    trainer = tfs.Trainer(small, loop, gradient_accumulation_steps=4)
    small_batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    trainer.fit(small_batches, epochs=2, verbose=0)
    assert trainer.trace_counts["update"] == 1
    _assert_close(big.get_weights(), small.get_weights())
    assert int(small.optimizer.iterations) == 6


@pytest.mark.usefixtures("without_op_determinism")
def test_compiled_update_clips_by_global_norm(model_factory, dataset):
    model = model_factory(optimizer=keras.optimizers.SGD(1.0))
    before = model.get_weights()
    trainer = tfs.Trainer(
        model, "custom", clipping=tfs.training.GradientClipping("global_norm", 0.05)
    )
    trainer.fit(dataset.take(1), verbose=0)
    assert trainer.trace_counts["update"] == 1
    step = [a - b for a, b in zip(model.get_weights(), before, strict=True)]
    assert np.sqrt(sum((u**2).sum() for u in step)) == pytest.approx(0.05, rel=1e-4)


@pytest.mark.usefixtures("without_op_determinism")
@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"], indirect=True)
def test_compiled_update_trains_under_mixed_precision(policy, model_factory, data):
    x, y = data
    model = model_factory(optimizer=keras.optimizers.Adam(0.01))
    trainer = tfs.Trainer(model, "custom")
    history = trainer.fit((x, y), epochs=5, verbose=0, shuffle=False)
    assert trainer.trace_counts["update"] == 1
    losses = history.history["loss"]
    assert losses[-1] < losses[0]
    assert all(v.dtype == "float32" for v in model.trainable_variables)
    if policy == "mixed_float16":
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)


@pytest.mark.usefixtures("without_op_determinism")
@pytest.mark.parametrize("policy", ["mixed_float16"], indirect=True)
def test_compiled_update_skips_a_step_with_overflowing_gradients(policy):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = np.full((4, 2), 3e4, "float32")  # float16 gradients overflow at scale 32768
    y = np.zeros((4, 1), "float32")
    before = model.get_weights()
    trainer = tfs.Trainer(model, "custom", on_non_finite="ignore")
    trainer.fit((x, y), batch_size=4, verbose=0, shuffle=False)
    assert trainer.trace_counts["update"] == 1
    scale = float(model.optimizer.dynamic_scale)
    assert scale < model.optimizer.initial_scale  # the overflow halved it
    _assert_close(model.get_weights(), before, atol=0)  # and skipped the update


@pytest.mark.usefixtures("without_op_determinism")
@pytest.mark.parametrize("loop", LOOPS)
def test_the_nan_guard_runs_inside_the_compiled_update(
    loop, model_factory, dataset, monkeypatch
):
    """The guard's weight check and put-back are traced into the compiled update.

    `NonFiniteWatch.hold` is called inside the XLA-compiled function (so XLA
    holds the old weights and puts them back with a select), once per trace.
    """
    contexts = []
    hold = NonFiniteWatch.hold

    def spy(self, kept):
        contexts.append(_compat.in_xla_context())
        return hold(self, kept)

    monkeypatch.setattr(NonFiniteWatch, "hold", spy)
    trainer = tfs.Trainer(model_factory(), loop)
    trainer.fit(dataset, verbose=0)
    assert trainer.trace_counts["update"] == 1
    assert contexts and all(contexts)
    contexts.clear()
    tfs.Trainer(model_factory(), loop, jit_compile=False).fit(dataset, verbose=0)
    assert contexts and not any(contexts)


@pytest.mark.usefixtures("without_op_determinism")
@pytest.mark.parametrize("loop", LOOPS)
def test_the_guarded_update_runs_outside_any_compiled_conditional(
    loop, model_factory, dataset, monkeypatch
):
    """The verdict comes first, in the graph; the compiled update is unconditional.

    Inside XLA a conditional around the update makes it copy every weight
    and moment it writes (see `NonFiniteWatch.update_compiled`).
    """
    graphs = []
    apply_gradients = keras.optimizers.Adam.apply_gradients

    def spy(self, *args, **kwargs):
        if _compat.in_xla_context():
            graphs.append(tf.compat.v1.get_default_graph().name)
        return apply_gradients(self, *args, **kwargs)

    monkeypatch.setattr(keras.optimizers.Adam, "apply_gradients", spy)
    trainer = tfs.Trainer(model_factory(optimizer=keras.optimizers.Adam()), loop)
    trainer.fit(dataset, verbose=0)
    assert trainer.trace_counts["update"] == 1
    assert len(graphs) == 1
    assert not graphs[0].startswith("cond"), graphs


@pytest.mark.usefixtures("without_op_determinism")
def test_sparse_gradients_take_the_plain_update(data):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((3,), dtype="int32"),
            keras.layers.Embedding(50, 4),
            keras.layers.Flatten(),
            keras.layers.Dense(2),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.SGD(0.5),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    rng = np.random.default_rng(0)
    x = rng.integers(0, 50, size=(64, 3)).astype("int32")
    y = (x[:, 0] > 25).astype("int64")
    trainer = tfs.Trainer(model, "custom")
    history = trainer.fit((x, y), epochs=5, batch_size=16, verbose=0, shuffle=False)
    assert trainer.trace_counts["update"] == 0
    assert history.history["loss"][-1] < history.history["loss"][0]


class OwnSGD(keras.optimizers.SGD):
    pass


@pytest.mark.usefixtures("without_op_determinism")
@pytest.mark.parametrize(
    ("make_optimizer", "jit_compile"),
    [
        (lambda: keras.optimizers.SGD(0.1), False),
        (lambda: keras.optimizers.SGD(0.1), True),
        (lambda: OwnSGD(0.1), "auto"),
        (lambda: keras.optimizers.LossScaleOptimizer(OwnSGD(0.1)), "auto"),
    ],
    ids=["off", "whole-step", "own-optimizer", "own-inner-optimizer"],
)
def test_update_is_not_compiled_on_its_own(
    make_optimizer, jit_compile, model_factory, dataset
):
    model = model_factory(optimizer=make_optimizer())
    trainer = tfs.Trainer(model, "custom", jit_compile=jit_compile)
    trainer.fit(dataset, verbose=0)
    assert trainer.trace_counts["update"] == 0
    assert trainer.trace_counts["train"] == 1


def test_op_determinism_turns_the_compiled_update_off(model_factory, dataset):
    reference = model_factory()
    tfs.Trainer(reference, "custom", jit_compile=False).fit(dataset, verbose=0)
    model = model_factory()
    trainer = tfs.Trainer(model, "custom")
    trainer.fit(dataset, verbose=0)
    assert trainer.trace_counts["update"] == 0
    _assert_close(model.get_weights(), reference.get_weights(), atol=0)


@pytest.mark.parametrize(
    ("optimizer", "strategy", "reason"),
    [
        (OwnSGD(), None, r"^the optimizer \(OwnSGD\) is not one of Keras' own$"),
        (
            keras.optimizers.SGD(),
            tf.distribute.OneDeviceStrategy("/cpu:0"),
            r"^the step runs under a tf.distribute strategy$",
        ),
        (
            keras.optimizers.SGD(),
            None,
            r"^TensorFlow op determinism is enabled "
            r"\(tf\.config\.experimental\.enable_op_determinism\), which Keras "
            r"does not combine with XLA$",
        ),
    ],
)
def test_why_the_update_is_not_compiled(optimizer, strategy, reason):
    message = xla_update_unavailable(optimizer, strategy)
    assert message is not None
    assert re.match(reason, message)


def test_jit_compile_accepts_only_booleans_and_auto(model_factory):
    with pytest.raises(
        ArgumentTypeError,
        match=r"`jit_compile` must be True, False, 'auto' or 'autotune', got 'on'",
    ):
        tfs.Trainer(model_factory(), "custom", jit_compile="on")
    assert tfs.Trainer(model_factory(), "custom").options.jit_compile == "auto"


@pytest.mark.parametrize(
    ("system", "processor", "gpus", "blocked"),
    [
        ("Darwin", "arm", ["GPU:0"], True),
        ("Darwin", "arm", [], False),
        ("Darwin", "i386", ["GPU:0"], False),
        ("Linux", "x86_64", ["GPU:0"], False),
    ],
)
def test_no_xla_where_keras_uses_none(monkeypatch, system, processor, gpus, blocked):
    import platform

    monkeypatch.setattr(platform, "system", lambda: system)
    monkeypatch.setattr(platform, "processor", lambda: processor)
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: gpus)
    from tensorflow.python.framework import config

    monkeypatch.setattr(config, "is_op_determinism_enabled", lambda: False)
    reason = xla_update_unavailable(keras.optimizers.SGD())
    if blocked:
        assert reason == "TensorFlow has no XLA on an Apple-silicon GPU"
    else:
        assert reason is None


def _every_keras_optimizer():
    import inspect

    skip = {"Optimizer", "LossScaleOptimizer", "MultiOptimizer"}  # tested apart
    return sorted(
        name
        for name, value in vars(keras.optimizers).items()
        if inspect.isclass(value)
        and issubclass(value, keras.optimizers.Optimizer)
        and name not in skip
    )


_EVERY_RUN = ("Adam", "SGD")


@pytest.mark.usefixtures("without_op_determinism")
@pytest.mark.parametrize(
    "name",
    [
        # Adam (the recipes' optimizer) and SGD in every run; the rest of Keras'
        # optimizers in the long suite (`pytest -m extended`).
        pytest.param(name, marks=() if name in _EVERY_RUN else pytest.mark.extended)
        for name in _every_keras_optimizer()
    ],
)
def test_every_keras_optimizer_updates_the_same_under_xla(name, model_factory, data):
    x, y = data
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    results = {}
    for jit_compile in (False, "auto"):
        model = model_factory(optimizer=getattr(keras.optimizers, name)())
        trainer = tfs.Trainer(model, "custom", jit_compile=jit_compile)
        trainer.fit(dataset, epochs=2, verbose=0)
        results[jit_compile] = (model.get_weights(), trainer.trace_counts["update"])
    assert results[False][1] == 0
    assert results["auto"][1] == 1
    _assert_close(results["auto"][0], results[False][0])


@pytest.mark.usefixtures("without_op_determinism")
def test_a_multi_optimizer_keeps_keras_update(model_factory, dataset):
    if not hasattr(keras.optimizers, "MultiOptimizer"):
        pytest.skip("this Keras has no MultiOptimizer")
    optimizer = keras.optimizers.MultiOptimizer(
        lambda variable: keras.optimizers.SGD(0.1)
    )
    trainer = tfs.Trainer(model_factory(optimizer=optimizer), "custom")
    trainer.fit(dataset, verbose=0)
    assert trainer.trace_counts["update"] == 0
    assert xla_update_unavailable(optimizer) == (
        "a MultiOptimizer's parts are chosen when it is built"
    )
