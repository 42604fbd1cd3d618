"""The NaN guard: a bad loss, gradient or weight stops training where it happened.

Every case is built so that its outcome does not depend on how a CPU's kernels
propagate NaN or Inf (oneDNN on an Intel Xeon and Eigen on an AMD EPYC differ
there): a NaN *target* makes the loss NaN whatever the kernels, and a learning
rate of 1e38 overflows the weights on the first update. A NaN *input* is only
asserted where every kernel agrees: on the batch it is in.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tfstarter as tfs
from tfstarter.errors import TrainingError
from tfstarter.training._non_finite import _all_finite, _exact_flags

LOOPS = ["fit", "custom"]


def _regression(lr=0.01, seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(lr), loss="mse")
    return model


def _data(n=96, bad_row=None, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = x.sum(axis=1, keepdims=True).astype("float32")
    if bad_row is not None:
        y[bad_row] = np.nan
    return tf.data.Dataset.from_tensor_slices((x, y)).batch(16)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_nan_target_stops_at_its_batch(loop):
    with pytest.raises(
        TrainingError, match=r"at epoch 1, batch 3 \(0-based .*\): the loss became nan"
    ):
        tfs.Trainer(_regression(), loop).fit(_data(bad_row=50), epochs=2, verbose=0)


# Three ways the guard runs:
# - "auto" with op determinism on (as in this suite): no XLA; the weights are
#   copied and restored in a tf.cond.
# - "update": jit_compile="auto" with op determinism off, so the optimizer's
#   update alone is XLA-compiled (XlaUpdate), inside the guard's tf.cond.
# - True: the whole step under XLA, where the guard keeps the old weights as
#   tensors and puts them back with a select (see NonFiniteWatch.before).
JITS = ["auto", "update", True]


@pytest.fixture(params=JITS, ids=["jit-auto", "jit-update", "jit-true"])
def jit(request):
    if request.param != "auto":
        request.getfixturevalue("without_op_determinism")
    return "auto" if request.param == "update" else request.param


def _batch_norm(seed=0):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    return model


@pytest.mark.parametrize("make", [_regression, _batch_norm], ids=["sgd", "bn-adam"])
@pytest.mark.parametrize("loop", LOOPS)
def test_the_model_keeps_the_weights_of_the_last_finite_step(loop, make, jit):
    """Moving statistics too: the bad batch's forward pass changed them."""
    clean = make()
    tfs.Trainer(clean, loop, jit_compile=jit).fit(_data().take(3), epochs=1, verbose=0)
    model = make()
    with pytest.raises(TrainingError, match=r"keeps the weights of the last finite"):
        tfs.Trainer(model, loop, jit_compile=jit).fit(
            _data(bad_row=50), epochs=1, verbose=0
        )
    assert int(model.optimizer.iterations) == 3
    for got, want in zip(model.get_weights(), clean.get_weights(), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
        assert np.isfinite(got).all()


@pytest.mark.parametrize("loop", LOOPS)
def test_several_steps_per_call_still_name_the_exact_batch(loop, jit):
    data = _data().concatenate(_data(bad_row=50))  # 12 batches, the bad one: 9
    model = _regression()
    with pytest.raises(TrainingError, match=r"at epoch 2, batch 9 "):
        tfs.Trainer(model, loop, steps_per_execution=4, jit_compile=jit).fit(
            data, initial_epoch=1, epochs=2, verbose=0
        )
    # Steps 8 and the ones after 9 in the same call did not apply either.
    assert int(model.optimizer.iterations) == 9


@pytest.mark.parametrize("loop", LOOPS)
def test_an_overflowing_update_names_the_weight_and_is_undone(loop, jit):
    model = _regression(lr=1e38)
    before = model.get_weights()
    with pytest.raises(
        TrainingError,
        match=r"at epoch 1, batch 0 .*: the weight of `sequential/dense(_\d+)?/"
        r"(kernel|bias)` became NaN or Inf",
    ):
        tfs.Trainer(model, loop, jit_compile=jit).fit(_data(), epochs=1, verbose=0)
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("loop", LOOPS)
def test_a_bad_gradient_names_it_and_skips_the_update(loop, jit):
    """A NaN gradient under a finite loss: named, and nothing is applied."""

    @tf.custom_gradient
    def nan_backward(t):
        return tf.identity(t), lambda upstream: upstream * float("nan")

    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, name="hidden")(inputs)
    outputs = keras.layers.Dense(1, name="out")(
        keras.layers.Lambda(nan_backward)(hidden)
    )
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    before = model.get_weights()
    with pytest.raises(TrainingError, match=r"batch 0 .*the gradient of `hidden/"):
        tfs.Trainer(model, loop, jit_compile=jit).fit(_data(), epochs=1, verbose=0)
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)
    assert int(model.optimizer.iterations) == 0


@pytest.mark.parametrize("loop", LOOPS)
def test_a_nan_input_stops_at_its_batch_on_every_cpu(loop):
    x, y = next(iter(_data().unbatch().batch(96)))
    x = x.numpy()
    x[50, 0] = np.nan  # batch 3
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    model = _regression()
    with pytest.raises(TrainingError, match=r"at epoch 1, batch 3 "):
        tfs.Trainer(model, loop).fit(data, epochs=1, verbose=0)
    assert all(np.isfinite(w).all() for w in model.get_weights())


@pytest.mark.parametrize("loop", LOOPS)
def test_ignore_goes_on(loop):
    history = tfs.Trainer(_regression(), loop, on_non_finite="ignore").fit(
        _data(bad_row=50), epochs=2, verbose=0
    )
    assert history.epoch == [0, 1]
    assert np.isnan(history.history["loss"]).all()


@pytest.mark.parametrize("loop", LOOPS)
def test_the_guard_does_not_force_single_steps(loop, monkeypatch):
    trainer = tfs.Trainer(_regression(), loop)
    seen = []
    original = trainer._engine.steps_per_execution

    def spy(*args, **kwargs):
        seen.append(original(*args, **kwargs))
        return seen[-1]

    monkeypatch.setattr(trainer._engine, "steps_per_execution", spy)
    trainer.fit(_data(), verbose=0)
    assert seen == [tfs.training.AUTO_STEPS_PER_EXECUTION]


@pytest.mark.parametrize("steps", [1, 4])
@pytest.mark.parametrize("loop", LOOPS)
def test_the_guard_flag_never_reaches_a_hook(loop, steps):
    seen = []
    spy = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: seen.append(sorted(logs)),
        on_epoch_end=lambda epoch, logs: seen.append(sorted(logs)),
    )
    trainer = tfs.Trainer(_regression(), loop, steps_per_execution=steps)
    history = trainer.fit(_data(), epochs=2, callbacks=[spy], verbose=0)
    assert seen and all(keys == ["loss"] for keys in seen)
    assert sorted(history.history) == ["loss"]


@pytest.mark.parametrize("loop", LOOPS)
def test_the_guard_reads_no_variable_on_a_finite_call(loop, monkeypatch):
    """What went bad is read from the watch's variables only once it did."""
    from tfstarter.training._non_finite import NonFiniteWatch

    def refuse(self):
        raise AssertionError("found() read on a finite call")

    monkeypatch.setattr(NonFiniteWatch, "found", refuse)
    tfs.Trainer(_regression(), loop, steps_per_execution=1).fit(
        _data(), epochs=2, verbose=0
    )


@pytest.mark.parametrize("loop", LOOPS)
def test_terminate_on_nan_takes_over(loop):
    model = _regression()
    history = tfs.Trainer(model, loop).fit(
        _data(bad_row=50),
        epochs=2,
        verbose=0,
        callbacks=[keras.callbacks.TerminateOnNaN()],
    )
    assert model.stop_training
    assert history.epoch == [0]


@pytest.mark.parametrize("loop", LOOPS)
def test_the_guard_watches_the_loss_only_under_loss_scaling(loop):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = _regression()
        trainer = tfs.Trainer(model, loop)
        run = trainer._engine.run([], training=True)
        assert run.watch is not None and not run.watch.check_gradients
        trainer.fit(_data(), epochs=1, verbose=0)
    finally:
        keras.config.set_dtype_policy("float32")


@given(
    arrays=st.lists(
        hnp.arrays(
            np.float32,
            hnp.array_shapes(min_dims=0, max_dims=3, max_side=5),
            elements=st.sampled_from(
                [0.0, -1.5, 2.0, 3e38, -3e38, np.inf, -np.inf, np.nan]
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
@settings(max_examples=40, deadline=None)
def test_the_finite_check_agrees_with_numpy_even_where_a_sum_overflows(arrays):
    # The check adds up every tensor's sum; 3e38 + 3e38 overflows to Inf
    # although every value is finite, so the exact test must decide there.
    tensors = [tf.constant(array) for array in arrays]
    expected = [bool(np.isfinite(array).all()) for array in arrays]
    assert bool(_all_finite(tensors)) == all(expected)
    assert _exact_flags(tensors).numpy().tolist() == expected


def test_the_finite_check_tests_half_precision_exactly():
    half = tf.constant([60000.0, 60000.0], tf.float16)  # their sum overflows
    bad = tf.constant([1.0, np.inf], tf.float16)
    assert bool(_all_finite([half, None, tf.ones(2)]))
    assert not bool(_all_finite([half, bad, None]))
    assert _exact_flags([half, bad, None]).numpy().tolist() == [True, False, True]


@pytest.mark.parametrize("loop", LOOPS)
def test_the_guard_keeps_no_second_copy_of_the_weights(loop, jit):
    """It adds a few scalars to the model; the old weights are held by reads."""

    def created(on_non_finite):
        shapes = []

        def creator(next_creator, **kwargs):
            variable = next_creator(**kwargs)
            shapes.append(tuple(variable.shape))
            return variable

        model = _batch_norm()
        with tf.variable_creator_scope(creator):
            tfs.Trainer(model, loop, jit_compile=jit, on_non_finite=on_non_finite).fit(
                _data(), epochs=1, verbose=0
            )
        return shapes

    guarded, unguarded = created("raise"), created("ignore")
    extra = list(guarded)
    for shape in unguarded:
        extra.remove(shape)
    assert extra and all(shape == () for shape in extra)


def test_an_overflowing_sparse_update_is_undone_without_xla():
    """An embedding's gradient is sparse: the optimizer scatters into the table."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((2,), dtype="int32"),
            keras.layers.Embedding(10, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.SGD(1e38), loss="mse")
    x = np.arange(32, dtype="int32").reshape(16, 2) % 10
    y = np.full((16, 1), 1e3, "float32")
    before = model.get_weights()
    with pytest.raises(TrainingError, match=r"batch 0 .*the weight of `"):
        tfs.Trainer(model, "custom", jit_compile=False).fit(
            tf.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=1, verbose=0
        )
    for got, want in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, want)
