"""Loading MNIST-style image datasets: find local files, else download them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.datasets._catalog import KERAS_MIRROR, DatasetSpec
from tfstarter.datasets._idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx, read_npz
from tfstarter.datasets._locate import DATA_DIR_ENV, candidates, keras_cache_dir
from tfstarter.errors import CorruptFileError, DatasetNotFoundError

Images = npt.NDArray[np.uint8]
Labels = npt.NDArray[np.uint8]
Split = tuple[Images, Labels]
Splits = tuple[Split, Split]

IMAGE_SIZE = 28
NUM_CLASSES = 10


def _existing(directory: Path, name: str) -> Path | None:
    """Return the file ``name`` in ``directory`` (or its un-gzipped twin) if present."""
    for candidate in (directory / name, directory / name.removesuffix(".gz")):
        if candidate.is_file():
            return candidate
    return None


def _check_split(spec: DatasetSpec, images: Any, labels: Any, where: str) -> Split:
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIZE, IMAGE_SIZE):
        raise CorruptFileError(
            f"{where}: images have shape {images.shape}, expected (N, 28, 28) for "
            f"{spec.name}. Check that the file is the original one."
        )
    if labels.ndim != 1 or labels.shape[0] != images.shape[0]:
        raise CorruptFileError(
            f"{where}: {images.shape[0]} images but labels of shape {labels.shape}. "
            f"The image and label files do not belong together."
        )
    if images.dtype != np.uint8 or not np.issubdtype(labels.dtype, np.integer):
        raise CorruptFileError(
            f"{where}: expected uint8 images and integer labels, got {images.dtype} "
            f"and {labels.dtype}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise CorruptFileError(
            f"{where}: labels range from {labels.min()} to {labels.max()}, expected "
            f"0..{NUM_CLASSES - 1}."
        )
    return images, labels.astype(np.uint8, copy=False)


def _load_idx_dir(spec: DatasetSpec, directory: Path) -> Splits | None:
    """Load the four IDX files from ``directory``; None if none of them is there."""
    paths = [_existing(directory, f.name) for f in spec.idx_files]
    present = [p for p in paths if p is not None]
    if not present:
        return None
    if len(present) != len(paths):
        missing = [
            f.name for f, p in zip(spec.idx_files, paths, strict=True) if p is None
        ]
        raise DatasetNotFoundError(
            f"{directory} holds only part of {spec.name}: missing {missing}. Put all "
            f"four files {[f.name for f in spec.idx_files]} in that folder."
        )
    train_x, train_y, test_x, test_y = (p for p in paths if p is not None)
    train = _check_split(
        spec,
        read_idx(train_x, magic=IMAGES_MAGIC),
        read_idx(train_y, magic=LABELS_MAGIC),
        f"{train_x} / {train_y.name}",
    )
    test = _check_split(
        spec,
        read_idx(test_x, magic=IMAGES_MAGIC),
        read_idx(test_y, magic=LABELS_MAGIC),
        f"{test_x} / {test_y.name}",
    )
    return train, test


def _load_npz(spec: DatasetSpec, path: Path) -> Splits:
    arrays = read_npz(path)
    train = _check_split(spec, arrays["x_train"], arrays["y_train"], str(path))
    test = _check_split(spec, arrays["x_test"], arrays["y_test"], str(path))
    return train, test


def _where_to_put(spec: DatasetSpec, data_dir: str | os.PathLike[str] | None) -> str:
    root = (
        Path(data_dir)
        if data_dir is not None
        else Path(os.environ.get(DATA_DIR_ENV) or "<data-dir>")
    )
    files = "\n".join(f"  {root / spec.folder / f.name}" for f in spec.idx_files)
    keras_layout = (
        f"the Keras file {spec.npz_name} in {keras_cache_dir()}"
        if spec.npz_name
        else f"the same four files in {keras_cache_dir() / spec.folder}"
    )
    return (
        f"Put the original IDX files of {spec.name} here:\n{files}\n"
        f"and point tfstarter at the folder with data_dir={str(root)!r} or "
        f"{DATA_DIR_ENV}={root}; or put {keras_layout} (the Keras cache)."
    )


def _download(spec: DatasetSpec, data_dir: str | os.PathLike[str] | None) -> Splits:
    # keras.utils.get_file already does caching, retries and checksum checks;
    # we only translate its failures into an error that says where files go.
    import keras

    cache_dir = str(keras_cache_dir().parent)
    try:
        if spec.npz_name is not None:
            path = keras.utils.get_file(
                fname=spec.npz_name,
                origin=KERAS_MIRROR + spec.npz_name,
                file_hash=spec.npz_sha256,
                hash_algorithm="sha256",
                cache_dir=cache_dir,
                cache_subdir="datasets",
            )
            return _load_npz(spec, Path(path))
        for idx_file in spec.idx_files:
            keras.utils.get_file(
                fname=idx_file.name,
                origin=KERAS_MIRROR + idx_file.name,
                file_hash=idx_file.md5,
                hash_algorithm="md5",
                cache_dir=cache_dir,
                cache_subdir=f"datasets/{spec.folder}",
            )
    except CorruptFileError:
        raise
    except Exception as err:
        raise DatasetNotFoundError(
            f"{spec.name} was not found on disk and the download failed "
            f"({type(err).__name__}: {err}).\n{_where_to_put(spec, data_dir)}"
        ) from err
    loaded = _load_idx_dir(spec, keras_cache_dir() / spec.folder)
    assert loaded is not None  # get_file either wrote all four files or raised
    return loaded


def load_image_dataset(
    spec: DatasetSpec,
    *,
    data_dir: str | os.PathLike[str] | None,
    download: bool,
) -> Splits:
    """Find ``spec`` locally (argument, environment, Keras cache) or download it.

    Returns:
        ``((x_train, y_train), (x_test, y_test))`` as fresh uint8 arrays.

    Raises:
        DatasetNotFoundError: if the files are nowhere and cannot be downloaded.
        CorruptFileError: if a file is found but is truncated or corrupt.
    """
    searched: list[str] = []
    for candidate in candidates(spec.folder, data_dir):
        directory = candidate.directory
        searched.append(f"{directory} ({candidate.source})")
        if not directory.is_dir():
            continue
        loaded = _load_idx_dir(spec, directory) if candidate.idx else None
        if loaded is not None:
            return loaded
        if spec.npz_name and (directory / spec.npz_name).is_file():
            return _load_npz(spec, directory / spec.npz_name)
    if not download:
        listing = "\n".join(f"  {item}" for item in searched)
        raise DatasetNotFoundError(
            f"{spec.name} was not found and download=False. Searched:\n{listing}\n"
            f"{_where_to_put(spec, data_dir)}"
        )
    return _download(spec, data_dir)
