"""Broken dataset files give an error naming the file, never a reshape traceback."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.datasets._catalog import MNIST
from tfstarter.errors import CorruptFileError

pytestmark = pytest.mark.mnist


@pytest.fixture
def mnist_copy(data_dir: Path, tmp_path: Path, isolated_keras_home: Path) -> Path:
    target = tmp_path / "mnist"
    shutil.copytree(data_dir / "mnist", target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def test_truncated_gzip_names_the_file(mnist_copy: Path) -> None:
    path = mnist_copy / MNIST.train_images.name
    path.write_bytes(path.read_bytes()[:100_000])
    with pytest.raises(
        CorruptFileError, match=r"train-images-idx3-ubyte\.gz is not a complete gzip"
    ):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False)


def test_valid_gzip_of_truncated_content_is_reported_as_truncated(
    mnist_copy: Path,
) -> None:
    path = mnist_copy / MNIST.test_images.name
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    with pytest.raises(
        CorruptFileError, match=r"t10k-images-idx3-ubyte\.gz is truncated"
    ):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False)


def test_trailing_garbage_is_reported(mnist_copy: Path) -> None:
    path = mnist_copy / MNIST.test_labels.name
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes()) + b"\x00" * 7))
    with pytest.raises(CorruptFileError, match="longer than its header says"):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False)


def test_swapped_files_fail_on_magic_number(mnist_copy: Path) -> None:
    images = mnist_copy / MNIST.test_images.name
    labels = mnist_copy / MNIST.test_labels.name
    images_bytes, labels_bytes = images.read_bytes(), labels.read_bytes()
    images.write_bytes(labels_bytes)
    labels.write_bytes(images_bytes)
    with pytest.raises(CorruptFileError, match=r"IDX magic number 2049, expected 2051"):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False)


def test_not_gzip_at_all(mnist_copy: Path) -> None:
    (mnist_copy / MNIST.train_labels.name).write_bytes(b"<html>404 Not Found</html>")
    with pytest.raises(CorruptFileError, match=r"train-labels-idx1-ubyte\.gz"):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False)


def test_empty_file(mnist_copy: Path) -> None:
    (mnist_copy / MNIST.test_labels.name).write_bytes(gzip.compress(b""))
    with pytest.raises(CorruptFileError, match="too short to be an IDX file"):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False)


def test_header_cut_short(mnist_copy: Path) -> None:
    (mnist_copy / MNIST.test_images.name).write_bytes(
        gzip.compress((2051).to_bytes(4, "big") + b"\x00\x00")
    )
    with pytest.raises(CorruptFileError, match="ends inside its IDX header"):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False)


def test_wrong_element_type(mnist_copy: Path) -> None:
    header = bytes([0, 0, 0x0D, 1]) + (1).to_bytes(4, "big")  # float32 labels
    (mnist_copy / MNIST.test_labels.name).write_bytes(gzip.compress(header + b"\0" * 4))
    with pytest.raises(CorruptFileError, match="stores type code 0x0d"):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False)


def test_labels_that_do_not_match_images(mnist_copy: Path) -> None:
    labels = np.zeros(9999, dtype=np.uint8)
    header = (2049).to_bytes(4, "big") + (9999).to_bytes(4, "big")
    (mnist_copy / MNIST.test_labels.name).write_bytes(
        gzip.compress(header + labels.tobytes())
    )
    with pytest.raises(
        CorruptFileError, match=r"10000 images but labels of shape \(9999,\)"
    ):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False, verify=False)


def test_label_values_out_of_range(mnist_copy: Path) -> None:
    labels = np.full(10000, 12, dtype=np.uint8)
    header = (2049).to_bytes(4, "big") + (10000).to_bytes(4, "big")
    (mnist_copy / MNIST.test_labels.name).write_bytes(
        gzip.compress(header + labels.tobytes())
    )
    with pytest.raises(
        CorruptFileError, match=r"labels range from 12 to 12, expected 0\.\.9"
    ):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False, verify=False)


def test_images_of_wrong_size(mnist_copy: Path) -> None:
    images = np.zeros((10000, 14, 14), dtype=np.uint8)
    header = (2051).to_bytes(4, "big") + b"".join(
        d.to_bytes(4, "big") for d in images.shape
    )
    (mnist_copy / MNIST.test_images.name).write_bytes(
        gzip.compress(header + images.tobytes())
    )
    with pytest.raises(CorruptFileError, match=r"images have shape \(10000, 14, 14\)"):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False, verify=False)


def test_corrupt_npz(tmp_path: Path, isolated_keras_home: Path) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    (folder / "mnist.npz").write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(CorruptFileError, match=r"mnist\.npz is not a readable \.npz"):
        tfs.datasets.mnist(data_dir=tmp_path, download=False)


def test_npz_missing_arrays(tmp_path: Path, isolated_keras_home: Path) -> None:
    folder = tmp_path / "mnist"
    folder.mkdir()
    np.savez(folder / "mnist.npz", x_train=np.zeros((1, 28, 28), np.uint8))
    with pytest.raises(
        CorruptFileError, match=r"lacks the arrays \['y_train', 'x_test', 'y_test'\]"
    ):
        tfs.datasets.mnist(data_dir=tmp_path, download=False)


def test_labels_with_flipped_values_fail_the_checksum(mnist_copy: Path) -> None:
    path = mnist_copy / MNIST.test_labels.name
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10  # still a valid label, but not the published one
    path.write_bytes(gzip.compress(bytes(raw)))
    with pytest.raises(
        CorruptFileError,
        match=r"t10k-labels-idx1-ubyte\.gz is not mnist's test labels: it matches "
        r"no published file.*verify=False",
    ):
        tfs.datasets.mnist(data_dir=mnist_copy, download=False)


def test_mnist_folder_is_not_served_as_fashion_mnist(mnist_copy: Path) -> None:
    with pytest.raises(
        CorruptFileError,
        match=r"train-images-idx3-ubyte\.gz is not fashion_mnist's train images: "
        r"it holds mnist's train images",
    ):
        tfs.datasets.fashion_mnist(data_dir=mnist_copy, download=False)


def test_fashion_npz_arrays_are_checked_too(
    data_dir: Path, tmp_path: Path, isolated_keras_home: Path
) -> None:
    (x_train, y_train), (x_test, y_test) = tfs.datasets.fashion_mnist(
        data_dir=data_dir, download=False
    )
    folder = tmp_path / "mnist"
    folder.mkdir()
    np.savez(
        folder / "mnist.npz",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
    )
    with pytest.raises(
        CorruptFileError,
        match=r"mnist\.npz \[x_train\] is not mnist's train images: "
        r"it holds fashion_mnist's train images",
    ):
        tfs.datasets.mnist(data_dir=tmp_path, download=False)
