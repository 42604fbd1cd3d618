"""The loaders on the real MNIST and Fashion-MNIST files."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.datasets._catalog import FASHION_MNIST, MNIST, DatasetSpec
from tfstarter.errors import DatasetNotFoundError

pytestmark = pytest.mark.mnist

MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_mnist_from_env_has_documented_shapes_and_counts(real_data_env: Path) -> None:
    (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist(download=False)
    assert x_train.shape == (60000, 28, 28)
    assert x_test.shape == (10000, 28, 28)
    assert x_train.dtype == np.uint8 and x_test.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert np.issubdtype(y_train.dtype, np.integer)
    assert np.bincount(y_train, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert int(x_train.max()) == 255 and int(x_train.min()) == 0
    assert y_test[:5].tolist() == [7, 2, 1, 0, 4]


def test_fashion_mnist_is_balanced(real_data_env: Path) -> None:
    (x_train, y_train), (x_test, y_test) = tfs.datasets.fashion_mnist(download=False)
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert np.bincount(y_train, minlength=10).tolist() == [6000] * 10
    assert np.bincount(y_test, minlength=10).tolist() == [1000] * 10
    assert len(tfs.datasets.FASHION_MNIST_CLASSES) == 10
    assert tfs.datasets.FASHION_MNIST_CLASSES[int(y_train[0])] == "Ankle boot"


def test_mnist_and_fashion_differ(real_data_env: Path) -> None:
    digits = tfs.datasets.mnist(download=False)[1][0]
    clothes = tfs.datasets.fashion_mnist(download=False)[1][0]
    assert not np.array_equal(digits[:10], clothes[:10])


def test_data_dir_argument_accepts_root_or_dataset_folder(
    data_dir: Path, isolated_keras_home: Path
) -> None:
    from_root = tfs.datasets.mnist(data_dir=data_dir, download=False)
    from_folder = tfs.datasets.mnist(data_dir=data_dir / "mnist", download=False)
    np.testing.assert_array_equal(from_root[1][0], from_folder[1][0])


def test_returned_arrays_are_independent_copies(real_data_env: Path) -> None:
    (x_train, _), _ = tfs.datasets.mnist(download=False)
    x_train[0, 0, 0] = 77
    (again, _), _ = tfs.datasets.mnist(download=False)
    assert again[0, 0, 0] == 0


@pytest.mark.parametrize("spec", [MNIST, FASHION_MNIST], ids=lambda s: s.name)
def test_catalog_checksums_match_the_published_files(
    data_dir: Path, spec: DatasetSpec
) -> None:
    for idx_file in spec.idx_files:
        path = data_dir / spec.folder / idx_file.name
        assert hashlib.md5(path.read_bytes()).hexdigest() == idx_file.md5
        raw = gzip.decompress(path.read_bytes())
        header = 16 if "images" in idx_file.name else 8
        assert hashlib.sha256(raw[header:]).hexdigest() == idx_file.sha256


def test_explicit_data_dir_without_the_dataset_does_not_fall_back(
    real_data_env: Path, tmp_path: Path
) -> None:
    with pytest.raises(
        DatasetNotFoundError, match=r"`data_dir` '.*nonexistent' does not hold mnist"
    ):
        tfs.datasets.mnist(data_dir=tmp_path / "nonexistent")
