"""Loading MNIST-style image datasets: find local files, else download them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter.datasets._catalog import (
    FASHION_MNIST,
    KERAS_MIRROR,
    MNIST,
    DatasetSpec,
    IdxFile,
)
from tfstarter.datasets._idx import (
    IMAGES_MAGIC,
    LABELS_MAGIC,
    array_digest,
    idx_digest,
    read_idx,
    read_npz,
)
from tfstarter.datasets._locate import (
    DATA_DIR_ENV,
    Candidate,
    candidates,
    keras_cache_dir,
)
from tfstarter.errors import CorruptFileError, DatasetNotFoundError

Images = npt.NDArray[np.uint8]
Labels = npt.NDArray[np.uint8]
Split = tuple[Images, Labels]
Splits = tuple[Split, Split]

IMAGE_SIZE = 28
NUM_CLASSES = 10
_ROLES = ("train images", "train labels", "test images", "test labels")


def _known_digests() -> dict[str, str]:
    """Every known array digest -> "<dataset>'s <role>", to say what a file is."""
    return {
        idx_file.sha256: f"{spec.name}'s {role}"
        for spec in (MNIST, FASHION_MNIST)
        for idx_file, role in zip(spec.idx_files, _ROLES, strict=True)
    }


def _verify(spec: DatasetSpec, index: int, digest: str, where: str) -> None:
    """Check that an array is the one ``spec`` publishes, else say what it is."""
    expected: IdxFile = spec.idx_files[index]
    if digest == expected.sha256:
        return
    role = _ROLES[index]
    known = _known_digests().get(digest)
    what = (
        f"it holds {known}"
        if known is not None
        else "it matches no published file (modified, or another dataset)"
    )
    raise CorruptFileError(
        f"{where} is not {spec.name}'s {role}: {what} (sha256 {digest[:12]}..., "
        f"expected {expected.sha256[:12]}...). Put the original {spec.name} files "
        f"there, or pass verify=False to load your own files in this layout."
    )


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


def _load_idx_dir(spec: DatasetSpec, directory: Path, *, verify: bool) -> Splits | None:
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
    if verify:
        magics = (IMAGES_MAGIC, LABELS_MAGIC, IMAGES_MAGIC, LABELS_MAGIC)
        for index, (path, magic) in enumerate(zip(present, magics, strict=True)):
            _verify(spec, index, idx_digest(path, magic=magic), str(path))
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


def _load_npz(spec: DatasetSpec, path: Path, *, verify: bool) -> Splits:
    arrays = read_npz(path)
    if verify:
        for index, key in enumerate(("x_train", "y_train", "x_test", "y_test")):
            _verify(spec, index, array_digest(arrays[key]), f"{path} [{key}]")
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


def _download(
    spec: DatasetSpec, data_dir: str | os.PathLike[str] | None, *, verify: bool
) -> Splits:
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
            return _load_npz(spec, Path(path), verify=verify)
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
    folder = keras_cache_dir() / spec.folder
    loaded = _load_idx_dir(spec, folder, verify=verify)
    if loaded is None:  # get_file returned without writing the files
        raise DatasetNotFoundError(
            f"{spec.name} was downloaded but its files are not in {folder}.\n"
            f"{_where_to_put(spec, data_dir)}"
        )
    return loaded


def _load_from(
    spec: DatasetSpec, candidate: Candidate, *, verify: bool
) -> Splits | None:
    directory = candidate.directory
    if not directory.is_dir():
        return None
    loaded = _load_idx_dir(spec, directory, verify=verify) if candidate.idx else None
    if loaded is not None:
        return loaded
    if spec.npz_name and (directory / spec.npz_name).is_file():
        return _load_npz(spec, directory / spec.npz_name, verify=verify)
    return None


def load_image_dataset(
    spec: DatasetSpec,
    *,
    data_dir: str | os.PathLike[str] | None,
    download: bool,
    verify: bool = True,
) -> Splits:
    """Find ``spec`` locally (argument, environment, Keras cache) or download it.

    An explicit ``data_dir`` is the only place searched: a dataset missing
    there is an error, never a silent fallback to another copy.

    Returns:
        ``((x_train, y_train), (x_test, y_test))`` as fresh uint8 arrays.

    Raises:
        DatasetNotFoundError: if the files are not in ``data_dir``, or are
            nowhere and cannot be downloaded.
        CorruptFileError: if a file is found but is truncated, corrupt or
            (with ``verify``) not the published file.
    """
    searched: list[str] = []
    explicit = data_dir is not None
    for candidate in candidates(spec.folder, data_dir):
        if explicit and candidate.source != "data_dir=":
            break
        searched.append(f"{candidate.directory} ({candidate.source})")
        loaded = _load_from(spec, candidate, verify=verify)
        if loaded is not None:
            return loaded
    listing = "\n".join(f"  {item}" for item in searched)
    if data_dir is not None:
        raise DatasetNotFoundError(
            f"`data_dir` {os.fspath(data_dir)!r} does not hold {spec.name}. "
            f"Searched:\n{listing}\n{_where_to_put(spec, data_dir)} Or drop "
            f"data_dir= to search ${DATA_DIR_ENV} and the Keras cache (and "
            f"download)."
        )
    if not download:
        raise DatasetNotFoundError(
            f"{spec.name} was not found and download=False. Searched:\n{listing}\n"
            f"{_where_to_put(spec, data_dir)}"
        )
    return _download(spec, data_dir, verify=verify)
