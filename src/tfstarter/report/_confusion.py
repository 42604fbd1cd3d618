"""`confusion_matrix`: counts and row-normalised shares, side by side."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from tfstarter.report._class_scores import confusion_counts
from tfstarter.report._figures import new_figure
from tfstarter.report._predictions import class_labels

_ANNOTATE_UP_TO = 20


def _panel(
    axes: Axes,
    values: npt.NDArray[np.float64],
    text: list[list[str]],
    names: list[str],
    title: str,
) -> None:
    image = axes.imshow(values, cmap="Blues", vmin=0.0)
    size = len(names)
    if size <= _ANNOTATE_UP_TO:
        threshold = values.max() / 2 if values.size else 0.0
        for row in range(size):
            for column in range(size):
                axes.text(
                    column,
                    row,
                    text[row][column],
                    ha="center",
                    va="center",
                    fontsize=7 if size > 10 else 8,
                    color="white" if values[row, column] > threshold else "black",
                )
    axes.set_xticks(range(size), names, rotation=45 if size > 5 else 0, ha="right")
    axes.set_yticks(range(size), names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    axes.figure.colorbar(image, ax=axes, shrink=0.8)


def confusion_matrix(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    *,
    classes: int,
    class_names: Sequence[str] | None = None,
) -> Figure:
    """Plot the confusion matrix as counts and as shares of each true class.

    Rows are the true classes, columns the predicted ones; the right panel
    divides each row by its total, so its diagonal is each class's recall.
    Cells are annotated up to 20 classes.

    Args:
        y_true: the true integer labels.
        y_pred: the predicted integer labels.
        classes: the number of classes.
        class_names: the name of each class, in label order.

    Returns:
        The figure.

    Examples:
        >>> figure = confusion_matrix([0, 1, 1], [0, 1, 0], classes=2)
        >>> [axes.get_title() for axes in figure.axes[::2]]
        ['counts', 'share of each true class']
    """
    counts = confusion_counts(y_true, y_pred, classes)
    totals = counts.sum(axis=1, keepdims=True)
    shares = np.divide(
        counts, totals, out=np.zeros(counts.shape, dtype=np.float64), where=totals > 0
    )
    names = class_labels(classes, class_names)
    side = 2.2 + 0.42 * classes
    figure = new_figure(2 * side + 1.0, side)
    _panel(
        figure.add_subplot(1, 2, 1),
        counts.astype(np.float64),
        [[str(int(value)) for value in row] for row in counts],
        names,
        "counts",
    )
    _panel(
        figure.add_subplot(1, 2, 2),
        shares,
        [[f"{value:.2f}" if value else "0" for value in row] for row in shares],
        names,
        "share of each true class",
    )
    return figure
