"""The data sources of a run: built-in, synthetic, CSV, images, TFRecord, npz."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.cli._data import load_data, schema_from_json, schema_to_json
from tfstarter.cli._sections import DataConfig
from tfstarter.errors import ConfigError, DataError, DatasetNotFoundError


def test_limit_and_splits() -> None:
    config = DataConfig(
        source="synthetic_classification",
        samples=200,
        classes=3,
        limit=50,
        test_limit=10,
    )
    data = load_data(config, seed=0, validation_split=0.2)
    assert data.x_val is not None
    assert (len(data.x_train), len(data.x_val), len(data.x_test)) == (40, 10, 10)
    assert data.task == "classification" and data.classes == 3
    assert data.input_shape == (4,)


def test_no_validation_split() -> None:
    config = DataConfig(source="synthetic_regression", samples=100)
    data = load_data(config, seed=0, validation_split=0.0)
    assert data.x_val is None and data.y_val is None
    assert (len(data.x_train), len(data.x_test)) == (80, 20)
    assert data.task == "regression" and data.classes is None


def test_the_same_seed_gives_the_same_split() -> None:
    config = DataConfig(source="synthetic_regression", samples=100)
    first = load_data(config, seed=4, validation_split=0.1)
    second = load_data(config, seed=4, validation_split=0.1)
    np.testing.assert_array_equal(first.x_train, second.x_train)
    np.testing.assert_array_equal(first.x_test, second.x_test)


def test_csv_with_a_test_file_and_text_labels(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i % 3},{'abc'[i % 3]}\n" for i in range(30))
    (tmp_path / "train.csv").write_text("x,z,kind\n" + rows)
    (tmp_path / "test.csv").write_text("x,z,kind\n" + rows[:60])
    config = DataConfig(
        source="csv",
        path=str(tmp_path / "train.csv"),
        test_path=str(tmp_path / "test.csv"),
        label="kind",
    )
    data = load_data(config, seed=0, validation_split=0.2)
    assert data.class_names == ("a", "b", "c")
    assert data.task == "classification" and data.classes == 3
    assert data.x_val is not None
    assert len(data.x_train) + len(data.x_val) == 30
    assert data.csv_schema is not None
    assert schema_from_json(schema_to_json(data.csv_schema)) == data.csv_schema


def test_csv_needs_a_label(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,2\n")
    with pytest.raises(
        ConfigError, match=r"`data.label` is needed for data.source='csv'"
    ):
        load_data(
            DataConfig(source="csv", path=str(tmp_path / "a.csv")),
            seed=0,
            validation_split=0.1,
        )


def test_a_missing_path(tmp_path: Path) -> None:
    with pytest.raises(
        DatasetNotFoundError, match=r"`data.path` is .*nope.csv.*does not exist"
    ):
        load_data(
            DataConfig(source="csv", path=str(tmp_path / "nope.csv"), label="y"),
            seed=0,
            validation_split=0.1,
        )
    with pytest.raises(
        ConfigError, match=r"`data.path` is needed for data.source='npz'"
    ):
        load_data(DataConfig(source="npz"), seed=0, validation_split=0.1)


def test_a_path_for_a_source_that_reads_none() -> None:
    with pytest.raises(ConfigError, match=r"data.source='mnist' reads no file"):
        load_data(
            DataConfig(source="mnist", path="x.csv"), seed=0, validation_split=0.1
        )


def test_npz_with_and_without_a_test_set(tmp_path: Path) -> None:
    x = np.arange(40, dtype="float32").reshape(20, 2)
    y = np.arange(20) % 2
    np.savez(tmp_path / "split.npz", x_train=x, y_train=y, x_test=x[:5], y_test=y[:5])
    np.savez(tmp_path / "whole.npz", x=x, y=y)
    np.savez(tmp_path / "bad.npz", features=x)
    split = load_data(
        DataConfig(source="npz", path=str(tmp_path / "split.npz")),
        seed=0,
        validation_split=0.0,
    )
    assert len(split.x_test) == 5 and len(split.x_train) == 20
    whole = load_data(
        DataConfig(source="npz", path=str(tmp_path / "whole.npz"), test_split=0.25),
        seed=0,
        validation_split=0.0,
    )
    assert len(whole.x_test) == 5 and len(whole.x_train) == 15
    with pytest.raises(
        DataError, match=r"holds the arrays \['features'\]; an npz source"
    ):
        load_data(
            DataConfig(source="npz", path=str(tmp_path / "bad.npz")),
            seed=0,
            validation_split=0.0,
        )


def test_tfrecord(tmp_path: Path) -> None:
    x = np.arange(60, dtype="float32").reshape(30, 2)
    y = (np.arange(30) % 2).astype("int64")
    tfs.data.write_tfrecord(tmp_path / "records", x, y)
    data = load_data(
        DataConfig(source="tfrecord", path=str(tmp_path / "records")),
        seed=0,
        validation_split=0.0,
    )
    assert len(data.x_train) + len(data.x_test) == 30
    assert data.task == "classification"


def test_images_with_a_test_folder(
    tmp_path: Path, images_writer: Callable[..., Path]
) -> None:
    train = images_writer(tmp_path / "train", per_class=4)
    test = images_writer(tmp_path / "test", per_class=2, seed=1)
    data = load_data(
        DataConfig(
            source="images",
            path=str(train),
            test_path=str(test),
            color_mode="grayscale",
        ),
        seed=0,
        validation_split=0.0,
    )
    assert data.class_names == ("dark", "left", "top")
    assert data.x_train.shape == (12, 8, 8, 1) and data.x_test.shape == (6, 8, 8, 1)


def test_task_can_be_forced() -> None:
    config = DataConfig(
        source="synthetic_classification", samples=50, task="regression"
    )
    assert load_data(config, seed=0, validation_split=0.0).task == "regression"
