"""`learning_curves`: training vs validation curves per metric, best epoch marked."""

from __future__ import annotations

import math

from matplotlib.figure import Figure

from tfstarter.errors import DataError
from tfstarter.report._figures import (
    BEST_COLOR,
    TRAIN_COLOR,
    VALIDATION_COLOR,
    new_figure,
)
from tfstarter.report._history import (
    History,
    best_epoch,
    default_monitor,
    metric_names,
)

_COLUMNS = 3


def learning_curves(history: History, *, monitor: str | None = None) -> Figure:
    """Plot the loss and each metric per epoch, training against validation.

    One panel per metric; the best epoch by ``monitor`` (default
    ``val_loss``, else ``loss``) is marked with a vertical line in every
    panel, so the train/validation gap at that point is easy to read.

    Args:
        history: per-epoch values by name, e.g. ``History.history`` or the
            columns of a run's ``metrics.csv``.
        monitor: the metric that picks the best epoch.

    Returns:
        The figure (save it with ``figure.savefig(path)``).

    Raises:
        DataError: if ``history`` holds no epochs of any metric.

    Examples:
        >>> figure = learning_curves(
        ...     {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.6, 0.8]}
        ... )
        >>> [axes.get_title() for axes in figure.axes]
        ['loss', 'accuracy']
    """
    names = [name for name in metric_names(history) if len(history[name]) > 0]
    if not names:
        raise DataError(
            f"`history` has no per-epoch metric to plot; got the keys "
            f"{sorted(history)}. Pass History.history or a run's metrics columns."
        )
    monitor = monitor or default_monitor(history)
    best = best_epoch(history, monitor)
    columns = min(len(names), _COLUMNS)
    rows = math.ceil(len(names) / columns)
    figure = new_figure(4.2 * columns, 3.2 * rows)
    for index, name in enumerate(names):
        axes = figure.add_subplot(rows, columns, index + 1)
        train = history[name]
        epochs = range(1, len(train) + 1)
        axes.plot(epochs, train, marker="o", color=TRAIN_COLOR, label="training")
        validation = history.get(f"val_{name}")
        if validation is not None and any(math.isfinite(v) for v in validation):
            axes.plot(
                range(1, len(validation) + 1),
                validation,
                marker="o",
                color=VALIDATION_COLOR,
                label="validation",
            )
        if best is not None:
            axes.axvline(
                best + 1,
                color=BEST_COLOR,
                linestyle="--",
                label=f"best epoch ({best + 1}, by {monitor})",
            )
        axes.set_title(name)
        axes.set_xlabel("epoch")
        axes.grid(alpha=0.3)
        if len(train) < 12:
            axes.set_xticks(list(epochs))
        if index == 0:
            axes.legend(fontsize="small")
    return figure
