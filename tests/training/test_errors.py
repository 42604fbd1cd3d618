"""Bad input to the Trainer fails early, naming the argument and the fix."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ArgumentTypeError, ConfigError, DataError


def test_unknown_loop(model_factory):
    with pytest.raises(
        ConfigError, match=r"`loop` must be one of 'fit', 'custom'; got 'keras'"
    ):
        tfs.Trainer(model_factory(), "keras")


def test_model_must_be_a_keras_model():
    with pytest.raises(
        ArgumentTypeError, match=r"`model` must be a keras.Model, got .*Dense"
    ):
        tfs.Trainer(keras.layers.Dense(1))


def test_a_builder_function_is_not_a_model():
    with pytest.raises(ArgumentTypeError, match=r"call it to build the model first"):
        tfs.Trainer(lambda: None)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_uncompiled_model_predicts_but_does_not_train(loop, model_factory, data):
    trainer = tfs.Trainer(model_factory(compile_model=False), loop)
    assert trainer.predict(data[0], verbose=0).shape == (len(data[0]), 3)
    with pytest.raises(ConfigError, match=r"not compiled, so it cannot fit.*loss="):
        trainer.fit(*data, verbose=0)
    with pytest.raises(ConfigError, match=r"not compiled, so it cannot evaluate"):
        trainer.evaluate(*data, verbose=0)


def test_compiled_without_loss_and_none_given(model_factory, data):
    model = model_factory(compile_model=False)
    model.compile(optimizer="sgd")
    with pytest.raises(
        ConfigError, match=r"compiled without a loss.*Pass loss= to the Trainer"
    ):
        tfs.Trainer(model, "custom").fit(*data, verbose=0)


def test_loss_given_to_an_uncompiled_model_compiles_it(model_factory, dataset):
    model = model_factory(compile_model=False)
    trainer = tfs.Trainer(
        model,
        "custom",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=["accuracy"],
    )
    assert isinstance(model.optimizer, keras.optimizers.Adam)
    assert sorted(trainer.fit(dataset, verbose=0).history) == ["accuracy", "loss"]


def test_loss_given_to_a_compiled_model_keeps_its_optimizer_and_metrics(model_factory):
    model = model_factory()
    optimizer = model.optimizer
    tfs.Trainer(model, loss=keras.losses.SparseCategoricalCrossentropy())
    assert model.optimizer is optimizer
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_element_spec_must_match_the_model_input(loop, model_factory):
    wrong = tf.data.Dataset.from_tensor_slices(
        (np.zeros((8, 5), "float32"), np.zeros(8))
    ).batch(4)
    with pytest.raises(
        DataError,
        match=r"`x` yields inputs of shape \(None, 5\) but the model expects "
        r"\(None, 6\)",
    ):
        tfs.Trainer(model_factory(), loop).fit(wrong, verbose=0)


def test_unbatched_dataset_is_spotted(model_factory):
    unbatched = tf.data.Dataset.from_tensor_slices(
        (np.zeros((8, 6), "float32"), np.zeros(8))
    )
    with pytest.raises(DataError, match=r"looks unbatched: call .batch\(32\)"):
        tfs.Trainer(model_factory(), "custom").fit(unbatched, verbose=0)


def test_dataset_without_targets(model_factory):
    inputs_only = tf.data.Dataset.from_tensor_slices(np.zeros((8, 6), "float32")).batch(
        4
    )
    with pytest.raises(DataError, match=r"yields only inputs .* needs targets"):
        tfs.Trainer(model_factory(), "custom").fit(inputs_only, verbose=0)


def test_validation_data_is_checked_too(model_factory, dataset):
    wrong = tf.data.Dataset.from_tensor_slices(
        (np.zeros((8, 2), "float32"), np.zeros(8))
    ).batch(4)
    with pytest.raises(
        DataError, match=r"`validation_data` yields inputs of shape \(None, 2\)"
    ):
        tfs.Trainer(model_factory(), "custom").fit(
            dataset, validation_data=wrong, verbose=0
        )


@pytest.mark.parametrize(
    ("callbacks", "match"),
    [
        (
            [keras.callbacks.History, None],
            r"`callbacks\[0\]` must be a keras.callbacks.Callback, got .*"
            r"It is a class: pass an instance, e.g. History\(\)",
        ),
        (
            [keras.callbacks.History(), "early"],
            r"`callbacks\[1\]` must be a keras.callbacks.Callback, "
            r"got 'early' of type str",
        ),
        (
            keras.callbacks.History(),
            r"`callbacks` must be a list of callbacks, got a single History",
        ),
        (
            "early",
            r"`callbacks` must be a list of keras.callbacks.Callback, got 'early'",
        ),
    ],
)
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_callbacks_that_are_not_callbacks(
    callbacks, match, method, model_factory, dataset
):
    trainer = tfs.Trainer(model_factory(), "custom")
    with pytest.raises(ArgumentTypeError, match=match):
        getattr(trainer, method)(dataset, callbacks=callbacks, verbose=0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"steps_per_execution": 0},
            ConfigError,
            r"`steps_per_execution` must be a positive integer, got 0",
        ),
        (
            {"steps_per_execution": "fast"},
            ArgumentTypeError,
            r"`steps_per_execution` must be a positive integer or 'auto', got 'fast'",
        ),
        (
            {"jit_compile": "yes"},
            ArgumentTypeError,
            r"`jit_compile` must be True, False, 'auto' or 'autotune', got 'yes'",
        ),
        (
            {"gradient_accumulation_steps": 0},
            ConfigError,
            r"`gradient_accumulation_steps` must be a positive integer, got 0",
        ),
        (
            {"on_non_finite": "warn"},
            ConfigError,
            r"`on_non_finite` must be one of 'raise', 'ignore'; got 'warn'",
        ),
        (
            {"clipping": 1.0},
            ArgumentTypeError,
            r"`clipping` must be a GradientClipping or None, got 1.0",
        ),
        (
            {"strategy": "mirrored"},
            ArgumentTypeError,
            r"`strategy` must be a tf.distribute.Strategy, got 'mirrored'",
        ),
    ],
)
def test_options_are_checked_at_construction(kwargs, error, match, model_factory):
    with pytest.raises(error, match=match):
        tfs.Trainer(model_factory(), "custom", **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"epochs": -1},
            ConfigError,
            r"`epochs` must be a non-negative integer, got -1",
        ),
        (
            {"steps_per_epoch": 0},
            ConfigError,
            r"`steps_per_epoch` must be a positive integer, got 0",
        ),
        (
            {"validation_freq": 0},
            ConfigError,
            r"`validation_freq` must be a positive integer, got 0",
        ),
        (
            {"validation_freq": "1"},
            ArgumentTypeError,
            r"`validation_freq` must be an int",
        ),
        (
            {"verbose": 3},
            ConfigError,
            r"`verbose` must be one of 'auto', 0, 1, 2; got 3",
        ),
        (
            {"verbose": True},
            ArgumentTypeError,
            r"`verbose` must be 'auto', 0, 1 or 2, got True",
        ),
        (
            {"batch_size": 8},
            ConfigError,
            r"`batch_size` must not be given when `x` is a tf.data.Dataset",
        ),
        (
            {"shuffle": True},
            ConfigError,
            r"`shuffle=True` does nothing for a tf.data.Dataset",
        ),
        ({"validation_split": 0.2}, ConfigError, r"`validation_split` needs arrays"),
    ],
)
def test_fit_arguments_are_checked(kwargs, error, match, model_factory, dataset):
    with pytest.raises(error, match=match):
        tfs.Trainer(model_factory(), "custom").fit(dataset, **kwargs)


@pytest.mark.parametrize("loop", ["fit", "custom"])
@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_endless_dataset_is_refused(loop, method, model_factory, dataset):
    trainer = tfs.Trainer(model_factory(), loop)
    with pytest.raises(
        ConfigError,
        match=r"endless dataset .* Pass steps_per_epoch=N to fit \(steps=N to evaluate",
    ):
        getattr(trainer, method)(dataset.repeat(), verbose=0)


def test_strategy_must_be_the_models(model_factory):
    with pytest.raises(
        ConfigError,
        match=r"Create and compile the model inside `with strategy.scope\(\):`",
    ):
        tfs.Trainer(
            model_factory(),
            "custom",
            strategy=tf.distribute.OneDeviceStrategy("/cpu:0"),
        )


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_arrays_of_python_objects_are_refused(loop, model_factory):
    x = np.array([{"a": 1}] * 8, dtype=object)
    with pytest.raises(ArgumentTypeError, match=r"`x` holds Python objects"):
        tfs.Trainer(model_factory(), loop).fit(x, np.zeros(8), verbose=0)


def test_the_default_strategy_goes_with_a_model_built_outside_any_scope(
    model_factory,
):
    # What auto_strategy() returns on one machine.
    trainer = tfs.Trainer(
        model_factory(), "custom", strategy=tf.distribute.get_strategy()
    )
    assert trainer.strategy is None


def test_predict_reads_a_tuple_as_the_inputs_of_several(model_factory, data):
    with pytest.raises(
        DataError, match=r"yields 2 input tensor.*pass x alone, not \(x, y\)"
    ):
        tfs.Trainer(model_factory(), "custom").predict(data, verbose=0)


def test_a_value_no_adapter_takes_is_a_value_error(model_factory):
    with pytest.raises(DataError, match=r"`x` must be a tf.data.Dataset, arrays"):
        tfs.Trainer(model_factory(), "custom").fit("data.csv", verbose=0)


@pytest.mark.parametrize("loop", ["fit", "custom"])
def test_endless_validation_data_is_refused(loop, model_factory, dataset):
    with pytest.raises(ConfigError, match=r"`validation_data` is an endless dataset"):
        tfs.Trainer(model_factory(), loop).fit(
            dataset, validation_data=dataset.repeat(), verbose=0
        )
