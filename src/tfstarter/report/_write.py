"""`write_report`: the plots as PNG files and the self-contained ``report.html``."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from tfstarter._atomic import staged
from tfstarter.report._class_scores import class_scores
from tfstarter.report._confusion import confusion_matrix
from tfstarter.report._figures import DPI
from tfstarter.report._history import best_epoch, default_monitor, metric_names
from tfstarter.report._html import Plot, exports_table, render_page, scores_table
from tfstarter.report._inputs import ReportInputs
from tfstarter.report._learning_curves import learning_curves
from tfstarter.report._learning_rate import learning_rate_curve
from tfstarter.report._mistakes import mistakes_grid
from tfstarter.report._predictions import class_count, predicted_classes
from tfstarter.report._regression import predicted_vs_actual, residuals

REPORT_FILE = "report.html"
"""The report's file name inside the folder."""

PLOTS_FOLDER = "plots"
"""The folder, inside the report's, that holds the PNG files."""

_CURVES = "Learning curves"
_CLASSES = "Classes"
_MISTAKES = "Most confident mistakes"
_REGRESSION = "Predictions"
_EXPORTS = "Exports"


def _plot(folder: Path, name: str, title: str, figure: Figure, caption: str) -> Plot:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    png = buffer.getvalue()
    target = folder / PLOTS_FOLDER / f"{name}.png"
    with staged(target, kind="file", overwrite=True) as temp:
        temp.write_bytes(png)
    return Plot(name=name, title=title, png=png, caption=caption)


def _curves(folder: Path, inputs: ReportInputs) -> tuple[str, list[Plot]]:
    history = inputs.history
    monitor = inputs.monitor or default_monitor(history)
    best = best_epoch(history, monitor)
    epochs = max((len(history[name]) for name in metric_names(history)), default=0)
    text = f"{epochs} epoch(s)."
    if best is not None:
        text += f" Best epoch: {best + 1}, by {monitor} = {history[monitor][best]:.4g}."
    plots = [
        _plot(
            folder,
            "learning_curves",
            "learning curves",
            learning_curves(history, monitor=monitor),
            "Training (blue) and validation (orange) per epoch; the dashed line "
            "marks the best epoch.",
        )
    ]
    if any(key in history for key in ("learning_rate", "lr")):
        plots.append(
            _plot(
                folder,
                "learning_rate",
                "learning rate",
                learning_rate_curve(history),
                "The learning rate of each epoch (the last batch's, for a "
                "schedule that changes it every batch).",
            )
        )
    return f"<p>{text}</p>", plots


def _classification(
    folder: Path, inputs: ReportInputs
) -> list[tuple[str, str, list[Plot]]]:
    y_true = np.asarray(inputs.y_true, dtype=np.int64).ravel()
    outputs = np.asarray(inputs.outputs, dtype=np.float64)
    y_pred, _ = predicted_classes(outputs)
    classes = class_count(y_true, outputs)
    names = inputs.class_names
    matrix = _plot(
        folder,
        "confusion_matrix",
        "confusion matrix",
        confusion_matrix(y_true, y_pred, classes=classes, class_names=names),
        "Rows: true class; columns: predicted class. Right: each row divided by "
        "its total (the diagonal is each class's recall).",
    )
    scores = class_scores(y_true, y_pred, classes=classes, class_names=names)
    accuracy = float((y_pred == y_true).mean()) if y_true.size else float("nan")
    intro = (
        f"<p>{y_true.size:,} test samples, {int((y_pred != y_true).sum()):,} wrong "
        f"(accuracy {accuracy:.2%}).</p>"
    )
    sections = [(_CLASSES, intro + scores_table(scores), [matrix])]
    images, indices = inputs.mistake_images, inputs.mistake_indices
    if images is not None and indices is not None and len(indices) > 0:
        grid = _plot(
            folder,
            "mistakes",
            "most confident mistakes",
            mistakes_grid(images, y_true[indices], outputs[indices], class_names=names),
            "The wrong test predictions the model was surest of: true label, "
            "predicted label and its probability.",
        )
        sections.append((_MISTAKES, "", [grid]))
    return sections


def _regression(folder: Path, inputs: ReportInputs) -> tuple[str, list[Plot]]:
    y_true = np.asarray(inputs.y_true, dtype=np.float64)
    y_pred = np.asarray(inputs.outputs, dtype=np.float64).reshape(y_true.shape)
    error = (y_pred - y_true).ravel()
    text = (
        f"<p>{len(y_true):,} test samples; mean absolute error "
        f"{np.abs(error).mean():.4g}, mean error (bias) {error.mean():.4g}.</p>"
    )
    plots = [
        _plot(
            folder,
            "predicted_vs_actual",
            "predicted vs actual",
            predicted_vs_actual(y_true, y_pred),
            "Each test sample; points on the green line are predicted exactly.",
        ),
        _plot(
            folder,
            "residuals",
            "residuals",
            residuals(y_true, y_pred),
            "Prediction errors: no pattern on the left and a narrow histogram "
            "around 0 mean a good fit.",
        ),
    ]
    return text, plots


def write_report(folder: str | Path, inputs: ReportInputs) -> Path:
    """Write the plots to ``folder/plots/*.png`` and the page to ``folder/report.html``.

    The page is self-contained (the images are embedded), so it can be
    mailed or attached on its own; the PNG files are there for slides and
    docs. Headline: the test metrics and ``inputs.facts``; then the
    learning curves and learning rate; for a classifier the confusion matrix,
    per-class precision / recall / F1 / support and the most confident
    mistakes (for images); for regression predicted-vs-actual and the
    residuals; then the exports, the environment and the configuration.

    Args:
        folder: the folder to write into (created if missing).
        inputs: what to show.

    Returns:
        The path of ``report.html``.

    Examples:
        >>> import tempfile
        >>> inputs = ReportInputs(
        ...     title="demo",
        ...     history={"loss": [0.9, 0.5], "val_loss": [1.0, 0.7]},
        ...     task="regression",
        ...     y_true=np.array([1.0, 2.0, 3.0]),
        ...     outputs=np.array([[1.1], [1.8], [3.1]]),
        ...     test_metrics={"loss": 0.02},
        ... )
        >>> path = write_report(tempfile.mkdtemp(), inputs)
        >>> sorted(p.name for p in (path.parent / "plots").iterdir())
        ['learning_curves.png', 'predicted_vs_actual.png', 'residuals.png']
    """
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    sections: list[tuple[str, str]] = []
    plots: dict[str, list[Plot]] = {}
    text, curves = _curves(root, inputs)
    sections.append((_CURVES, text))
    plots[_CURVES] = curves
    if inputs.task == "classification":
        for heading, content, extra in _classification(root, inputs):
            sections.append((heading, content))
            plots[heading] = extra
    else:
        text, extra = _regression(root, inputs)
        sections.append((_REGRESSION, text))
        plots[_REGRESSION] = extra
    if inputs.exports:
        sections.append((_EXPORTS, exports_table(inputs.exports)))
    page = render_page(
        title=inputs.title,
        subtitle=f"{inputs.task} run report",
        test_metrics=inputs.test_metrics,
        facts=inputs.facts,
        sections=sections,
        plots=plots,
        config_text=inputs.config_text,
        environment=inputs.environment,
    )
    target = root / REPORT_FILE
    with staged(target, kind="file", overwrite=True) as temp:
        temp.write_text(page, encoding="utf-8")
    return target
