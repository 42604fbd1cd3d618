"""The data sources of a run, each read into NumPy arrays.

Built-in datasets (``mnist``, ``fashion_mnist``), synthetic problems, a CSV
file, a folder of images, TFRecord shards and ``.npz`` files, each with an
optional separate test file or folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter._checks import check_positive_int
from tfstarter.cli._sections import DataConfig
from tfstarter.data import CsvSchema
from tfstarter.errors import ConfigError, DataError, DatasetNotFoundError

_PATH_SOURCES = ("csv", "images", "tfrecord", "npz")
_READ_BATCH = 1024


@dataclass(frozen=True)
class Source:
    """What a source yields before splitting: the training data, test data if any."""

    x: npt.NDArray[Any]
    y: npt.NDArray[Any]
    x_test: npt.NDArray[Any] | None = None
    y_test: npt.NDArray[Any] | None = None
    class_names: tuple[str, ...] | None = None
    csv_schema: CsvSchema | None = None


def materialize(dataset: Any) -> tuple[npt.NDArray[Any], npt.NDArray[Any] | None]:
    """Read a batched ``(x, y)`` (or ``x``) `tf.data.Dataset` into two arrays.

    Examples:
        >>> import tfstarter as tfs
        >>> x, y = materialize(tfs.data.from_arrays(np.ones((5, 2)), np.arange(5)))
        >>> x.shape, y.tolist()
        ((5, 2), [0, 1, 2, 3, 4])
    """
    xs: list[npt.NDArray[Any]] = []
    ys: list[npt.NDArray[Any]] = []
    for batch in dataset.as_numpy_iterator():
        if isinstance(batch, tuple):
            xs.append(np.asarray(batch[0]))
            ys.append(np.asarray(batch[1]))
        else:
            xs.append(np.asarray(batch))
    if not xs:
        raise DataError("the data source holds no samples.")
    return np.concatenate(xs), (np.concatenate(ys) if ys else None)


def _need_path(config: DataConfig) -> Path:
    if config.path is None:
        raise ConfigError(
            f"`data.path` is needed for data.source={config.source!r}: pass the "
            f"file or folder to read."
        )
    path = Path(config.path)
    if not path.exists():
        raise DatasetNotFoundError(
            f"`data.path` is {config.path!r}, which does not exist. Pass an existing "
            f"{'file' if config.source in ('csv', 'npz') else 'folder'}."
        )
    return path


def _with_labels(x: Any, y: Any, key: str) -> tuple[Any, Any]:
    if y is None:
        raise DataError(f"`{key}` holds no labels; every sample needs (x, y).")
    return x, y


def _csv(config: DataConfig) -> Source:
    import tfstarter as tfs

    path = _need_path(config)
    if config.label is None:
        raise ConfigError(
            "`data.label` is needed for data.source='csv': pass the name of the "
            "label column."
        )
    dataset, schema = tfs.data.from_csv(path, config.label, batch_size=_READ_BATCH)
    x, y = _with_labels(*materialize(dataset), "data.path")
    x_test = y_test = None
    if config.test_path is not None:
        test, _ = tfs.data.from_csv(
            config.test_path, config.label, schema=schema, batch_size=_READ_BATCH
        )
        x_test, y_test = _with_labels(*materialize(test), "data.test_path")
    names = schema.label_vocabulary or None
    return Source(x, y, x_test, y_test, class_names=names, csv_schema=schema)


def _images(config: DataConfig) -> Source:
    import tfstarter as tfs

    path = _need_path(config)
    options: dict[str, Any] = {
        "image_size": config.image_size,
        "color_mode": config.color_mode,
        "batch_size": _READ_BATCH,
    }
    dataset, names = tfs.data.from_image_directory(path, **options)
    x, y = _with_labels(*materialize(dataset), "data.path")
    x_test = y_test = None
    if config.test_path is not None:
        if options["image_size"] is None:
            options["image_size"] = (int(x.shape[1]), int(x.shape[2]))
        test, _ = tfs.data.from_image_directory(
            config.test_path, class_names=names, **options
        )
        x_test, y_test = _with_labels(*materialize(test), "data.test_path")
    return Source(x, y, x_test, y_test, class_names=tuple(names))


def _tfrecord(config: DataConfig) -> Source:
    import tfstarter as tfs

    path = _need_path(config)
    x, y = _with_labels(
        *materialize(tfs.data.from_tfrecord(path, batch_size=_READ_BATCH)), "data.path"
    )
    x_test = y_test = None
    if config.test_path is not None:
        test = tfs.data.from_tfrecord(config.test_path, batch_size=_READ_BATCH)
        x_test, y_test = _with_labels(*materialize(test), "data.test_path")
    return Source(x, y, x_test, y_test)


def _npz(config: DataConfig) -> Source:
    path = _need_path(config)
    with np.load(path, allow_pickle=False) as arrays:
        keys = set(arrays.files)
        if {"x_train", "y_train"} <= keys:
            x, y = arrays["x_train"], arrays["y_train"]
            if {"x_test", "y_test"} <= keys:
                return Source(x, y, arrays["x_test"], arrays["y_test"])
            return Source(x, y)
        if {"x", "y"} <= keys:
            return Source(arrays["x"], arrays["y"])
    raise DataError(
        f"{config.path} holds the arrays {sorted(keys)}; an npz source needs "
        f"x_train and y_train (and optionally x_test, y_test), or x and y."
    )


def _builtin(config: DataConfig, seed: int) -> Source:
    import tfstarter as tfs

    if config.source in ("mnist", "fashion_mnist"):
        loader = (
            tfs.datasets.mnist
            if config.source == "mnist"
            else tfs.datasets.fashion_mnist
        )
        (x, y), (x_test, y_test) = loader(data_dir=config.data_dir)
        names = (
            tuple(str(digit) for digit in range(10))
            if config.source == "mnist"
            else tfs.datasets.FASHION_MNIST_CLASSES
        )
        return Source(x, y, x_test, y_test, class_names=names)
    samples = check_positive_int("data.samples", config.samples)
    features = check_positive_int("data.features", config.features)
    if config.source == "synthetic_regression":
        regression = tfs.datasets.synthetic_regression(
            samples, features, noise=config.noise, seed=seed
        )
        return Source(regression.x, regression.y)
    classification = tfs.datasets.synthetic_classification(
        samples, features, classes=config.classes, label_noise=config.noise, seed=seed
    )
    return Source(classification.x, classification.y)


def read_source(config: DataConfig, *, seed: int) -> Source:
    """Read the data a `DataConfig` names, before any split.

    Raises:
        ConfigError: for a missing ``path`` / ``label``, or a ``path`` given
            to a source that takes none.
        DatasetNotFoundError, DataError: for files that are missing or hold
            no usable samples.
    """
    if config.source not in _PATH_SOURCES and config.path is not None:
        raise ConfigError(
            f"`data.path` is {config.path!r}, but data.source={config.source!r} reads "
            f"no file. Remove data.path, or set data.source to one of "
            f"{', '.join(_PATH_SOURCES)}."
        )
    readers = {"csv": _csv, "images": _images, "tfrecord": _tfrecord, "npz": _npz}
    reader = readers.get(config.source)
    return reader(config) if reader is not None else _builtin(config, seed)
