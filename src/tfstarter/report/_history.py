"""Reading per-epoch metrics: which columns are metrics, and which epoch was best."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from tfstarter.errors import DataError

History = Mapping[str, Sequence[float]]
"""Per-epoch values by name, as in ``keras.callbacks.History.history``."""

NOT_METRICS = frozenset({"epoch", "learning_rate", "lr", "epoch_seconds"})
"""Columns of a metrics log that are bookkeeping, not metrics."""

_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "r2")


def metric_names(history: History) -> list[str]:
    """Return the training metrics of ``history``, ``loss`` first.

    Examples:
        >>> metric_names({"val_loss": [1.0], "accuracy": [0.5], "loss": [1.0]})
        ['loss', 'accuracy']
    """
    names = [
        name
        for name in history
        if name not in NOT_METRICS and not name.startswith("val_")
    ]
    return sorted(names, key=lambda name: (name != "loss", name))


def higher_is_better(metric: str) -> bool:
    """Return whether a larger value of ``metric`` is better (accuracy, AUC, ...).

    Examples:
        >>> higher_is_better("val_accuracy"), higher_is_better("val_loss")
        (True, False)
    """
    return any(part in metric for part in _HIGHER_IS_BETTER)


def default_monitor(history: History) -> str:
    """Return the metric that picks the best epoch: ``val_loss``, else ``loss``.

    Examples:
        >>> default_monitor({"loss": [1.0], "val_loss": [2.0]})
        'val_loss'
    """
    return "val_loss" if "val_loss" in history else "loss"


def best_epoch(history: History, monitor: str | None = None) -> int | None:
    """Return the 0-based epoch with the best finite ``monitor`` value.

    Lower is better for losses and errors, higher for accuracy-like metrics
    (see `higher_is_better`). Returns None when ``monitor`` has no finite
    value.

    Examples:
        >>> best_epoch({"loss": [3.0, 1.0, 2.0]})
        1
        >>> best_epoch({"val_accuracy": [0.7, 0.9, 0.8]}, "val_accuracy")
        1
    """
    name = monitor or default_monitor(history)
    values = [
        (value, epoch)
        for epoch, value in enumerate(history.get(name, ()))
        if math.isfinite(value)
    ]
    if not values:
        return None
    if higher_is_better(name):
        return max(values, key=lambda item: (item[0], -item[1]))[1]
    return min(values)[1]


def read_metrics_csv(path: str | Path) -> dict[str, list[float]]:
    r"""Read a per-epoch metrics CSV (as ``keras.callbacks.CSVLogger`` writes it).

    Empty or ``NA`` fields become NaN.

    Raises:
        DataError: if the file has no header line or a field is not a number.

    Examples:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "metrics.csv"
        >>> _ = path.write_text("epoch,loss,val_loss\n0,1.5,NA\n1,0.5,0.7\n")
        >>> read_metrics_csv(path)["val_loss"]
        [nan, 0.7]
    """
    with Path(path).open(newline="", encoding="utf-8") as stream:
        rows = list(csv.reader(stream))
    if not rows:
        raise DataError(f"{path} is empty; a metrics log starts with a header line.")
    header, *body = rows
    columns: dict[str, list[float]] = {name: [] for name in header}
    for line, row in enumerate(body, start=2):
        for name, field in zip(header, row, strict=True):
            try:
                value = float(field) if field not in ("", "NA") else math.nan
            except ValueError:
                raise DataError(
                    f"{path}, line {line}: column {name!r} holds {field!r}, which "
                    f"is not a number."
                ) from None
            columns[name].append(value)
    return columns
