"""Real and synthetic datasets, offline first.

Real datasets are read from the ``data_dir=`` argument when it is given
(and from nowhere else: a folder that does not hold the dataset is an
error). Without it they are read from, in order: the ``$TFSTARTER_DATA_DIR``
folder (holding ``mnist/`` and ``fashion-mnist/``), the Keras cache
(``~/.keras/datasets``); if they are nowhere they are downloaded with
``keras.utils.get_file`` and a checksum check. Whatever the source, each
array is checked against the published data's checksum, so one dataset
cannot be served as another.

Examples:
    >>> import tfstarter as tfs
    >>> (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist()  # doctest: +SKIP
    >>> x_train.shape, x_train.dtype  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
"""

from __future__ import annotations

import os

from tfstarter._checks import check_bool
from tfstarter.datasets._catalog import FASHION_MNIST, MNIST
from tfstarter.datasets._images import Splits, load_image_dataset
from tfstarter.datasets._locate import DATA_DIR_ENV
from tfstarter.datasets._synthetic import (
    SyntheticClassification,
    SyntheticRegression,
    synthetic_classification,
    synthetic_regression,
)

__all__ = [
    "DATA_DIR_ENV",
    "FASHION_MNIST_CLASSES",
    "SyntheticClassification",
    "SyntheticRegression",
    "fashion_mnist",
    "mnist",
    "synthetic_classification",
    "synthetic_regression",
]

FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Class names of Fashion-MNIST, indexed by label."""


def mnist(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    verify: bool = True,
) -> Splits:
    """Load MNIST handwritten digits.

    Args:
        data_dir: a folder holding ``mnist/`` (or the ``mnist`` folder itself)
            with the four original IDX ``.gz`` files or ``mnist.npz``. When
            given, nothing else is searched or downloaded.
        download: download into the Keras cache when no local copy is found.
        verify: check each array against the published checksums (a wrong
            or modified file is an error). Pass False only to load files of
            your own in the MNIST layout.

    Returns:
        ``(x_train, y_train), (x_test, y_test)``: uint8 images of shape
        ``(N, 28, 28)`` with values 0..255 and uint8 labels 0..9
        (60,000 training and 10,000 test samples).

    Raises:
        DatasetNotFoundError: if ``data_dir`` does not hold the dataset, or no
            copy is found and the download is off or fails; the message lists
            the files to put where.
        CorruptFileError: if a file is truncated, corrupt, of the wrong kind,
            or not the published file.

    Examples:
        >>> (x_train, y_train), (x_test, y_test) = mnist()  # doctest: +SKIP
        >>> x_test.shape, int(y_test[0])  # doctest: +SKIP
        ((10000, 28, 28), 7)
    """
    return load_image_dataset(
        MNIST, data_dir=data_dir, download=download, verify=check_bool("verify", verify)
    )


def fashion_mnist(
    *,
    data_dir: str | os.PathLike[str] | None = None,
    download: bool = True,
    verify: bool = True,
) -> Splits:
    """Load Fashion-MNIST (Zalando's article images, 10 classes).

    Args:
        data_dir: a folder holding ``fashion-mnist/`` (or that folder itself)
            with the four original IDX ``.gz`` files. When given, nothing
            else is searched or downloaded.
        download: download into the Keras cache when no local copy is found.
        verify: check each array against the published checksums (MNIST
            files in a Fashion-MNIST folder are an error). Pass False only to
            load files of your own in this layout.

    Returns:
        ``(x_train, y_train), (x_test, y_test)`` as for `mnist`; label
        names are in `FASHION_MNIST_CLASSES`.

    Raises:
        DatasetNotFoundError: if ``data_dir`` does not hold the dataset, or no
            copy is found and the download is off or fails.
        CorruptFileError: if a file is truncated, corrupt, of the wrong kind,
            or not the published file (e.g. MNIST's).

    Examples:
        >>> (x_train, y_train), _ = fashion_mnist()  # doctest: +SKIP
        >>> FASHION_MNIST_CLASSES[int(y_train[0])]  # doctest: +SKIP
        'Ankle boot'
    """
    return load_image_dataset(
        FASHION_MNIST,
        data_dir=data_dir,
        download=download,
        verify=check_bool("verify", verify),
    )
