"""Plots and the HTML run report: learning curves, confusion matrix, mistakes.

Every plot function returns a `matplotlib.figure.Figure` (made without
``pyplot``, so it works headless); save it with ``figure.savefig(path)``.
`write_report` puts them all, with the headline numbers, in one
self-contained ``report.html`` (the ``tfstarter`` command writes one into
every run folder). Needs matplotlib (``pip install "tfstarter[cli]"``).

Examples:
    >>> import tfstarter as tfs
    >>> history = {"loss": [0.9, 0.4, 0.3], "val_loss": [1.0, 0.6, 0.65]}
    >>> figure = tfs.report.learning_curves(history)
    >>> figure.axes[0].get_title()
    'loss'
    >>> tfs.report.confusion_matrix([0, 1, 1], [0, 1, 0], classes=2).axes[0].get_title()
    'counts'
"""

from __future__ import annotations

from tfstarter.report._class_scores import ClassScores, class_scores
from tfstarter.report._confusion import confusion_matrix
from tfstarter.report._history import best_epoch, read_metrics_csv
from tfstarter.report._inputs import ReportInputs
from tfstarter.report._learning_curves import learning_curves
from tfstarter.report._learning_rate import learning_rate_curve
from tfstarter.report._mistakes import confident_mistakes, mistakes_grid
from tfstarter.report._predictions import predicted_classes
from tfstarter.report._regression import predicted_vs_actual, residuals
from tfstarter.report._write import write_report

__all__ = [
    "ClassScores",
    "ReportInputs",
    "best_epoch",
    "class_scores",
    "confident_mistakes",
    "confusion_matrix",
    "learning_curves",
    "learning_rate_curve",
    "mistakes_grid",
    "predicted_classes",
    "predicted_vs_actual",
    "read_metrics_csv",
    "residuals",
    "write_report",
]
