"""From a classifier's outputs to predicted classes and their probabilities."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from tfstarter._checks import describe
from tfstarter.errors import DataError


def predicted_classes(
    outputs: npt.ArrayLike,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Return the predicted class of each row and the probability given to it.

    ``outputs`` are either one column of sigmoid probabilities (two classes:
    class 1 when the probability is at least 0.5) or one column per class
    (the largest wins).

    Raises:
        DataError: if ``outputs`` is not a 1- or 2-dimensional array.

    Examples:
        >>> labels, confidence = predicted_classes([[0.1, 0.9], [0.8, 0.2]])
        >>> labels.tolist(), confidence.tolist()
        ([1, 0], [0.9, 0.8])
        >>> predicted_classes([[0.3], [0.6]])[0].tolist()
        [0, 1]
    """
    scores = np.asarray(outputs, dtype=np.float64)
    if scores.ndim == 1:
        scores = scores[:, None]
    if scores.ndim != 2 or scores.shape[1] < 1:
        raise DataError(
            f"`outputs` must be (samples, classes) probabilities, got "
            f"{describe(scores)}."
        )
    if scores.shape[1] == 1:
        positive = scores[:, 0]
        labels = (positive >= 0.5).astype(np.int64)
        return labels, np.where(labels == 1, positive, 1.0 - positive)
    labels = scores.argmax(axis=1).astype(np.int64)
    return labels, scores[np.arange(len(labels)), labels]


def class_labels(count: int, class_names: Sequence[str] | None) -> list[str]:
    """Return the display name of each class: ``class_names`` or ``"0"``, ``"1"``, ...

    Raises:
        DataError: if ``class_names`` does not have ``count`` entries.

    Examples:
        >>> class_labels(3, None)
        ['0', '1', '2']
    """
    if class_names is None:
        return [str(index) for index in range(count)]
    if len(class_names) != count:
        raise DataError(
            f"`class_names` has {len(class_names)} names for {count} classes; "
            f"pass one name per class, in label order."
        )
    return [str(name) for name in class_names]


def class_count(y_true: npt.NDArray[np.int64], outputs: npt.NDArray[np.float64]) -> int:
    """Return how many classes ``outputs`` and ``y_true`` span (at least 2).

    Examples:
        >>> class_count(np.array([0, 3]), np.zeros((2, 5)))
        5
    """
    width = outputs.shape[1] if outputs.ndim == 2 and outputs.shape[1] > 1 else 2
    largest = int(y_true.max()) + 1 if y_true.size else 0
    return max(width, largest, 2)
