"""`class_scores`: precision, recall, F1 and support of each class.

Why our own code: scikit-learn's ``classification_report`` would make a
large dependency for a few lines of NumPy over the confusion matrix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from tfstarter._checks import check_same_length
from tfstarter.report._predictions import class_labels


@dataclass(frozen=True)
class ClassScores:
    """How well one class is recognised.

    Attributes:
        name: the class name.
        precision: of the samples predicted as this class, the share that
            are (0 when none is predicted).
        recall: of the samples of this class, the share predicted as it.
        f1: the harmonic mean of precision and recall.
        support: the number of samples of this class.
    """

    name: str
    precision: float
    recall: float
    f1: float
    support: int


def confusion_counts(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, classes: int
) -> npt.NDArray[np.int64]:
    """Return the ``classes`` x ``classes`` counts: row = true, column = predicted.

    Examples:
        >>> confusion_counts([0, 1, 1], [0, 1, 0], 2).tolist()
        [[1, 0], [1, 1]]
    """
    true = np.asarray(y_true, dtype=np.int64).ravel()
    pred = np.asarray(y_pred, dtype=np.int64).ravel()
    check_same_length(true, pred, x_name="y_true", y_name="y_pred")
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (true, pred), 1)
    return matrix


def class_scores(
    y_true: npt.ArrayLike,
    y_pred: npt.ArrayLike,
    *,
    classes: int,
    class_names: Sequence[str] | None = None,
) -> list[ClassScores]:
    """Return the precision, recall, F1 and support of every class.

    Args:
        y_true: the true integer labels.
        y_pred: the predicted integer labels.
        classes: the number of classes.
        class_names: the name of each class, in label order.

    Returns:
        One `ClassScores` per class, in label order.

    Examples:
        >>> scores = class_scores([0, 0, 1, 1], [0, 1, 1, 1], classes=2)
        >>> [(s.name, round(s.precision, 3), s.recall, s.support) for s in scores]
        [('0', 1.0, 0.5, 2), ('1', 0.667, 1.0, 2)]
    """
    matrix = confusion_counts(y_true, y_pred, classes)
    names = class_labels(classes, class_names)
    rows: list[ClassScores] = []
    for index, name in enumerate(names):
        hits = float(matrix[index, index])
        predicted = float(matrix[:, index].sum())
        support = int(matrix[index, :].sum())
        precision = hits / predicted if predicted else 0.0
        recall = hits / support if support else 0.0
        total = precision + recall
        f1 = 2 * precision * recall / total if total else 0.0
        rows.append(ClassScores(name, precision, recall, f1, support))
    return rows
