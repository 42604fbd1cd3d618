"""Targets and features checked against the model they train (arrays and pipelines)."""

from __future__ import annotations

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.data._labels import (
    check_features,
    check_targets,
    checked_dataset,
    data_error_from,
)
from tfstarter.data._targets import loss_name, target_rule
from tfstarter.errors import ConfigError, DataError, DataWarning


@pytest.fixture(scope="module")
def binary() -> keras.Model:
    return tfs.models.logistic(4, classes=2)


@pytest.fixture(scope="module")
def three() -> keras.Model:
    return tfs.models.dense(4, classes=3, hidden=(8,))


def categorical_model() -> keras.Model:
    return tfs.models.dense(
        4, classes=3, hidden=(8,), loss=keras.losses.CategoricalCrossentropy()
    )


def iterate(dataset: tf.data.Dataset) -> None:
    for _ in dataset:
        pass


def pipeline(x: np.ndarray, y: np.ndarray, batch_size: int = 32) -> tf.data.Dataset:
    """A plain tf.data pipeline, whose labels are checked batch by batch."""
    return tf.data.Dataset.from_tensor_slices((x.astype("float32"), y)).batch(
        batch_size
    )


# ---------------------------------------------------------------- arrays


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (
            np.array([0, 1, 2, 5]),
            r"`y` holds label 2 at row 2.*2 of 4 rows lie outside",
        ),
        (np.array([-1, 1, 1, -1]), r"label -1 at row 0.*Map -1/\+1 labels with"),
        (np.array([0.0, 1.0, 1.5]), r"label 1.5 at row 2.*binary classifier"),
        (np.array([0, np.nan]), r"label nan at row 1"),
        (np.eye(2), r"shape \(n, 2\), two columns.*one-hot.*y\[:, 1\]"),
        (np.zeros((4, 3)), r"shape \(n, 3\), but a binary classifier"),
    ],
)
def test_binary_head_takes_only_zero_and_one(
    binary: keras.Model, y: np.ndarray, match: str
) -> None:
    with pytest.raises(DataError, match=match):
        check_targets(binary, y)


@pytest.mark.parametrize(
    "y",
    [
        np.array([0, 1, 1, 0]),
        np.array([True, False]),
        np.array([[0.0], [1.0]], "float32"),
        np.array([0.2, 0.9]),  # probabilities as soft targets
    ],
)
def test_binary_head_accepts_labels_booleans_and_soft_targets(
    binary: keras.Model, y: np.ndarray
) -> None:
    check_targets(binary, y)


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.array([0, 1, 7]), r"label 7 at row 2.*whole numbers in \[0, 3\).*0\.\.2"),
        (np.array([0, -1]), r"label -1 at row 1"),
        (np.array([0.0, 0.5]), r"label 0.5 at row 1"),
        (
            np.eye(3)[[0, 2, 1]],
            r"shape \(n, 3\), one row of 3 per sample: it looks one-hot encoded.*"
            r"y\.argmax\(axis=-1\).*CategoricalCrossentropy",
        ),
        (np.zeros((3, 5)), r"shape \(n, 5\), but a 3-class.*one integer class label"),
    ],
)
def test_multiclass_head_takes_integers_in_range(
    three: keras.Model, y: np.ndarray, match: str
) -> None:
    with pytest.raises(DataError, match=match):
        check_targets(three, y)


def test_multiclass_counts_every_wrong_row(three: keras.Model) -> None:
    with pytest.raises(DataError, match=r"label 3 at row 1.*3 of 5 rows are not"):
        check_targets(three, np.array([0, 3, 4, 9, 2]))


def test_multiclass_accepts_integer_like_labels(three: keras.Model) -> None:
    check_targets(three, np.array([0, 1, 2]))
    check_targets(three, np.array([[0.0], [2.0]]))
    check_targets(three, np.array([2, 0], dtype="uint8"))


def test_ignore_class_is_allowed_out_of_range() -> None:
    model = tfs.models.dense(
        4,
        classes=3,
        hidden=(8,),
        loss=keras.losses.SparseCategoricalCrossentropy(ignore_class=-1),
    )
    check_targets(model, np.array([0, -1, 2]))
    with pytest.raises(DataError, match=r"\(or -1, the loss's ignore_class\)"):
        check_targets(model, np.array([0, -2]))


def test_categorical_loss_takes_one_hot_rows() -> None:
    model = categorical_model()
    check_targets(model, np.eye(3)[[0, 2]])
    check_targets(model, np.array([[0.2, 0.3, 0.5]]))
    with pytest.raises(
        DataError, match=r"one integer label per sample.*to_categorical\(y, 3\)"
    ):
        check_targets(model, np.array([0, 2, 1]))
    with pytest.raises(DataError, match=r"holds row \[0\.?, 0\.?, 0\.?\] at row 1"):
        check_targets(model, np.array([[1.0, 0, 0], [0, 0, 0]]))


@pytest.mark.parametrize(
    ("outputs", "shape", "match"),
    [
        (1, (64, 3), r"shape \(n, 3\), but a regression model.*\(n, 1\).*outputs=3"),
        (3, (64, 1), r"shape \(n, 1\).*produces outputs of shape \(n, 3\)"),
        (3, (64,), r"shape \(n,\).*\(n, 3\)"),
        (2, (64, 2, 1, 4), r"shape \(n, 2, 1, 4\)"),
    ],
)
def test_regression_targets_must_match_the_output(
    outputs: int, shape: tuple[int, ...], match: str
) -> None:
    with pytest.raises(DataError, match=match):
        check_targets(tfs.models.linear(4, outputs=outputs), np.zeros(shape))


@pytest.mark.parametrize(
    ("outputs", "shape"), [(1, (64,)), (1, (64, 1)), (3, (64, 3)), (2, (5, 2))]
)
def test_regression_targets_of_the_output_shape_pass(
    outputs: int, shape: tuple[int, ...]
) -> None:
    check_targets(tfs.models.linear(4, outputs=outputs), np.zeros(shape))


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (np.array(["cat", "dog"]), r"`y` holds strings.*np\.unique\(y, return_inverse"),
        (np.array([1 + 2j, 0j]), r"`y` holds complex numbers.*imaginary part"),
    ],
)
def test_text_and_complex_targets_are_refused_for_any_model(
    y: np.ndarray, match: str
) -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(DataError, match=match):
        check_targets(model, y)  # not even compiled


def test_a_loss_of_your_own_is_not_checked() -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss=lambda y_true, y_pred: tf.reduce_mean(y_pred))
    check_targets(model, np.array([7, -3]))


def test_loss_argument_overrides_the_models_own(three: keras.Model) -> None:
    check_targets(three, np.eye(3), loss=keras.losses.CategoricalCrossentropy())
    with pytest.raises(DataError, match="binary classifier"):
        check_targets(three, np.array([[2.0, 0, 0]]), loss="binary_crossentropy")


def test_a_sparse_loss_on_one_unit_is_a_config_error() -> None:
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(loss="sparse_categorical_crossentropy")
    with pytest.raises(ConfigError, match=r"one output unit per class.*shape \(1,\)"):
        check_targets(model, np.array([0, 0]))


def test_scalar_targets_are_refused(three: keras.Model) -> None:
    with pytest.raises(DataError, match="is a scalar"):
        check_targets(three, np.array(1))


@pytest.mark.parametrize(
    ("loss", "name"),
    [
        ("mse", "mean_squared_error"),
        (keras.losses.Huber(), "huber"),
        (keras.losses.LogCosh(), "log_cosh"),
        (keras.losses.BinaryFocalCrossentropy(), "binary_focal_crossentropy"),
        (keras.losses.categorical_crossentropy, "categorical_crossentropy"),
        (42, None),
    ],
)
def test_loss_names(loss: object, name: str | None) -> None:
    assert loss_name(loss) == name


def test_multi_output_models_are_not_checked() -> None:
    inputs = keras.Input((2,))
    model = keras.Model(inputs, [keras.layers.Dense(1)(inputs)] * 2)
    model.compile(loss=["mse", "mse"])
    assert target_rule(model) is None


# ---------------------------------------------------------------- features


def test_text_features_are_refused_before_training() -> None:
    with pytest.raises(
        DataError, match=r"`x` holds strings, but the model takes numbers \(float32\)"
    ):
        check_features(tfs.models.linear(2), np.array([["1", "2"]]))


def test_text_features_into_a_text_input_pass() -> None:
    inputs = keras.Input((1,), dtype="string")
    model = keras.Model(inputs, keras.layers.StringLookup(vocabulary=["a"])(inputs))
    check_features(model, np.array([["a"], ["b"]]))


def test_dict_features_are_named_by_key() -> None:
    inputs = {"a": keras.Input((1,), name="a"), "b": keras.Input((1,), name="b")}
    model = keras.Model(inputs, keras.layers.Add()([inputs["a"], inputs["b"]]))
    with pytest.raises(DataError, match=r"`x\['b'\]` holds strings"):
        check_features(model, {"a": np.zeros((2, 1)), "b": np.array([["x"], ["y"]])})


def test_complex_features_are_refused() -> None:
    with pytest.raises(DataError, match=r"complex numbers \(dtype complex128\)"):
        check_features(tfs.models.linear(2), np.ones((3, 2), complex))


def test_raw_uint8_images_warn_once_per_model() -> None:
    model = tfs.models.cnn((8, 8), 3, filters=(2,))
    pixels = np.zeros((2, 8, 8), np.uint8)
    with pytest.warns(DataWarning, match=r"`x` holds raw uint8 values.*rescale=1/255"):
        check_features(model, pixels)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_features(model, pixels)  # once only
    with pytest.warns(DataWarning, match="raw uint8"):
        check_features(tfs.models.cnn((8, 8), 3, filters=(2,)), pixels)


def test_no_warning_when_the_model_or_data_is_scaled() -> None:
    pixels = np.zeros((2, 8, 8), np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_features(tfs.models.cnn((8, 8), 3, filters=(2,), rescale=1 / 255), pixels)
        check_features(tfs.models.cnn((8, 8), 3, filters=(2,)), pixels / 255)


# ---------------------------------------------------------------- pipelines


def test_one_hot_pipeline_is_refused_before_iterating(three: keras.Model) -> None:
    ds = tfs.data.from_arrays(np.zeros((6, 4)), np.eye(3)[[0, 1, 2, 0, 1, 2]])
    with pytest.raises(DataError, match=r"`y` of `train` has shape \(n, 3\).*one-hot"):
        checked_dataset(three, ds, name="train")


def test_pipeline_strings_are_refused_before_iterating(three: keras.Model) -> None:
    ds = tf.data.Dataset.from_tensor_slices(
        (np.array([["a"] * 4] * 3), np.array([0, 1, 2]))
    ).batch(2)
    with pytest.raises(DataError, match=r"`val` holds strings"):
        checked_dataset(three, ds, name="val")
    labels = tf.data.Dataset.from_tensor_slices(
        (np.zeros((3, 4), "float32"), np.array(["a", "b", "c"]))
    ).batch(2)
    with pytest.raises(DataError, match=r"`y` of `val` holds strings"):
        checked_dataset(three, labels, name="val")


def test_pipeline_regression_shape_is_checked_from_the_spec() -> None:
    ds = tfs.data.from_arrays(np.zeros((64, 4)), np.zeros((64, 3)))
    with pytest.raises(DataError, match=r"`y` of `x` has shape \(n, 3\)"):
        checked_dataset(tfs.models.linear(4), ds)


def test_pipeline_of_regression_targets_comes_back_unchanged() -> None:
    ds = tfs.data.from_arrays(np.zeros((8, 4)), np.zeros(8))
    assert checked_dataset(tfs.models.linear(4), ds) is ds


def test_wrong_label_in_a_pipeline_names_the_batch_and_row(three: keras.Model) -> None:
    y = np.array([0, 1, 2, 0, 1, 2, 0, 7, 1, 2])
    checked = checked_dataset(three, pipeline(np.zeros((10, 4)), y, 4), name="train")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        iterate(checked)
    error = data_error_from(info.value)
    assert isinstance(error, DataError)
    assert str(error).startswith(
        "`y` of `train` holds label 7 at batch 1, row 3, but the model is a 3-class "
        "classifier (SparseCategoricalCrossentropy): labels must be whole numbers "
        "in [0, 3); 1 of 4 rows are not."
    )


def test_binary_pipeline_with_minus_one_labels_fails_in_the_first_batch(
    binary: keras.Model,
) -> None:
    ds = pipeline(np.zeros((4, 4)), np.array([1, -1, 1, -1]))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        iterate(checked_dataset(binary, ds))
    assert "label -1 at batch 0, row 1" in str(data_error_from(info.value))


def test_categorical_pipeline_rows_are_checked() -> None:
    y = np.eye(3)[[0, 1, 2, 0]]
    y[2] = 0.5
    ds = pipeline(np.zeros((4, 4)), y, 2)
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        iterate(checked_dataset(categorical_model(), ds))
    assert "holds row [0.5 0.5 0.5] at batch 1, row 0" in str(
        data_error_from(info.value)
    )


def test_correct_pipeline_is_unchanged_batch_for_batch(three: keras.Model) -> None:
    x = np.arange(20, dtype="float32").reshape(5, 4)
    y = np.array([0, 1, 2, 1, 0])
    ds = pipeline(x, y, 2)
    checked = checked_dataset(three, ds)
    assert checked is not ds  # checked batch by batch
    assert int(checked.cardinality()) == 3
    for (a, b), (c, d) in zip(ds, checked, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_pipeline_error_through_keras_fit_is_translated(three: keras.Model) -> None:
    ds = pipeline(np.zeros((8, 4)), np.array([0, 1, 2, 3] * 2))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        three.fit(checked_dataset(three, ds, name="train"), verbose=0, shuffle=False)
    assert "label 3 at batch 0, row 3" in str(data_error_from(info.value))


def test_from_arrays_labels_are_checked_whole_before_anything_runs(
    three: keras.Model,
) -> None:
    y = np.array([0, 1, 2, 0, 1, 2, 0, 7, 1, 2])
    ds = tfs.data.from_arrays(np.zeros((10, 4)), y, batch_size=4, shuffle=True, seed=0)
    with pytest.raises(DataError, match=r"^`y` of `train` holds label 7 at row 7, "):
        checked_dataset(three, ds, name="train")
    fine = tfs.data.from_arrays(np.zeros((10, 4)), y % 3, batch_size=4)
    assert checked_dataset(three, fine) is fine  # read as it is: nothing per batch


@pytest.mark.parametrize(
    "derive",
    [
        pytest.param(lambda ds: ds.map(lambda x, y: (x, y)), id="mapped"),
        pytest.param(lambda ds: ds.take(3), id="taken"),
        pytest.param(lambda ds: ds.unbatch().batch(4), id="rebatched"),
    ],
)
def test_a_pipeline_derived_from_from_arrays_is_checked_batch_by_batch(
    three: keras.Model, derive
) -> None:
    y = np.array([0, 1, 2, 0, 1, 2, 0, 7, 1, 2])
    ds = derive(tfs.data.from_arrays(np.zeros((10, 4)), y, batch_size=4))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        iterate(checked_dataset(three, ds))
    assert "label 7 at batch 1, row 3" in str(data_error_from(info.value))


def test_from_arrays_with_a_map_or_dropped_rows_is_checked_batch_by_batch(
    three: keras.Model,
) -> None:
    x = np.zeros((8, 4))
    y = np.array([0, 1, 2, 7, 0, 1, 2, 0])
    mapped = tfs.data.from_arrays(x, y, batch_size=4, map=lambda a, b: (a, b))
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        iterate(checked_dataset(three, mapped))
    assert "label 7 at batch 0, row 3" in str(data_error_from(info.value))
    x[0, 0] = np.nan  # the row dropped shifts every later one
    dropped = tfs.data.from_arrays(x, y, batch_size=4, non_finite="drop")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        iterate(checked_dataset(three, dropped))
    assert "label 7 at batch 0, row 2" in str(data_error_from(info.value))


def test_other_errors_are_not_translated() -> None:
    assert data_error_from(tf.errors.InvalidArgumentError(None, None, "x")) is None
    assert data_error_from(ValueError("assertion failed: [nothing]")) is None
