"""`write_report` writes the PNGs and one self-contained page that shows them all."""

from __future__ import annotations

import re
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.errors import ConfigError, DataError


def classification_inputs() -> tfs.report.ReportInputs:
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, size=60)
    outputs = rng.dirichlet(np.ones(3), size=60)
    wrong = tfs.report.confident_mistakes(y_true, outputs, count=4)
    return tfs.report.ReportInputs(
        title="demo/version_0",
        history={
            "loss": [1.0, 0.6],
            "val_loss": [1.1, 0.9],
            "accuracy": [0.4, 0.6],
            "val_accuracy": [0.35, 0.5],
            "learning_rate": [0.01, 0.005],
        },
        task="classification",
        y_true=y_true,
        outputs=outputs,
        test_metrics={"accuracy": 0.5, "loss": 0.9},
        class_names=("cat", "dog", "owl"),
        mistake_images=rng.integers(0, 255, size=(len(wrong), 8, 8)),
        mistake_indices=wrong,
        facts=[("training time", "3.0 s")],
        exports=[{"key": "keras", "bytes": 2048, "passed": True, "max_abs_diff": 0.0}],
        config_text="seed: 0\n<script>",
        environment={"tensorflow": "2.21.0"},
    )


def test_classification_report(tmp_path: Path) -> None:
    page_path = tfs.report.write_report(tmp_path, classification_inputs())
    assert page_path == tmp_path / "report.html"
    plots = sorted(path.name for path in (tmp_path / "plots").iterdir())
    assert plots == [
        "confusion_matrix.png",
        "learning_curves.png",
        "learning_rate.png",
        "mistakes.png",
    ]
    for name in plots:
        assert matplotlib.image.imread(tmp_path / "plots" / name).ndim == 3
    page = page_path.read_text()
    for name in plots:
        assert f'href="plots/{name}"' in page
    assert page.count('src="data:image/png;base64,') == 4
    assert "50.00%" in page and "test accuracy" in page
    assert "<td>owl</td>" in page and "macro mean" in page
    assert "2.0 KiB" in page and "passed" in page
    assert "&lt;script&gt;" in page and "<script>" not in page  # escaped config
    assert re.search(r"<h2>Most confident mistakes</h2>", page)


def test_report_without_mistake_images(tmp_path: Path) -> None:
    inputs = classification_inputs()
    plain = tfs.report.ReportInputs(
        title="t",
        history=inputs.history,
        task="classification",
        y_true=inputs.y_true,
        outputs=inputs.outputs,
    )
    tfs.report.write_report(tmp_path, plain)
    assert not (tmp_path / "plots" / "mistakes.png").exists()


def test_report_inputs_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"`task` must be one of"):
        tfs.report.ReportInputs(
            title="t",
            history={},
            task="ranking",  # type: ignore[arg-type]
            y_true=np.zeros(2),
            outputs=np.zeros((2, 1)),
        )
    with pytest.raises(DataError, match=r"y_true"):
        tfs.report.ReportInputs(
            title="t",
            history={},
            task="regression",
            y_true=np.zeros(3),
            outputs=np.zeros((2, 1)),
        )
