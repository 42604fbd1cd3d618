"""`learning_rate_curve`: the learning rate of each epoch."""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from tfstarter.errors import DataError
from tfstarter.report._figures import TRAIN_COLOR, new_figure
from tfstarter.report._history import History


def learning_rate_curve(history: History) -> Figure:
    """Plot the learning rate of each epoch (log scale when it spans 10x or more).

    Args:
        history: per-epoch values holding ``learning_rate`` (or Keras 2's
            ``lr``).

    Returns:
        The figure.

    Raises:
        DataError: if ``history`` has no finite learning rate.

    Examples:
        >>> figure = learning_rate_curve({"learning_rate": [1e-3, 5e-4, 1e-4]})
        >>> figure.axes[0].get_yscale()
        'log'
    """
    key = "learning_rate" if "learning_rate" in history else "lr"
    rates = [float(rate) for rate in history.get(key, ())]
    finite = [rate for rate in rates if math.isfinite(rate) and rate > 0]
    if not finite:
        raise DataError(
            f"`history` has no finite learning rate; got the keys {sorted(history)}. "
            f"Log 'learning_rate' per epoch (tfstarter's run folders do)."
        )
    figure = new_figure(5.0, 3.0)
    axes = figure.add_subplot()
    axes.plot(range(1, len(rates) + 1), rates, marker="o", color=TRAIN_COLOR)
    if max(finite) / min(finite) >= 10:
        axes.set_yscale("log")
    axes.set_title("learning rate")
    axes.set_xlabel("epoch")
    axes.grid(alpha=0.3)
    if len(rates) < 12:
        axes.set_xticks(list(range(1, len(rates) + 1)))
    return figure
