"""The test images a classifier got wrong with the most confidence."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from tfstarter._checks import check_positive_int, check_same_length, describe
from tfstarter.errors import DataError
from tfstarter.report._figures import new_figure
from tfstarter.report._predictions import class_labels, predicted_classes

_GRID_COLUMNS = 8


def confident_mistakes(
    y_true: npt.ArrayLike, outputs: npt.ArrayLike, *, count: int = 16
) -> npt.NDArray[np.int64]:
    """Return the indices of the wrong predictions, most confident first.

    Args:
        y_true: the true integer labels.
        outputs: the classifier's probabilities (see `predicted_classes`).
        count: the most indices to return.

    Examples:
        >>> confident_mistakes([0, 1, 0], [[0.4, 0.6], [0.1, 0.9], [0.05, 0.95]])
        array([2, 0])
    """
    count = check_positive_int("count", count)
    true = np.asarray(y_true, dtype=np.int64).ravel()
    labels, confidence = predicted_classes(outputs)
    check_same_length(true, labels, x_name="y_true", y_name="outputs")
    wrong = np.flatnonzero(labels != true)
    order = np.argsort(-confidence[wrong], kind="stable")
    return wrong[order][:count].astype(np.int64)


def is_image_batch(x: object) -> bool:
    """Return whether ``x`` looks like a batch of images: (n, h, w) or (n, h, w, 1|3|4).

    Examples:
        >>> is_image_batch(np.zeros((2, 28, 28))), is_image_batch(np.zeros((2, 8)))
        (True, False)
    """
    shape: tuple[int, ...] = tuple(getattr(x, "shape", ()))
    if len(shape) == 3:
        return bool(min(shape[1:]) >= 4)
    return len(shape) == 4 and shape[3] in (1, 3, 4) and min(shape[1:3]) >= 4


def _displayable(image: npt.NDArray[np.generic]) -> npt.NDArray[np.float64]:
    pixels = np.asarray(image, dtype=np.float64)
    if pixels.ndim == 3 and pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    low, high = float(np.nanmin(pixels)), float(np.nanmax(pixels))
    if high > low:
        pixels = (pixels - low) / (high - low)
    return np.clip(pixels, 0.0, 1.0)


def mistakes_grid(
    images: npt.ArrayLike,
    y_true: npt.ArrayLike,
    outputs: npt.ArrayLike,
    *,
    class_names: Sequence[str] | None = None,
) -> Figure:
    r"""Show images with their true label, predicted label and its probability.

    Pass the images selected by `confident_mistakes`, with their labels and
    outputs, to see what the classifier confuses and how sure it was.

    Args:
        images: a batch of images, ``(n, h, w)`` or ``(n, h, w, channels)``.
        y_true: their true integer labels.
        outputs: the classifier's probabilities for them.
        class_names: the name of each class, in label order.

    Returns:
        The figure, one panel per image.

    Raises:
        DataError: if ``images`` is not a batch of images or is empty.

    Examples:
        >>> outputs = [[0.1, 0.9], [0.8, 0.2]]
        >>> figure = mistakes_grid(np.zeros((2, 8, 8)), [0, 1], outputs)
        >>> [axes.get_title() for axes in figure.axes]
        ['true 0\npred 1 (90%)', 'true 1\npred 0 (80%)']
    """
    pixels = np.asarray(images)
    if not is_image_batch(pixels) or len(pixels) == 0:
        raise DataError(
            f"`images` must be a non-empty batch of images, (n, h, w) or (n, h, w, "
            f"1|3|4), got {describe(pixels)}."
        )
    true = np.asarray(y_true, dtype=np.int64).ravel()
    scores = np.asarray(outputs, dtype=np.float64)
    labels, confidence = predicted_classes(scores)
    check_same_length(pixels, true, x_name="images", y_name="y_true")
    check_same_length(pixels, labels, x_name="images", y_name="outputs")
    width = scores.shape[1] if scores.ndim == 2 and scores.shape[1] > 1 else 2
    names = class_labels(width, class_names) if class_names is not None else None
    columns = min(len(pixels), _GRID_COLUMNS)
    rows = math.ceil(len(pixels) / columns)
    figure = new_figure(1.45 * columns, 1.75 * rows)
    gray = pixels.ndim == 3 or pixels.shape[3] == 1
    for index, image in enumerate(pixels):
        axes = figure.add_subplot(rows, columns, index + 1)
        axes.imshow(_displayable(image), cmap="gray" if gray else None)
        shown_true = names[true[index]] if names else str(true[index])
        shown_pred = names[labels[index]] if names else str(labels[index])
        axes.set_title(
            f"true {shown_true}\npred {shown_pred} ({confidence[index]:.0%})",
            fontsize=8,
        )
        axes.set_axis_off()
    return figure
