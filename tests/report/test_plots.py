"""Each report plot draws what it says, and rejects what it cannot draw."""

from __future__ import annotations

import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import DataError


def test_learning_curves_one_panel_per_metric_with_the_best_epoch() -> None:
    history = {
        "loss": [1.0, 0.5, 0.4],
        "val_loss": [1.1, 0.6, 0.7],
        "accuracy": [0.5, 0.8, 0.9],
        "val_accuracy": [0.5, 0.7, 0.68],
        "learning_rate": [0.1, 0.1, 0.1],
        "epoch_seconds": [1.0, 1.0, 1.0],
    }
    figure = tfs.report.learning_curves(history)
    assert [axes.get_title() for axes in figure.axes] == ["loss", "accuracy"]
    loss_axes = figure.axes[0]
    labels = [line.get_label() for line in loss_axes.get_lines()]
    assert labels == ["training", "validation", "best epoch (2, by val_loss)"]
    best_line = loss_axes.get_lines()[2]
    assert list(best_line.get_xdata()) == [2, 2]


def test_learning_curves_by_another_monitor() -> None:
    history = {"loss": [1.0, 0.5], "val_accuracy": [0.9, 0.8], "accuracy": [0.6, 0.7]}
    figure = tfs.report.learning_curves(history, monitor="val_accuracy")
    assert (
        figure.axes[0].get_lines()[-1].get_label() == "best epoch (1, by val_accuracy)"
    )


def test_learning_curves_need_a_metric() -> None:
    with pytest.raises(DataError, match=r"`history` has no per-epoch metric to plot"):
        tfs.report.learning_curves({"learning_rate": [0.1]})


def test_learning_rate_curve_and_its_error() -> None:
    figure = tfs.report.learning_rate_curve({"learning_rate": [0.1, 0.1]})
    assert figure.axes[0].get_yscale() == "linear"
    with pytest.raises(DataError, match=r"`history` has no finite learning rate"):
        tfs.report.learning_rate_curve({"loss": [1.0]})


def test_best_epoch() -> None:
    assert tfs.report.best_epoch({"val_loss": [3.0, float("nan"), 1.0]}) == 2
    assert tfs.report.best_epoch({"loss": [2.0, 1.0]}, "val_loss") is None
    assert tfs.report.best_epoch({"val_auc": [0.7, 0.9, 0.9]}, "val_auc") == 1


def test_confusion_matrix_counts_and_shares() -> None:
    figure = tfs.report.confusion_matrix(
        [0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 2, 0], classes=3, class_names=["a", "b", "c"]
    )
    counts, shares = figure.axes[0], figure.axes[2]
    assert counts.get_title() == "counts"
    cells = [text.get_text() for text in counts.texts]
    assert cells == ["1", "1", "0", "0", "1", "0", "1", "0", "2"]
    assert [text.get_text() for text in shares.texts][:3] == ["0.50", "0.50", "0"]
    assert [tick.get_text() for tick in counts.get_xticklabels()] == ["a", "b", "c"]


def test_confusion_matrix_names_must_match_the_classes() -> None:
    with pytest.raises(DataError, match=r"`class_names` has 2 names for 3 classes"):
        tfs.report.confusion_matrix([0], [0], classes=3, class_names=["a", "b"])


def test_class_scores() -> None:
    scores = tfs.report.class_scores([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], classes=2)
    assert [(s.name, s.support) for s in scores] == [("0", 2), ("1", 3)]
    assert scores[1].precision == pytest.approx(2 / 3)
    assert scores[1].recall == pytest.approx(2 / 3)
    assert scores[0].f1 == pytest.approx(0.5)
    empty = tfs.report.class_scores([0, 0], [0, 0], classes=2)[1]
    assert (empty.precision, empty.recall, empty.f1) == (0.0, 0.0, 0.0)


def test_predicted_classes_from_softmax_and_sigmoid() -> None:
    labels, confidence = tfs.report.predicted_classes([[0.2, 0.7, 0.1]])
    assert labels.tolist() == [1] and confidence.tolist() == [0.7]
    labels, confidence = tfs.report.predicted_classes(np.array([0.2, 0.9]))
    assert labels.tolist() == [0, 1]
    assert confidence.tolist() == pytest.approx([0.8, 0.9])
    with pytest.raises(DataError, match=r"`outputs` must be \(samples, classes\)"):
        tfs.report.predicted_classes(np.zeros((2, 2, 2)))


def test_confident_mistakes_and_their_grid() -> None:
    outputs = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    y_true = np.array([1, 1, 1, 0])
    wrong = tfs.report.confident_mistakes(y_true, outputs, count=2)
    assert wrong.tolist() == [0, 3]
    images = np.random.default_rng(0).integers(0, 255, size=(2, 8, 8, 3))
    figure = tfs.report.mistakes_grid(
        images, y_true[wrong], outputs[wrong], class_names=["cat", "dog"]
    )
    assert [axes.get_title() for axes in figure.axes] == [
        "true dog\npred cat (90%)",
        "true cat\npred dog (70%)",
    ]


def test_mistakes_grid_needs_images() -> None:
    with pytest.raises(
        DataError, match=r"`images` must be a non-empty batch of images"
    ):
        tfs.report.mistakes_grid(np.zeros((2, 5)), [0, 1], [[1.0, 0.0], [0.0, 1.0]])


def test_regression_plots_and_their_errors() -> None:
    figure = tfs.report.predicted_vs_actual([1.0, 2.0], [1.5, 2.5])
    assert figure.axes[0].get_title() == "predicted vs actual"
    figure = tfs.report.residuals(np.array([[1.0], [2.0]]), np.array([[1.5], [2.5]]))
    assert figure.axes[1].get_title() == "residuals"
    with pytest.raises(
        DataError, match=r"`y_true` .* and `y_pred` .* must hold the same"
    ):
        tfs.report.residuals(np.zeros((2, 2)), np.zeros((2, 1)))


def test_read_metrics_csv_rejects_text(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "m.csv"
    path.write_text("epoch,loss\n0,oops\n")
    with pytest.raises(DataError, match=r"line 2: column 'loss' holds 'oops'"):
        tfs.report.read_metrics_csv(path)
    path.write_text("")
    with pytest.raises(
        DataError, match=r"is empty; a metrics log starts with a header"
    ):
        tfs.report.read_metrics_csv(path)
