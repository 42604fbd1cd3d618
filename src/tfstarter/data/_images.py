"""`from_image_directory`: one subfolder per class -> a batched ``tf.data.Dataset``.

Built on ``tf.data`` directly rather than on
``keras.utils.image_dataset_from_directory``: that function shuffles the file
list once and then only through a small buffer of *decoded* images each epoch,
and has no way to pin the class list of a validation folder to the training
folder's. Here the file paths (a few bytes each) are reshuffled in full every
epoch before decoding, decoding runs in parallel, and ``class_names=`` keeps
label indices identical across folders.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import tensorflow as tf

from tfstarter._checks import (
    check_bool,
    check_one_of,
    check_positive_int,
    check_rescale,
    check_seed,
    describe,
)
from tfstarter.data._augment import Augment, augmenter
from tfstarter.data._image_headers import read_header
from tfstarter.data._prepare import (
    Cache,
    Plan,
    Prefetch,
    check_cache,
    check_prefetch,
    no_autograph,
    prepare,
)
from tfstarter.data._scale import (
    Normalize,
    check_normalize,
    on_features,
    scaler,
)
from tfstarter.data._tuning import parallel_calls
from tfstarter.errors import (
    ArgumentTypeError,
    ConfigError,
    CorruptFileError,
    DataError,
    DatasetNotFoundError,
)

ColorMode = Literal["rgb", "grayscale", "rgba"]
IMAGE_EXTENSIONS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
# The methods of tf.image.resize (tf.image.ResizeMethod values).
RESIZE_METHODS = (
    "area",
    "bicubic",
    "bilinear",
    "gaussian",
    "lanczos3",
    "lanczos5",
    "mitchellcubic",
    "nearest",
)
_CHANNELS = {"grayscale": 1, "rgb": 3, "rgba": 4}


def from_image_directory(
    path: str | os.PathLike[str],
    *,
    image_size: tuple[int, int] | None = None,
    color_mode: ColorMode = "rgb",
    class_names: Sequence[str] | None = None,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = None,
    drop_remainder: bool = False,
    cache: Cache = False,
    prefetch: Prefetch = True,
    interpolation: str = "bilinear",
    rescale: float | None = None,
    normalize: Normalize | None = None,
    augment: Augment | None = None,
    verify: bool = False,
) -> tuple[tf.data.Dataset, tuple[str, ...]]:
    """Read a folder with one subfolder of images per class.

    ``path/cat/1.png, path/dog/a.jpg, ...`` gives classes ``("cat", "dog")``
    (sorted by name) and labels 0 and 1. Images are found in each class
    folder and its subfolders (PNG, JPEG, BMP, GIF; hidden files are
    skipped), listed in sorted order. They are decoded in parallel, converted
    to ``color_mode`` and, with ``image_size``, resized.

    When the pipeline is built, the header and the end of every file are read
    (a few bytes each): a file that is not an image or is cut short, and
    (without ``image_size``) an image of another size than the first, is
    named then, not mid-epoch.

    Args:
        path: the folder holding one subfolder per class.
        image_size: ``(height, width)`` to resize every image to. None keeps
            the files' size, which must then be the same for every image.
        color_mode: ``"rgb"`` (3 channels), ``"grayscale"`` (1) or ``"rgba"``
            (4).
        class_names: the classes, in label order; default: the sorted
            subfolder names. Pass the training folder's classes when reading a
            validation or test folder, so labels mean the same; a class may
            then have no subfolder, but a subfolder must be a known class.
        batch_size: images per batch.
        shuffle: reshuffle every epoch (training data only).
        seed: the shuffle seed; the same seed gives the same epoch orders.
        drop_remainder: drop the last, smaller batch.
        cache: keep the decoded images in memory (``True``) or in files at this
            path prefix, so they are decoded once.
        prefetch: ``True`` (2 batches), ``False`` or a number of batches.
        interpolation: the ``tf.image.resize`` method, e.g. ``"bilinear"``,
            ``"nearest"``, ``"area"``.
        rescale: multiply the pixels by this factor (e.g. ``1/255``).
        normalize: ``(mean, std)`` of the training pixels (per channel or
            scalar).
        augment: Keras preprocessing layers for training pipelines (see
            `from_arrays`); applied before ``rescale``.
        verify: decode every image once when the pipeline is built, so damage
            inside a file's image data (which its header and end do not show)
            is named before training rather than met mid-epoch.

    Returns:
        ``(dataset, class_names)``: batches of ``(images, labels)`` with float32
        images of shape ``(batch, height, width, channels)`` (values 0..255
        unless rescaled) and int32 labels, with a known number of batches; and
        the class names, label ``i`` being ``class_names[i]``.

    Raises:
        DatasetNotFoundError: if ``path`` is not a folder.
        DataError: if the folder has no class subfolders, no images, a
            subfolder that is not in ``class_names``, or (without
            ``image_size``) images of different sizes; the message names the
            file.
        CorruptFileError: if a file is not an image or is truncated (or, with
            ``verify``, cannot be decoded); the message names the file.
        ConfigError: if an option is invalid.

    Examples:
        >>> import tempfile
        >>> root = Path(tempfile.mkdtemp())
        >>> for name, value in [("cat", 0), ("dog", 255)]:
        ...     (root / name).mkdir()
        ...     pixels = tf.fill([4, 4, 3], tf.constant(value, tf.uint8))
        ...     tf.io.write_file(str(root / name / "a.png"), tf.io.encode_png(pixels))
        >>> ds, classes = from_image_directory(root, batch_size=2)
        >>> classes
        ('cat', 'dog')
        >>> images, labels = next(iter(ds))
        >>> images.shape, labels.numpy().tolist()
        (TensorShape([2, 4, 4, 3]), [0, 1])
    """
    check_one_of("color_mode", color_mode, tuple(_CHANNELS))
    size = _check_size(image_size)
    batch_size = check_positive_int("batch_size", batch_size)
    shuffle = check_bool("shuffle", shuffle)
    drop_remainder = check_bool("drop_remainder", drop_remainder)
    seed = check_seed(seed)
    cache = check_cache(cache)
    prefetch = check_prefetch(prefetch)
    rescale = check_rescale(rescale)
    check_one_of("interpolation", interpolation, RESIZE_METHODS)
    verify = check_bool("verify", verify)
    root = Path(path)
    if not root.is_dir():
        raise DatasetNotFoundError(
            f"`path` {os.fspath(path)!r} is not a folder. Pass a folder holding one "
            f"subfolder of images per class."
        )
    classes, files, labels = _list_images(root, class_names)
    channels = _CHANNELS[color_mode]
    sizes = _scan_sizes(files, same=size is None)
    if verify:
        _decode_all(files, channels)
    if size is None:
        size = sizes[0]
        resize = False
    else:
        resize = True
    norm = check_normalize(normalize, (*size, channels))

    @no_autograph
    def load(file: Any, label: Any) -> Any:
        data = tf.io.read_file(file)
        image = tf.io.decode_image(data, channels=channels, expand_animations=False)
        if resize:
            image = tf.image.resize(image, size, method=interpolation)
        else:
            same = tf.reduce_all(tf.shape(image)[:2] == tf.constant(size, tf.int32))
            check = tf.debugging.Assert(
                same,
                [
                    f"images differ in size: the first is {size[0]}x{size[1]} but",
                    file,
                    "is",
                    tf.shape(image)[:2],
                    "; pass image_size=(height, width) to resize them all",
                ],
            )
            with tf.control_dependencies([check]):
                image = tf.identity(image)
        image = tf.ensure_shape(tf.cast(image, tf.float32), (*size, channels))
        return image, label

    post_batch = [
        fn
        for fn in (
            augmenter(augment, shuffle=shuffle, has_labels=True),
            on_features(scaler(rescale, norm), has_labels=True),
        )
        if fn is not None
    ]
    handles = tf.data.Dataset.from_tensor_slices(
        (tf.constant([os.fspath(f) for f in files]), tf.constant(labels, tf.int32))
    )
    plan = Plan(
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer=len(files),
        drop_remainder=drop_remainder,
        cache=cache,
        prefetch=prefetch,
        element_fn=load,
        post_batch=post_batch,
        cardinality=len(files),
    )
    return prepare(handles, plan), classes


def _check_size(image_size: object) -> tuple[int, int] | None:
    if image_size is None:
        return None
    if (
        not isinstance(image_size, tuple | list)
        or len(image_size) != 2
        or not all(
            isinstance(v, int | np.integer) and not isinstance(v, bool)
            for v in image_size
        )
    ):
        raise ArgumentTypeError(
            f"`image_size` must be a (height, width) pair of ints, got "
            f"{describe(image_size)}. Pass e.g. image_size=(64, 64)."
        )
    height = check_positive_int("image_size[0]", image_size[0])
    width = check_positive_int("image_size[1]", image_size[1])
    return height, width


def _visible(entry: Path) -> bool:
    return not entry.name.startswith(".")


def _list_images(
    root: Path, class_names: Sequence[str] | None
) -> tuple[tuple[str, ...], list[Path], list[int]]:
    folders = sorted(
        entry.name for entry in root.iterdir() if entry.is_dir() and _visible(entry)
    )
    if class_names is None:
        if not folders:
            entries = sorted(entry.name for entry in root.iterdir())[:5]
            raise DataError(
                f"`path` {os.fspath(root)!r} has no class subfolders (found: "
                f"{entries}). Put the images of each class in its own subfolder, "
                f"e.g. {os.fspath(root / 'cat' / '1.png')!r}."
            )
        classes = tuple(folders)
    else:
        if isinstance(class_names, str) or not all(
            isinstance(name, str) for name in class_names
        ):
            raise ArgumentTypeError(
                f"`class_names` must be a list of folder names, got "
                f"{describe(class_names)}."
            )
        classes = tuple(class_names)
        if not classes or len(set(classes)) != len(classes):
            raise ConfigError(
                f"`class_names` must be non-empty and unique, got {list(classes)}."
            )
        unknown = sorted(set(folders) - set(classes))
        if unknown:
            raise DataError(
                f"`path` {os.fspath(root)!r} has subfolder {unknown[0]!r}, which is "
                f"not one of class_names {list(classes)}. Pass the full class list "
                f"or move that folder."
            )
    files: list[Path] = []
    labels: list[int] = []
    for label, name in enumerate(classes):
        folder = root / name
        if not folder.is_dir():
            continue
        found = sorted(
            file
            for file in folder.rglob("*")
            if file.is_file()
            and file.suffix.lower() in IMAGE_EXTENSIONS
            and all(_visible(Path(part)) for part in file.relative_to(folder).parts)
        )
        files.extend(found)
        labels.extend([label] * len(found))
    if not files:
        raise DataError(
            f"`path` {os.fspath(root)!r} has class folders {list(classes)} but no "
            f"images in them (looked for {', '.join(IMAGE_EXTENSIONS)})."
        )
    return classes, files, labels


def _scan_sizes(files: list[Path], *, same: bool) -> list[tuple[int, int]]:
    """Read every file's header; with ``same``, all sizes must be the first's."""
    sizes: list[tuple[int, int]] = []
    for file in files:
        header = read_header(file)
        sizes.append((header.height, header.width))
        if same and sizes[-1] != sizes[0]:
            first, this = sizes[0], sizes[-1]
            raise DataError(
                f"images differ in size: {os.fspath(files[0])} is "
                f"{first[0]}x{first[1]} but {os.fspath(file)} is {this[0]}x{this[1]} "
                f"(height x width). Pass image_size=(height, width) to resize them "
                f"all, or remove the odd one."
            )
    return sizes


def _decode_all(files: list[Path], channels: int) -> None:
    """Decode every file once, in parallel; name the ones that fail."""
    names = [os.fspath(f) for f in files]

    @no_autograph
    def decode(index: Any, name: Any) -> Any:
        data = tf.io.read_file(name)
        image = tf.io.decode_image(data, channels=channels, expand_animations=False)
        return index, tf.size(image)  # uses the image, so the decode runs

    decoded = (
        tf.data.Dataset.from_tensor_slices((tf.range(len(names)), names))
        .map(decode, num_parallel_calls=parallel_calls(), deterministic=False)
        .ignore_errors()
    )
    good = {int(i) for i, _ in decoded.as_numpy_iterator()}
    bad = [name for i, name in enumerate(names) if i not in good]
    if bad:
        raise CorruptFileError(
            f"{len(bad)} of {len(names)} images could not be decoded, e.g. "
            f"{bad[:3]}. Remove or replace them."
        )
