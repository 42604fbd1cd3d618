"""Whole-step XLA in the custom loop: the op rule (``"auto"``) and the timed trial.

``"auto"`` decides in the first ``fit`` call of at least
``WHOLE_STEP_MIN_STEPS`` steps; these tests set that to 0 (``eager_rule``).
``"autotune"`` waits for half a minute of training left; ``eager_trial`` sets
that to 0, and ``force`` makes the timing's verdict certain. Op determinism
(on in this suite) rules XLA out, so these tests turn it off.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.training import _compat
from tfstarter.training._compiled import Functions
from tfstarter.training._xla import _autotune, _whole_step
from tfstarter.training._xla._ops import is_random_op, op_types, random_ops

pytestmark = pytest.mark.extended  # a long suite: its own step of .ci/run

BATCHES = 40
STEPS_PER_CALL = 2  # 20 calls per epoch: the trial ends inside the first epoch


@pytest.fixture
def eager_rule(monkeypatch, without_op_determinism):
    """Let ``"auto"`` decide in any fit call."""
    monkeypatch.setattr(_whole_step, "WHOLE_STEP_MIN_STEPS", 0)


@pytest.fixture
def eager_trial(monkeypatch, without_op_determinism):
    """Start the trial in any fit call (no minimum of training left), one call
    per timed round."""
    monkeypatch.setattr(_autotune, "TRIAL_MIN_SECONDS", 0.0)
    monkeypatch.setattr(_autotune, "ROUND_STEPS", 1)


@pytest.fixture
def force(monkeypatch):
    """``force("xla")`` / ``force("plain")``: make the timing's verdict certain."""

    def set_outcome(outcome):
        margin = 1e9 if outcome == "xla" else 0.0
        monkeypatch.setattr(_autotune, "XLA_MARGIN", margin)

    return set_outcome


def _dataset(data, n=BATCHES * 16 - 2):
    x, y = data
    x, y = np.resize(x, (n, x.shape[1])), np.resize(y, (n,))
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)  # short last batch


def _train(model, dataset, *, epochs=2, **options):
    trainer = tfs.Trainer(
        model, "custom", steps_per_execution=STEPS_PER_CALL, **options
    )
    trainer.fit(dataset, epochs=epochs, verbose=0)
    return trainer


def _assert_close(a, b, atol=1e-5):
    for wa, wb in zip(a, b, strict=True):
        np.testing.assert_allclose(wa, wb, atol=atol, rtol=0)


OPTIONS = {
    "defaults": {},
    "clip-accumulate": {
        "clipping": tfs.training.GradientClipping("global_norm", 0.5),
        "gradient_accumulation_steps": 2,
    },
}


@pytest.mark.usefixtures("eager_trial")
@pytest.mark.parametrize("options", list(OPTIONS.values()), ids=list(OPTIONS))
@pytest.mark.parametrize("outcome", ["xla", "plain"])
def test_trial_keeps_one_form_and_trains_like_the_plain_step(
    outcome, options, force, model_factory, data
):
    force(outcome)
    dataset = _dataset(data)
    reference = model_factory(optimizer=keras.optimizers.Adam(0.01))
    _train(reference, dataset, jit_compile=False, **options)
    model = model_factory(optimizer=keras.optimizers.Adam(0.01))
    trainer = _train(model, dataset, jit_compile="autotune", **options)
    status = trainer.xla
    assert status.decided
    assert status.whole_step is (outcome == "xla")
    assert status.update
    assert set(status.seconds_per_step) == {"xla", "plain"}
    assert all(seconds > 0 for seconds in status.seconds_per_step.values())
    assert re.search(r"timed: whole-step XLA took [\d.]+ ms per step", status.reason)
    # Every batch ran once, on one of the two forms of the same update.
    updates = 2 * BATCHES // options.get("gradient_accumulation_steps", 1)
    assert int(model.optimizer.iterations) == updates
    _assert_close(model.get_weights(), reference.get_weights())
    # The plain form and the XLA form, each traced once.
    assert trainer.trace_counts["train"] == 2


@pytest.mark.usefixtures("eager_rule")
@pytest.mark.parametrize("options", list(OPTIONS.values()), ids=list(OPTIONS))
def test_rule_chooses_xla_and_trains_like_the_plain_step(options, model_factory, data):
    dataset = _dataset(data)
    reference = model_factory(optimizer=keras.optimizers.Adam(0.01))
    _train(reference, dataset, jit_compile=False, **options)
    model = model_factory(optimizer=keras.optimizers.Adam(0.01))
    trainer = _train(model, dataset, **options)
    status = trainer.xla
    assert (status.whole_step, status.update, status.decided) == (True, True, True)
    assert status.seconds_per_step == {}
    assert status.reason.endswith(
        "whole-step XLA chosen: the step draws no random numbers and holds no op "
        "that runs slower under XLA on a CPU"
    )
    updates = 2 * BATCHES // options.get("gradient_accumulation_steps", 1)
    assert int(model.optimizer.iterations) == updates
    _assert_close(model.get_weights(), reference.get_weights())
    assert trainer.trace_counts["train"] == 2


def _run_twice(model_factory, data):
    weights = []
    for _ in range(2):
        trainer = _train(model_factory(), _dataset(data), epochs=2)
        weights.append(trainer.model.get_weights())
    return weights


@pytest.mark.usefixtures("eager_rule")
def test_rule_is_repeatable(model_factory, data):
    first, second = _run_twice(model_factory, data)
    for a, b in zip(first, second, strict=True):
        np.testing.assert_array_equal(a, b)


def _spy_forms(monkeypatch, trainer_box):
    forms = []
    original = Functions.__call__

    def spy(self, iterator, call):
        chooser = next(iter(trainer_box[0]._engine._compiled.values())).train
        if self is chooser.plain or self is chooser._xla:
            xla = self is chooser._xla
            forms.append(
                (call.begin + (call.steps or 1) - 1, "xla" if xla else "plain")
            )
        return original(self, iterator, call)

    monkeypatch.setattr(Functions, "__call__", spy)
    return forms


@pytest.mark.usefixtures("eager_rule")
def test_xla_runs_every_call_but_the_data_ending_batch(
    monkeypatch, model_factory, data
):
    box = []
    forms = _spy_forms(monkeypatch, box)
    trainer = tfs.Trainer(model_factory(), "custom", steps_per_execution=STEPS_PER_CALL)
    box.append(trainer)
    trainer.fit(_dataset(data), epochs=3, verbose=0)
    # Each epoch: 20 calls under XLA (the last of them one batch long), then
    # the data-ending short batch plain, on its own.
    per_epoch = BATCHES // STEPS_PER_CALL + 1
    assert len(forms) == 3 * per_epoch
    for epoch in range(3):
        run = forms[epoch * per_epoch : (epoch + 1) * per_epoch]
        assert [form for _, form in run] == ["xla"] * 20 + ["plain"]


@pytest.mark.usefixtures("eager_trial")
def test_an_epoch_of_one_call_still_gets_a_trial(force, model_factory, data):
    force("xla")
    trainer = tfs.Trainer(
        model_factory(), "custom", steps_per_execution=64, jit_compile="autotune"
    )
    trainer.fit(_dataset(data), epochs=12, verbose=0)  # 40 batches: one call
    assert trainer.xla.whole_step
    assert int(trainer.model.optimizer.iterations) == 12 * BATCHES


@pytest.mark.usefixtures("eager_rule")
def test_a_step_with_random_numbers_keeps_the_plain_graph(model_factory, data):
    dataset = _dataset(data)
    reference = model_factory(dropout=0.3)
    _train(reference, dataset, jit_compile=False)
    model = model_factory(dropout=0.3)
    trainer = _train(model, dataset)
    status = trainer.xla
    assert status.decided
    assert not status.whole_step
    assert status.seconds_per_step == {}
    assert re.search(
        r"draws random numbers \(.*StatelessRandomUniformV2.*\)", status.reason
    )
    # Same dropout masks as without XLA: the weights match.
    _assert_close(model.get_weights(), reference.get_weights())


class _NumpySquare(keras.layers.Layer):
    """A layer XLA cannot compile: it calls NumPy through tf.numpy_function."""

    def call(self, x):
        y = tf.numpy_function(np.square, [x], tf.float32, stateful=False)
        return tf.ensure_shape(y, x.shape)


@pytest.mark.usefixtures("eager_rule")
def test_a_step_xla_cannot_compile_runs_plain_on_the_same_batch(data):
    def model():
        keras.utils.set_random_seed(3)
        net = keras.Sequential(
            [keras.Input((6,)), _NumpySquare(), keras.layers.Dense(3)]
        )
        net.compile(
            optimizer=keras.optimizers.SGD(0.05),
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        return net

    dataset = _dataset(data)
    reference = model()
    _train(reference, dataset, jit_compile=False)
    trained = model()
    trainer = _train(trained, dataset)
    status = trainer.xla
    assert status.decided
    assert not status.whole_step
    assert status.reason.startswith(
        "the weight update is XLA-compiled on its own; whole-step XLA not used: "
        "XLA could not compile the step: "
    )
    assert int(trained.optimizer.iterations) == 2 * BATCHES
    _assert_close(trained.get_weights(), reference.get_weights())


@pytest.mark.usefixtures("without_op_determinism")
def test_a_short_fit_does_not_decide(model_factory, data):
    trainer = _train(model_factory(), _dataset(data))
    status = trainer.xla
    assert not status.decided
    assert not status.whole_step
    assert status.reason.endswith(
        "not decided yet: decided in the first fit call of at least 2000 steps"
    )
    assert trainer.trace_counts["train"] == 1


@pytest.mark.usefixtures("without_op_determinism")
def test_a_short_fit_does_not_start_the_trial(model_factory, data):
    trainer = _train(model_factory(), _dataset(data), jit_compile="autotune")
    assert trainer.xla.reason.endswith(
        "not decided yet: the trial starts in a fit call with at least 30 s of "
        "training left"
    )


@pytest.mark.usefixtures("eager_trial")
def test_a_trial_goes_on_in_the_next_fit_call(force, model_factory, data):
    force("xla")
    trainer = tfs.Trainer(
        model_factory(), "custom", steps_per_execution=8, jit_compile="autotune"
    )
    dataset = _dataset(data)  # 5 calls per epoch, 4 of them not the last
    trainer.fit(dataset, epochs=1, verbose=0)
    assert not trainer.xla.decided
    trainer.fit(dataset, epochs=3, verbose=0)
    assert trainer.xla.decided
    assert trainer.xla.whole_step


def test_op_determinism_rules_the_trial_out(model_factory, data):
    trainer = _train(model_factory(), _dataset(data))
    status = trainer.xla
    assert status.decided
    assert (status.whole_step, status.update) == (False, False)
    assert status.reason.startswith("no XLA: TensorFlow op determinism is enabled")


@pytest.mark.usefixtures("without_op_determinism")
def test_no_trial_under_a_strategy(model_factory):
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        model = model_factory()
    trainer = tfs.Trainer(model, "custom", strategy=strategy)
    status = trainer.xla
    assert status.decided
    assert not status.whole_step
    assert status.reason.endswith(
        "no whole-step XLA: the step runs under a tf.distribute strategy"
    )


class _NoJit(keras.layers.Dense):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.supports_jit = False


@pytest.mark.usefixtures("without_op_determinism")
def test_no_trial_with_a_layer_that_does_not_support_xla():
    model = keras.Sequential([keras.Input((6,)), _NoJit(3, name="no_jit")])
    trainer = tfs.Trainer(model, "custom", loss="mse")
    assert trainer.xla.reason.endswith(
        "no whole-step XLA: layers ['no_jit'] do not support XLA"
    )


@pytest.mark.usefixtures("without_op_determinism")
@pytest.mark.parametrize(
    ("loop", "jit_compile", "expected"),
    [
        ("fit", "auto", (False, True, True)),
        ("custom", "autotune", (False, True, False)),
        ("custom", "auto", (False, True, False)),
        ("fit", True, (True, True, True)),
        ("custom", True, (True, True, True)),
        ("custom", False, (False, False, True)),
    ],
)
def test_status_before_training(loop, jit_compile, expected, model_factory):
    trainer = tfs.Trainer(model_factory(), loop, jit_compile=jit_compile)
    status = trainer.xla
    assert isinstance(status, tfs.training.XlaStatus)
    assert (status.whole_step, status.update, status.decided) == expected
    if loop == "fit" and jit_compile == "auto":
        assert status.reason.endswith(
            "whole-step XLA is only considered by the custom loop"
        )


@pytest.mark.parametrize(
    ("op_type", "random"),
    [
        ("RandomUniform", True),
        ("StatelessRandomUniformV2", True),
        ("StatelessRandomGetKeyCounter", True),
        ("StatelessTruncatedNormalV2", True),
        ("StatefulUniformFullInt", True),
        ("RngReadAndSkip", True),
        ("Multinomial", True),
        ("StatelessWhile", False),
        ("StatelessIf", False),
        ("MatMul", False),
        ("Conv2DBackpropFilter", False),
    ],
)
def test_is_random_op(op_type, random):
    assert is_random_op(op_type) is random


def test_random_ops_looks_inside_called_functions():
    inner = tf.function(lambda x: tf.nn.experimental.stateless_dropout(x, 0.5, [1, 2]))
    outer = tf.function(lambda x: inner(x) * 2.0)
    found = random_ops(op_types(outer.get_concrete_function(tf.TensorSpec([4]))))
    assert "StatelessRandomUniformV2" in found
    plain = tf.function(lambda x: tf.nn.relu(x) * 2.0)
    assert random_ops(op_types(plain.get_concrete_function(tf.TensorSpec([4])))) == []


def _classifier(*layers):
    """A seeded 3-class model on 6 features, ``layers`` between, SGD."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((6,)), *layers, keras.layers.Dense(3)])
    model.compile(
        optimizer="sgd",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    return model


@pytest.mark.usefixtures("eager_rule")
def test_a_step_with_slow_ops_keeps_the_plain_graph(data):
    model = _classifier(keras.layers.Dense(8), keras.layers.BatchNormalization())
    trainer = _train(model, _dataset(data))
    assert not trainer.xla.whole_step
    assert "holds ops that run slower under XLA on a CPU" in trainer.xla.reason


@pytest.mark.usefixtures("eager_rule")
@pytest.mark.parametrize("onednn", [True, False], ids=["onednn-on", "onednn-off"])
def test_a_convolution_keeps_the_plain_graph_where_onednn_runs_it(
    onednn, monkeypatch, data
):
    monkeypatch.setattr(_compat, "onednn_enabled", lambda: onednn)
    model = _classifier(
        keras.layers.Reshape((6, 1)),
        keras.layers.Conv1D(4, 3, activation="relu"),
        keras.layers.Flatten(),
    )
    trainer = _train(model, _dataset(data))
    assert trainer.xla.whole_step is not onednn
    if onednn:
        assert re.search(
            r"slower under XLA on a CPU where TensorFlow runs them with oneDNN, "
            r"as here \(Conv2D, Conv2DBackpropFilter",
            trainer.xla.reason,
        )
    else:
        assert "whole-step XLA chosen" in trainer.xla.reason


@pytest.mark.parametrize(("setting", "expected"), [("0", "False"), ("1", "True")])
def test_onednn_enabled_follows_the_environment(setting, expected):
    """TF_ENABLE_ONEDNN_OPTS decides either way (x86; read in a fresh process)."""
    if platform.machine().lower() not in ("x86_64", "amd64"):
        pytest.skip("oneDNN's switch is read on x86 only")
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "from tfstarter.training import _compat; print(_compat.onednn_enabled())",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={
            **os.environ,
            "TF_ENABLE_ONEDNN_OPTS": setting,
            "TF_CPP_MIN_LOG_LEVEL": "3",
        },
    )
    assert done.stdout.strip().splitlines()[-1] == expected
