"""Search order of the loaders: argument, environment, Keras cache, download."""

from __future__ import annotations

import gzip
import urllib.error
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.datasets._catalog import FASHION_MNIST, MNIST, DatasetSpec
from tfstarter.datasets._locate import keras_cache_dir
from tfstarter.errors import CorruptFileError, DatasetNotFoundError


def idx_bytes(array: np.ndarray, magic: int) -> bytes:
    header = magic.to_bytes(4, "big") + b"".join(
        int(d).to_bytes(4, "big") for d in array.shape
    )
    return header + array.astype(np.uint8).tobytes()


def write_tiny_idx(
    folder: Path, spec: DatasetSpec, n_train: int = 6, n_test: int = 4, fill: int = 0
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(fill)
    for images_file, labels_file, n in (
        (spec.train_images, spec.train_labels, n_train),
        (spec.test_images, spec.test_labels, n_test),
    ):
        images = np.full((n, 28, 28), fill, dtype=np.uint8)
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        (folder / images_file.name).write_bytes(gzip.compress(idx_bytes(images, 2051)))
        (folder / labels_file.name).write_bytes(gzip.compress(idx_bytes(labels, 2049)))


def test_explicit_data_dir_wins_over_environment(
    tmp_path: Path, isolated_keras_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny_idx(tmp_path / "arg" / "mnist", MNIST, fill=1)
    write_tiny_idx(tmp_path / "env" / "mnist", MNIST, fill=2)
    monkeypatch.setenv("TFSTARTER_DATA_DIR", str(tmp_path / "env"))
    (x_train, _), _ = tfs.datasets.mnist(
        data_dir=tmp_path / "arg", download=False, verify=False
    )
    assert int(x_train[0, 0, 0]) == 1
    (x_train, _), _ = tfs.datasets.mnist(download=False, verify=False)
    assert int(x_train[0, 0, 0]) == 2


def test_environment_wins_over_keras_cache(
    tmp_path: Path, isolated_keras_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny_idx(keras_cache_dir() / "fashion-mnist", FASHION_MNIST, fill=3)
    (x_train, _), _ = tfs.datasets.fashion_mnist(download=False, verify=False)
    assert int(x_train[0, 0, 0]) == 3
    write_tiny_idx(tmp_path / "env" / "fashion-mnist", FASHION_MNIST, fill=4)
    monkeypatch.setenv("TFSTARTER_DATA_DIR", str(tmp_path / "env"))
    (x_train, _), _ = tfs.datasets.fashion_mnist(download=False, verify=False)
    assert int(x_train[0, 0, 0]) == 4


def test_keras_npz_layout_in_cache_is_read(isolated_keras_home: Path) -> None:
    cache = keras_cache_dir()
    cache.mkdir(parents=True)
    x = np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28)
    y = np.array([1, 2, 3], dtype=np.uint8)
    np.savez(cache / "mnist.npz", x_train=x, y_train=y, x_test=x[:2], y_test=y[:2])
    (x_train, _), (_, y_test) = tfs.datasets.mnist(download=False, verify=False)
    np.testing.assert_array_equal(x_train, x)
    assert y_test.tolist() == [1, 2]


def test_idx_files_in_shared_cache_root_are_not_taken_for_fashion(
    isolated_keras_home: Path,
) -> None:
    # The IDX names are the same for both datasets, so the shared cache root is
    # searched for .npz files only.
    write_tiny_idx(keras_cache_dir(), MNIST)
    with pytest.raises(DatasetNotFoundError, match="fashion_mnist was not found"):
        tfs.datasets.fashion_mnist(download=False, verify=False)


def test_missing_offline_says_which_files_go_where(
    tmp_path: Path, isolated_keras_home: Path
) -> None:
    with pytest.raises(
        DatasetNotFoundError, match=r"train-images-idx3-ubyte\.gz"
    ) as info:
        tfs.datasets.mnist(data_dir=tmp_path / "nowhere", download=False, verify=False)
    message = str(info.value)
    assert str(tmp_path / "nowhere" / "mnist" / "t10k-labels-idx1-ubyte.gz") in message
    assert "TFSTARTER_DATA_DIR" in message
    assert "does not hold mnist" in message


def test_missing_without_data_dir_says_download_is_off(
    isolated_keras_home: Path,
) -> None:
    with pytest.raises(DatasetNotFoundError, match=r"download=False") as info:
        tfs.datasets.mnist(download=False)
    assert "t10k-labels-idx1-ubyte.gz" in str(info.value)


def test_failed_download_is_a_clear_not_found_error(
    tmp_path: Path, isolated_keras_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keras

    calls: list[dict[str, Any]] = []

    def offline(*args: Any, **kwargs: Any) -> str:
        calls.append(kwargs)
        raise urllib.error.URLError("network is unreachable")

    monkeypatch.setattr(keras.utils, "get_file", offline)
    with pytest.raises(
        DatasetNotFoundError, match=r"download failed \(URLError"
    ) as info:
        tfs.datasets.fashion_mnist(verify=False)
    assert "Put the original IDX files of fashion_mnist here" in str(info.value)
    assert calls and calls[0]["hash_algorithm"] == "md5"
    assert calls[0]["file_hash"] == FASHION_MNIST.train_images.md5


def test_download_fetches_with_checksum_into_keras_cache(
    isolated_keras_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keras

    def fake_get_file(**kwargs: Any) -> str:
        assert kwargs["origin"].endswith("mnist.npz")
        assert kwargs["hash_algorithm"] == "sha256"
        assert kwargs["file_hash"] == MNIST.npz_sha256
        target = Path(kwargs["cache_dir"]) / kwargs["cache_subdir"] / kwargs["fname"]
        target.parent.mkdir(parents=True, exist_ok=True)
        x = np.zeros((2, 28, 28), np.uint8)
        y = np.array([0, 9], np.uint8)
        np.savez(target, x_train=x, y_train=y, x_test=x, y_test=y)
        return str(target)

    monkeypatch.setattr(keras.utils, "get_file", fake_get_file)
    (_, y_train), _ = tfs.datasets.mnist(verify=False)
    assert y_train.tolist() == [0, 9]
    # The second call finds the cached file without downloading.
    monkeypatch.setattr(keras.utils, "get_file", None)
    (_, y_train), _ = tfs.datasets.mnist(verify=False)
    assert y_train.tolist() == [0, 9]


def test_partial_dataset_names_missing_files(
    tmp_path: Path, isolated_keras_home: Path
) -> None:
    write_tiny_idx(tmp_path / "mnist", MNIST)
    (tmp_path / "mnist" / MNIST.test_labels.name).unlink()
    with pytest.raises(
        DatasetNotFoundError, match=r"missing \['t10k-labels-idx1-ubyte.gz'\]"
    ):
        tfs.datasets.mnist(data_dir=tmp_path, download=False, verify=False)


def test_uncompressed_idx_files_are_accepted(
    tmp_path: Path, isolated_keras_home: Path
) -> None:
    write_tiny_idx(tmp_path / "mnist", MNIST, fill=5)
    for path in (tmp_path / "mnist").iterdir():
        path.with_suffix("").write_bytes(gzip.decompress(path.read_bytes()))
        path.unlink()
    (x_train, _), _ = tfs.datasets.mnist(
        data_dir=tmp_path, download=False, verify=False
    )
    assert int(x_train[0, 0, 0]) == 5


def test_corrupt_file_in_higher_priority_folder_is_reported_not_skipped(
    tmp_path: Path, isolated_keras_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_tiny_idx(tmp_path / "arg" / "mnist", MNIST)
    (tmp_path / "arg" / "mnist" / MNIST.train_labels.name).write_bytes(b"junk")
    write_tiny_idx(tmp_path / "env" / "mnist", MNIST)
    monkeypatch.setenv("TFSTARTER_DATA_DIR", str(tmp_path / "env"))
    with pytest.raises(CorruptFileError, match=r"train-labels-idx1-ubyte\.gz"):
        tfs.datasets.mnist(data_dir=tmp_path / "arg", download=False, verify=False)
