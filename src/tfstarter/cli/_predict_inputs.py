"""The inputs of ``tfstarter predict``: a ``.npy`` or ``.csv`` file, or images."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from tfstarter._checks import describe
from tfstarter.data import CsvSchema
from tfstarter.errors import ConfigError, DataError, DatasetNotFoundError

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
"""The image files ``predict`` reads from a folder."""


def _fit_shape(x: npt.NDArray[Any], input_shape: tuple[int, ...], path: Path) -> Any:
    if tuple(x.shape[1:]) == input_shape:
        return x
    if int(np.prod(x.shape[1:])) == int(np.prod(input_shape)):
        return x.reshape((len(x), *input_shape))
    raise DataError(
        f"`--input` {path} holds {describe(x)}, but the model takes samples of shape "
        f"{input_shape}. Pass inputs of that shape (or with that many values per "
        f"row)."
    )


def _images(folder: Path, input_shape: tuple[int, ...]) -> tuple[Any, list[str]]:
    import tensorflow as tf

    files = sorted(
        file
        for file in folder.rglob("*")
        if file.is_file()
        and file.suffix.lower() in IMAGE_SUFFIXES
        and not file.name.startswith(".")
    )
    if not files:
        raise DataError(
            f"`--input` folder {folder} holds no images ({', '.join(IMAGE_SUFFIXES)})."
        )
    if len(input_shape) not in (2, 3):
        raise ConfigError(
            f"`--input` is an image folder, but the model takes samples of shape "
            f"{input_shape}, not images. Pass a .npy or .csv file."
        )
    height, width = input_shape[0], input_shape[1]
    channels = input_shape[2] if len(input_shape) == 3 else 1
    images = []
    for file in files:
        decoded = tf.io.decode_image(
            tf.io.read_file(str(file)), channels=channels, expand_animations=False
        )
        resized = tf.image.resize(decoded, (height, width), method="bilinear")
        images.append(resized.numpy())
    batch = np.stack(images).astype(np.float32)
    if len(input_shape) == 2:
        batch = batch[..., 0]
    return batch, [str(file.relative_to(folder)) for file in files]


def read_inputs(
    path: str, *, input_shape: tuple[int, ...], schema: CsvSchema | None
) -> tuple[Any, list[str] | None]:
    """Read the inputs to predict on, shaped for the model; and file names for folders.

    * ``.npy``: an array of samples (reshaped when each row holds the right
      number of values);
    * ``.csv``: a header line, then one sample per line; read with the
      training file's schema for a model trained on a CSV file (a label
      column present in the file is ignored), else as numbers;
    * a folder: every image in it and its subfolders, sorted by path,
      decoded and resized to the model's input size.

    Raises:
        DatasetNotFoundError: if ``path`` does not exist.
        ConfigError: for another kind of file.
        DataError: for inputs that do not fit the model.
    """
    import tfstarter as tfs
    from tfstarter.cli._sources import materialize

    source = Path(path)
    if not source.exists():
        raise DatasetNotFoundError(
            f"`--input` {path!r} does not exist. Pass a .npy file, a .csv file or a "
            f"folder of images."
        )
    if source.is_dir():
        return _images(source, input_shape)
    suffix = source.suffix.lower()
    if suffix == ".npy":
        return _fit_shape(
            np.load(source, allow_pickle=False), input_shape, source
        ), None
    if suffix == ".csv":
        if schema is not None:
            dataset, _ = tfs.data.from_csv(source, None, schema=schema, batch_size=1024)
        else:
            dataset, _ = tfs.data.from_csv(source, None, batch_size=1024)
        x, _ = materialize(dataset)
        return _fit_shape(x, input_shape, source), None
    raise ConfigError(
        f"`--input` {path!r} is neither a .npy file, a .csv file nor a folder. "
        f"Pass one of those."
    )
