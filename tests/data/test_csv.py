"""`from_csv`: exact round trips, schemas reused across files, policies, errors."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tfstarter as tfs
from tfstarter.errors import (
    ArgumentTypeError,
    ConfigError,
    CorruptFileError,
    DataError,
    DatasetNotFoundError,
)


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def collect(ds: tf.data.Dataset) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = zip(*ds.as_numpy_iterator(), strict=True)
    return np.concatenate(xs), np.concatenate(ys)


finite_float32 = hnp.from_dtype(
    np.dtype(np.float32), allow_nan=False, allow_infinity=False, allow_subnormal=False
)


@pytest.mark.slow
@settings(max_examples=10)
@given(
    x=hnp.arrays(
        np.float32,
        st.tuples(st.integers(1, 40), st.integers(1, 4)),
        elements=finite_float32,
    ),
    batch_size=st.integers(1, 16),
)
def test_round_trip_of_float32_features_is_exact(
    tmp_path_factory: pytest.TempPathFactory, x: np.ndarray, batch_size: int
) -> None:
    labels = np.arange(len(x)) % 3
    header = [f"f{i}" for i in range(x.shape[1])] + ["label"]
    rows = [[*map(str, row), int(label)] for row, label in zip(x, labels, strict=True)]
    file = write_csv(tmp_path_factory.mktemp("csv") / "data.csv", header, rows)
    ds, schema = tfs.data.from_csv(file, label="label", batch_size=batch_size)
    features, y = collect(ds)
    assert features.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(features, x)  # bit-exact, in file order
    np.testing.assert_array_equal(y, labels)
    assert schema.numeric == tuple(header[:-1]) and schema.label_dtype == "int64"
    assert int(ds.cardinality()) == -(-len(x) // batch_size)


def test_categorical_columns_use_the_training_vocabulary(tmp_path: Path) -> None:
    train = write_csv(
        tmp_path / "train.csv",
        ["size", "color", "price"],
        [[1, "red", 1.5], [2, "blue", 2.5], [3, " red ", 3.5], [4, "green", 4.5]],
    )
    ds, schema = tfs.data.from_csv(train, label="price", batch_size=4)
    assert schema.categorical == {"color": ("blue", "green", "red")}
    assert schema.feature_names == ("size", "color=blue", "color=green", "color=red")
    features, prices = collect(ds)
    np.testing.assert_array_equal(features[:, 1:].argmax(axis=1), [2, 0, 2, 1])
    assert prices.dtype == np.float32 and prices.tolist() == [1.5, 2.5, 3.5, 4.5]
    assert schema.mean["size"] == 2.5

    test = write_csv(
        tmp_path / "test.csv",
        ["price", "color", "size"],  # other column order, unseen category
        [[9.0, "purple", 7], [8.0, "blue", 8]],
    )
    # Nothing is learned from this file, so its category count does not matter.
    ds, same = tfs.data.from_csv(
        test, label="price", schema=schema, batch_size=2, max_categories=1
    )
    assert same is schema
    features, _ = collect(ds)
    assert features.tolist() == [[7.0, 0.0, 0.0, 0.0], [8.0, 1.0, 0.0, 0.0]]


def test_dict_layout_text_labels_and_forced_categorical(tmp_path: Path) -> None:
    file = write_csv(
        tmp_path / "d.csv",
        ["zip", "rooms", "kind"],
        [[10115, 2, "flat"], [80331, 5, "house"], [10115, 3, "flat"]],
    )
    ds, schema = tfs.data.from_csv(
        file, label="kind", categorical=["zip"], layout="dict", batch_size=3
    )
    features, labels = next(iter(ds))
    assert schema.label_vocabulary == ("flat", "house")
    assert labels.numpy().tolist() == [0, 1, 0]
    assert features["zip"].dtype == tf.int64
    assert features["zip"].numpy().tolist() == [0, 1, 0]
    assert features["rooms"].numpy().tolist() == [2.0, 5.0, 3.0]


def test_several_label_columns_and_features_only(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "m.csv", ["a", "y1", "y2"], [[1, 2, 3], [4, 5, 6]])
    ds, schema = tfs.data.from_csv(file, label=["y1", "y2"], batch_size=2)
    _, labels = next(iter(ds))
    assert labels.dtype == tf.float32 and labels.numpy().tolist() == [[2, 3], [5, 6]]
    ds, _ = tfs.data.from_csv(file, label=None, schema=schema, batch_size=2)
    assert next(iter(ds)).numpy().tolist() == [[1.0], [4.0]]


def test_normalize_uses_training_statistics(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "t.csv", ["a", "y"], [[0, 0], [2, 1], [4, 0]])
    ds, schema = tfs.data.from_csv(train, label="y", normalize=True, batch_size=3)
    features, _ = collect(ds)
    std = np.std([0.0, 2.0, 4.0])
    np.testing.assert_allclose(features[:, 0], [-2 / std, 0.0, 2 / std], rtol=1e-6)
    val = write_csv(tmp_path / "v.csv", ["a", "y"], [[2, 1]])
    ds, _ = tfs.data.from_csv(val, label="y", schema=schema, normalize=True)
    assert collect(ds)[0].tolist() == [[0.0]]


def test_missing_values_policy(tmp_path: Path) -> None:
    file = write_csv(
        tmp_path / "gaps.csv",
        ["a", "color", "y"],
        [[1, "red", 0], ["", "blue", 1], [3, "NA", 0], [5, "red", 1], [7, "red", ""]],
    )
    with pytest.raises(
        DataError,
        match=r"label column 'y' of .* has 1 missing values \(first on line 6\); "
        r"labels are never filled",
    ):
        tfs.data.from_csv(file, label="y")
    ds, schema = tfs.data.from_csv(file, label="y", missing="drop", batch_size=2)
    features, labels = collect(ds)
    assert int(ds.cardinality()) == 1  # 2 complete rows -> 1 batch of 2
    assert features[:, 0].tolist() == [1.0, 5.0] and labels.tolist() == [0, 1]

    features_only = write_csv(
        tmp_path / "f.csv", ["a", "color"], [[1, "red"], ["", "blue"], [3, "null"]]
    )
    with pytest.raises(
        DataError,
        match=r"column 'a' of .* has 1 missing values \(first on line 3\)\. Pass "
        r"missing='drop'",
    ):
        tfs.data.from_csv(features_only, label=None)
    ds, schema = tfs.data.from_csv(features_only, label=None, missing="fill")
    (batch,) = list(ds.as_numpy_iterator())
    assert schema.mean["a"] == 2.0
    assert batch.tolist() == [[1.0, 0.0, 1.0], [2.0, 1.0, 0.0], [3.0, 0.0, 0.0]]


def test_infinite_values_follow_non_finite(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "inf.csv", ["a", "y"], [[1, 0], ["inf", 1], [2, 0]])
    with pytest.raises(
        DataError,
        match=r"column .a. of .* has 1 infinite or NaN values \(first on line 3",
    ):
        tfs.data.from_csv(file, label="y")
    ds, _ = tfs.data.from_csv(file, label="y", non_finite="drop", batch_size=4)
    assert collect(ds)[0][:, 0].tolist() == [1.0, 2.0]


@pytest.mark.slow
def test_text_found_late_in_a_numeric_looking_column(tmp_path: Path) -> None:
    rows = [[i, i % 2] for i in range(1500)] + [["other", 1]]
    file = write_csv(tmp_path / "late.csv", ["code", "y"], rows)
    with pytest.raises(DataError, match=r"column 'code' .* more than 1000 distinct"):
        tfs.data.from_csv(file, label="y")
    _, schema = tfs.data.from_csv(file, label="y", max_categories=2000)
    assert "code" in schema.categorical and "other" in schema.categorical["code"]
    assert len(schema.categorical["code"]) == 1501


def test_shuffle_is_seeded_and_reshuffles_each_epoch(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "s.csv", ["a", "y"], [[i, i] for i in range(50)])
    ds, _ = tfs.data.from_csv(file, label="y", shuffle=True, seed=4, batch_size=8)
    again, _ = tfs.data.from_csv(file, label="y", shuffle=True, seed=4, batch_size=8)
    first, second = collect(ds)[1].tolist(), collect(ds)[1].tolist()
    assert sorted(first) == list(range(50)) and first != second
    assert [first, second] == [collect(again)[1].tolist(), collect(again)[1].tolist()]
    other, _ = tfs.data.from_csv(file, label="y", shuffle=True, seed=5, batch_size=8)
    assert collect(other)[1].tolist() != first


def test_cache_keeps_samples_and_reshuffles(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "c.csv", ["a", "y"], [[i, i] for i in range(20)])
    ds, _ = tfs.data.from_csv(file, label="y", shuffle=True, seed=0, cache=True)
    first, second = collect(ds)[1].tolist(), collect(ds)[1].tolist()
    assert sorted(first) == sorted(second) == list(range(20)) and first != second


def test_blank_lines_and_quoted_fields(tmp_path: Path) -> None:
    file = tmp_path / "q.csv"
    file.write_text('name,a,y\n"Smith, J",1,0\n\n"Doe, A",2,1\n\n', encoding="utf-8")
    ds, schema = tfs.data.from_csv(file, label="y", batch_size=4)
    assert schema.categorical["name"] == ("Doe, A", "Smith, J")
    features, labels = collect(ds)
    assert labels.tolist() == [0, 1] and int(ds.cardinality()) == 1
    assert features[:, -1].tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    ("text", "kwargs", "error", "match"),
    [
        (
            "a,b\n1,2\n",
            {"label": "price"},
            DataError,
            r"label column 'price' is not in .*; the columns found are \['a', 'b'\]",
        ),
        (
            "a,b\n1,2\n",
            {"label": "b", "columns": ["c"]},
            DataError,
            r"column 'c' is not in .*; the columns found are \['a', 'b'\]",
        ),
        ("a,b\n1,2\n3\n", {"label": "b"}, DataError, r"line 3 of .* has 1 fields"),
        ("", {"label": "b"}, DataError, r"has no header line"),
        ("a,a\n1,2\n", {"label": None}, DataError, r"names 'a' more than once"),
        ("a,b\n", {"label": "b"}, DataError, r"holds no usable rows \(only a header\)"),
        ("b\n1\n", {"label": "b"}, DataError, r"has no feature columns besides"),
        (
            "a,b\nx,1\ny,2\nz,3\n",
            {"label": "b", "max_categories": 2},
            DataError,
            r"column 'a' of .* holds more than 2 distinct values",
        ),
        (
            "a,b,c\n1,x,2\n",
            {"label": ["b", "c"]},
            DataError,
            r"label column 'b' of .* holds text \(line 2\), but several label",
        ),
        ("a,b\n1,2\n", {"label": "b", "missing": "skip"}, ConfigError, r"`missing`"),
        ("a,b\n1,2\n", {"label": "b", "layout": "wide"}, ConfigError, r"`layout`"),
        ("a,b\n1,2\n", {"label": "b", "delimiter": ",,"}, ConfigError, r"`delimiter`"),
        ("a,b\n1,2\n", {"label": []}, ConfigError, r"`label` is an empty list"),
        ("a,b\n1,2\n", {"label": 3}, ArgumentTypeError, r"`label` must be a list"),
        (
            "a,b\n1,2\n",
            {"label": "b", "categorical": ["b"]},
            ConfigError,
            r"`categorical` names 'b', which is not a feature column",
        ),
        (
            "a,b\n1,2\n",
            {"label": "b", "columns": ["a", "b"]},
            ConfigError,
            r"column 'b' is both a label and in `columns`",
        ),
    ],
)
def test_errors_are_raised_when_the_pipeline_is_built(
    tmp_path: Path,
    text: str,
    kwargs: dict[str, object],
    error: type[Exception],
    match: str,
) -> None:
    file = tmp_path / "bad.csv"
    file.write_text(text, encoding="utf-8")
    with pytest.raises(error, match=match):
        tfs.data.from_csv(file, **kwargs)  # type: ignore[arg-type]


def test_schema_errors(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "t.csv", ["a", "y"], [[1, "cat"], [2, "dog"]])
    _, schema = tfs.data.from_csv(train, label="y")
    unknown = write_csv(tmp_path / "u.csv", ["a", "y"], [[1, "cow"]])
    with pytest.raises(DataError, match=r"holds classes the training file does not"):
        tfs.data.from_csv(unknown, label="y", schema=schema)
    text = write_csv(tmp_path / "x.csv", ["a", "y"], [["one", "cat"]])
    with pytest.raises(DataError, match=r"column 'a' of .* holds text on line 2"):
        tfs.data.from_csv(text, label="y", schema=schema)
    with pytest.raises(ConfigError, match=r"`label` is \['a'\] but the schema"):
        tfs.data.from_csv(train, label="a", schema=schema)
    with pytest.raises(ConfigError, match=r"cannot be combined with `schema`"):
        tfs.data.from_csv(train, label="y", schema=schema, columns=["a"])
    with pytest.raises(ArgumentTypeError, match=r"`schema` must be the CsvSchema"):
        tfs.data.from_csv(train, label="y", schema={"a": 1})  # type: ignore[arg-type]
    ints = write_csv(tmp_path / "i.csv", ["a", "y"], [[1, 1], [2, 0]])
    _, int_schema = tfs.data.from_csv(ints, label="y")
    floats = write_csv(tmp_path / "f.csv", ["a", "y"], [[1, 0.5]])
    with pytest.raises(DataError, match=r"holds fractional values"):
        tfs.data.from_csv(floats, label="y", schema=int_schema)
    with pytest.raises(DatasetNotFoundError, match=r"is not a file"):
        tfs.data.from_csv(tmp_path / "nope.csv", label="y")


def test_schema_reports_an_integer_label_the_training_file_never_had(
    tmp_path: Path,
) -> None:
    train = write_csv(tmp_path / "t.csv", ["a", "y"], [[1, 0], [2, 1], [3, 2], [4, 0]])
    _, schema = tfs.data.from_csv(train, label="y")
    assert schema.label_classes == 3
    val = write_csv(tmp_path / "v.csv", ["a", "y"], [[1, 0], [2, 7], [3, 9]])
    with pytest.raises(
        DataError,
        match=r"label column 'y' of '.*v\.csv' holds labels the training file never "
        r"had: \[7, 9\] \(first on line 3\); the training labels are the classes "
        r"0\.\.2",
    ):
        tfs.data.from_csv(val, label="y", schema=schema)
    same = write_csv(tmp_path / "s.csv", ["a", "y"], [[1, 2], [2, 0]])
    tfs.data.from_csv(same, label="y", schema=schema)  # a subset is fine


def test_integer_targets_that_are_not_classes_are_not_checked(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "t.csv", ["a", "age"], [[1, 18], [2, 33], [3, 40]])
    _, schema = tfs.data.from_csv(train, label="age")
    assert schema.label_classes is None
    val = write_csv(tmp_path / "v.csv", ["a", "age"], [[1, 93]])
    tfs.data.from_csv(val, label="age", schema=schema)


def test_label_classes_can_be_switched_off(tmp_path: Path) -> None:
    import dataclasses

    train = write_csv(tmp_path / "t.csv", ["a", "n"], [[1, 0], [2, 1]])
    _, schema = tfs.data.from_csv(train, label="n")
    val = write_csv(tmp_path / "v.csv", ["a", "n"], [[1, 5]])
    with pytest.raises(DataError, match=r"label_classes=None"):
        tfs.data.from_csv(val, label="n", schema=schema)
    relaxed = dataclasses.replace(schema, label_classes=None)
    _, again = tfs.data.from_csv(val, label="n", schema=relaxed)
    assert again is relaxed


def test_many_distinct_labels_are_not_a_category_error(tmp_path: Path) -> None:
    rows = [[i, i * 0.5] for i in range(30)]
    train = write_csv(tmp_path / "t.csv", ["a", "y"], rows)
    _, schema = tfs.data.from_csv(train, label="y", max_categories=5)
    assert schema.label_dtype == "float32" and schema.label_classes is None


@pytest.mark.parametrize(
    ("content", "line", "column"),
    [
        (b"name,price\n" + b"x,1\n" * 5000 + b"caf\xe9,2\n", 5002, 4),
        (b"na\xefme,price\nx,1\n", 1, 3),
        (b"name,price\nx,1\ny,1\xe9\n", 3, 4),
        (b"a,price\n" + b"1,1\n" * 2000 + b"\xff,2\n", 2002, 1),
    ],
    ids=["text-column", "header", "label", "numeric-column-late"],
)
def test_non_utf8_bytes_name_the_file_and_line(
    tmp_path: Path, content: bytes, line: int, column: int
) -> None:
    file = tmp_path / "latin1.csv"
    file.write_bytes(content)
    with pytest.raises(
        CorruptFileError,
        match=rf"line {line} of '.*latin1\.csv' is not valid UTF-8 \(byte 0x.. at "
        rf"column {column}\)\. Save the file as UTF-8",
    ):
        tfs.data.from_csv(file, label="price")
