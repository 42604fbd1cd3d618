"""Regression plots: predicted against actual values, and the residuals."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from tfstarter._checks import check_same_length, describe
from tfstarter.errors import DataError
from tfstarter.report._figures import BEST_COLOR, TRAIN_COLOR, new_figure


def _flat_pair(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    true = np.asarray(y_true, dtype=np.float64)
    pred = np.asarray(y_pred, dtype=np.float64)
    check_same_length(true, pred, x_name="y_true", y_name="y_pred")
    if true.size != pred.size or true.size == 0:
        raise DataError(
            f"`y_true` ({describe(true)}) and `y_pred` ({describe(pred)}) must hold "
            f"the same, non-zero number of values."
        )
    return true.ravel(), pred.ravel()


def predicted_vs_actual(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> Figure:
    """Plot each prediction against its true value, with the line of perfect fit.

    Several outputs are drawn together (all values flattened).

    Raises:
        DataError: if the two hold different numbers of values, or none.

    Examples:
        >>> figure = predicted_vs_actual([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])
        >>> figure.axes[0].get_xlabel(), figure.axes[0].get_ylabel()
        ('actual', 'predicted')
    """
    true, pred = _flat_pair(y_true, y_pred)
    figure = new_figure(4.6, 4.2)
    axes = figure.add_subplot()
    axes.scatter(true, pred, s=8, alpha=0.5, color=TRAIN_COLOR)
    low = float(min(true.min(), pred.min()))
    high = float(max(true.max(), pred.max()))
    axes.plot([low, high], [low, high], color=BEST_COLOR, label="perfect fit")
    axes.set_xlabel("actual")
    axes.set_ylabel("predicted")
    axes.set_title("predicted vs actual")
    axes.legend(fontsize="small")
    axes.grid(alpha=0.3)
    return figure


def residuals(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> Figure:
    """Plot the residuals (predicted - actual) against the prediction, and a histogram.

    A good fit shows no pattern on the left and a narrow histogram centred
    on 0 on the right.

    Raises:
        DataError: if the two hold different numbers of values, or none.

    Examples:
        >>> figure = residuals([1.0, 2.0, 3.0], [1.1, 1.9, 3.2])
        >>> [axes.get_title() for axes in figure.axes]
        ['residual vs predicted', 'residuals']
    """
    true, pred = _flat_pair(y_true, y_pred)
    error = pred - true
    figure = new_figure(8.4, 3.6)
    left = figure.add_subplot(1, 2, 1)
    left.scatter(pred, error, s=8, alpha=0.5, color=TRAIN_COLOR)
    left.axhline(0.0, color=BEST_COLOR)
    left.set_xlabel("predicted")
    left.set_ylabel("predicted - actual")
    left.set_title("residual vs predicted")
    left.grid(alpha=0.3)
    right = figure.add_subplot(1, 2, 2)
    right.hist(error, bins=min(40, max(5, error.size // 10)), color=TRAIN_COLOR)
    right.axvline(0.0, color=BEST_COLOR)
    right.set_xlabel("predicted - actual")
    right.set_ylabel("samples")
    right.set_title("residuals")
    return figure
