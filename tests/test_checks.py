"""The shared boundary checks: each names the argument and the value received."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tfstarter import _checks
from tfstarter.errors import ArgumentTypeError, ConfigError, DataError


def test_positive_int_accepts_numpy_integers() -> None:
    assert _checks.check_positive_int("units", np.int64(4)) == 4


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (0, ConfigError, r"`units` must be a positive integer, got 0"),
        (True, ArgumentTypeError, r"got True of type bool"),
        ("3", ArgumentTypeError, r"got '3' of type str"),
    ],
)
def test_positive_int_rejects(
    value: object, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        _checks.check_positive_int("units", value)


def test_non_negative_int_rejects() -> None:
    with pytest.raises(
        ConfigError, match=r"`initial_epoch` must be a non-negative integer, got -1"
    ):
        _checks.check_non_negative_int("initial_epoch", -1)
    with pytest.raises(
        ArgumentTypeError,
        match=r"`initial_epoch` must be a non-negative integer, got 1\.0",
    ):
        _checks.check_non_negative_int("initial_epoch", 1.0)


@pytest.mark.parametrize("value", [-0.1, 1.0, float("nan")])
def test_range_rejects_outside_half_open_interval(value: float) -> None:
    with pytest.raises(ConfigError, match=r"`dropout` must be in \[0\.0, 1\.0\)"):
        _checks.check_number_in_range("dropout", value, low=0.0, high=1.0)


def test_range_rejects_non_numbers() -> None:
    with pytest.raises(ArgumentTypeError, match=r"`dropout` must be a number, got 'x'"):
        _checks.check_number_in_range("dropout", "x", low=0.0, high=1.0)


def test_one_of_lists_the_options() -> None:
    with pytest.raises(
        ConfigError, match=r"`loop` must be one of 'fit', 'custom'; got 'tape'"
    ):
        _checks.check_one_of("loop", "tape", ("fit", "custom"))


def test_describe_arrays_by_shape_and_long_values_are_cut() -> None:
    assert (
        _checks.describe(np.zeros((2, 3), np.int8))
        == "array of shape (2, 3) and dtype int8"
    )
    assert len(_checks.describe("x" * 500)) == 80


def test_same_length_rejects_mismatch_and_empty() -> None:
    with pytest.raises(DataError, match=r"`x` has 10 samples but `y` has 9"):
        _checks.check_same_length(np.zeros((10, 2)), np.zeros(9))
    with pytest.raises(DataError, match=r"`x` is empty \(0 samples\)"):
        _checks.check_same_length(np.zeros((0, 2)), np.zeros(0))
    with pytest.raises(DataError, match=r"`x\['b'\]` has 3 rows but `x\['a'\]` has 4"):
        _checks.check_same_length({"a": np.zeros(4), "b": np.zeros(3)}, None)
    with pytest.raises(DataError, match=r"`x` must have a leading sample dimension"):
        _checks.check_same_length(np.float32(1.0), None)
    with pytest.raises(DataError, match=r"`x` is an empty mapping"):
        _checks.check_same_length({}, None)


@given(
    hnp.arrays(
        np.float32,
        hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
        elements=st.floats(allow_nan=True, allow_infinity=True, width=32),
    )
)
def test_non_finite_rows_matches_row_wise_isfinite(array: np.ndarray) -> None:
    expected = ~np.isfinite(array.reshape(array.shape[0], -1)).all(axis=1)
    np.testing.assert_array_equal(_checks.non_finite_rows("x", array), expected)


def test_finite_policy_raise_and_drop() -> None:
    data = {"a": np.array([[1.0], [np.nan], [3.0]]), "b": np.array([0, 1, 2])}
    with pytest.raises(
        DataError, match=r"`x` holds NaN or Inf in 1 of 3 rows \(first at row 1\)"
    ):
        _checks.check_finite("x", data)
    assert _checks.check_finite("x", data, policy="drop").tolist() == [
        True,
        False,
        True,
    ]
    with pytest.raises(DataError, match=r"every one of the 1 rows of `x` holds NaN"):
        _checks.check_finite("x", np.array([np.inf]), policy="drop")
    with pytest.raises(
        ConfigError, match=r"`non_finite` must be one of 'raise', 'drop'"
    ):
        _checks.check_finite("x", data, policy="ignore")  # type: ignore[arg-type]


def test_labels_range_and_integrality() -> None:
    _checks.check_labels("y", np.array([0.0, 2.0]), classes=3)
    with pytest.raises(
        DataError,
        match=r"`y` must hold class labels in \[0, 3\), got values from -1 to 5",
    ):
        _checks.check_labels("y", np.array([-1, 0, 5]), classes=3)
    with pytest.raises(DataError, match=r"non-integer values"):
        _checks.check_labels("y", np.array([0.5]), classes=3)


def test_as_arrays_converts_nested_mappings_and_rejects_objects() -> None:
    converted = _checks.as_arrays("x", {"a": [1, 2], "b": {"c": (0.5, 1.5)}})
    assert converted["a"].dtype.kind == "i" and converted["b"]["c"].shape == (2,)
    with pytest.raises(ArgumentTypeError, match=r"`x` keys must be strings"):
        _checks.as_arrays("x", {1: [1]})
    with pytest.raises(ArgumentTypeError, match=r"`x\['a'\]` must be an array"):
        _checks.as_arrays("x", {"a": None})
    with pytest.raises(DataError, match=r"`y` could not be made into an array"):
        _checks.as_arrays("y", [[1], [2, 3]])
    with pytest.raises(ArgumentTypeError, match=r"`x` holds Python objects"):
        _checks.as_arrays("x", np.array([{}, {}]))


def test_take_rows_selects_rows_of_every_array() -> None:
    data = {"a": np.arange(4), "b": np.arange(8).reshape(4, 2)}
    taken = _checks.take_rows(data, np.array([True, False, False, True]))
    assert taken["a"].tolist() == [0, 3] and taken["b"].tolist() == [[0, 1], [6, 7]]
    assert _checks.take_rows(np.arange(5), [4, 0]).tolist() == [4, 0]


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (-1, ConfigError, r"`seed` must be in \[0, 2\*\*63\), got -1"),
        (2**63, ConfigError, r"`seed` must be in \[0, 2\*\*63\)"),
        (1.0, ArgumentTypeError, r"`seed` must be an int or None, got 1\.0"),
        (True, ArgumentTypeError, r"`seed` must be an int or None, got True"),
    ],
)
def test_one_seed_rule(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        _checks.check_seed(value)
    assert _checks.check_seed(np.int64(3)) == 3 and _checks.check_seed(None) is None


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        (0, ConfigError, r"`rescale` must be a non-zero, finite number, got 0\."),
        (float("nan"), ConfigError, r"got nan"),
        ("1/255", ArgumentTypeError, r"`rescale` must be a number such as 1 / 255"),
        (np.complex64(1), ArgumentTypeError, r"`rescale` must be a real number"),
        (True, ArgumentTypeError, r"`rescale` must be a number"),
    ],
)
def test_one_rescale_rule(value: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        _checks.check_rescale(value)
    assert _checks.check_rescale(np.float32(0.5)) == 0.5


def test_one_rule_is_shared_by_data_and_models() -> None:
    from tfstarter.models import _cnn, _dense, _linear, _logistic, _preprocessing

    for module in (_cnn, _dense, _linear, _logistic):
        assert module.check_seed is _checks.check_seed
    assert _preprocessing.check_rescale is _checks.check_rescale


def test_bool_rule() -> None:
    assert _checks.check_bool("shuffle", np.bool_(True)) is True
    with pytest.raises(ArgumentTypeError, match=r"`shuffle` must be True or False"):
        _checks.check_bool("shuffle", 1)


def test_real_rule_names_the_key() -> None:
    with pytest.raises(DataError, match=r"`x\['b'\]` holds complex numbers"):
        _checks.check_real("x", {"a": np.zeros(2), "b": np.zeros(2, complex)})
