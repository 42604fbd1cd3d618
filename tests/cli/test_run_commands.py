"""`evaluate`, `predict`, `export` and `report` on finished runs."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as stream:
        return list(csv.DictReader(stream))


def test_evaluate_prints_the_test_metrics_as_json(
    cli: Callable[..., Any], regression_run: Any
) -> None:
    result = cli("evaluate", regression_run.run)
    assert result.code == 0, result.err
    metrics = json.loads(result.out)
    stored = json.loads((regression_run.run / "run.json").read_text())["test_metrics"]
    assert metrics.keys() == stored.keys()
    for key, value in metrics.items():
        assert value == pytest.approx(stored[key], rel=1e-5)


def test_evaluate_takes_data_overrides(
    cli: Callable[..., Any], regression_run: Any
) -> None:
    everything = json.loads(cli("evaluate", regression_run.run).out)
    few = cli("evaluate", regression_run.run, "--data.test_limit=5")
    assert few.code == 0, few.err
    assert json.loads(few.out)["loss"] != everything["loss"]


def test_predict_on_npy_writes_one_row_per_input(
    cli: Callable[..., Any], regression_run: Any, tmp_path: Path
) -> None:
    inputs = np.random.default_rng(0).normal(size=(7, 3)).astype("float32")
    np.save(tmp_path / "x.npy", inputs)
    result = cli(
        "predict",
        regression_run.run,
        "--input",
        tmp_path / "x.npy",
        "--output",
        tmp_path / "out" / "y.csv",
    )
    assert result.code == 0, result.err
    rows = read_csv(tmp_path / "out" / "y.csv")
    assert len(rows) == 7 and list(rows[0]) == ["value"]
    import keras

    model = keras.models.load_model(regression_run.run / "model.keras")
    expected = model.predict(inputs, verbose=0)[:, 0]
    np.testing.assert_allclose(
        [float(row["value"]) for row in rows], expected, rtol=1e-5
    )


def test_predict_on_csv(
    cli: Callable[..., Any], regression_run: Any, tmp_path: Path
) -> None:
    (tmp_path / "x.csv").write_text("a,b,c\n0.5,1.0,-1.0\n0,0,0\n")
    result = cli(
        "predict",
        regression_run.run,
        "--input",
        tmp_path / "x.csv",
        "--output",
        tmp_path / "y.csv",
    )
    assert result.code == 0, result.err
    assert len(read_csv(tmp_path / "y.csv")) == 2


def test_predict_rejects_inputs_of_the_wrong_shape(
    cli: Callable[..., Any], regression_run: Any, tmp_path: Path
) -> None:
    np.save(tmp_path / "x.npy", np.zeros((2, 5), "float32"))
    result = cli(
        "predict",
        regression_run.run,
        "--input",
        tmp_path / "x.npy",
        "--output",
        tmp_path / "y.csv",
    )
    assert result.code == 1
    assert "holds array of shape (2, 5)" in result.err
    assert "the model takes samples of shape (3,)" in result.err


def test_predict_rejects_an_unknown_input_kind(
    cli: Callable[..., Any], regression_run: Any, tmp_path: Path
) -> None:
    (tmp_path / "x.txt").write_text("1 2 3\n")
    result = cli(
        "predict",
        regression_run.run,
        "--input",
        tmp_path / "x.txt",
        "--output",
        tmp_path / "y.csv",
    )
    assert result.code == 2
    assert "is neither a .npy file, a .csv file nor a folder" in result.err


def test_image_run_reports_the_classes_and_the_mistakes(image_run: Any) -> None:
    run = image_run.run
    summary = json.loads((run / "run.json").read_text())
    assert summary["task"] == "classification"
    assert summary["class_names"] == ["dark", "left", "top"]
    plots = {path.stem for path in (run / "plots").glob("*.png")}
    assert {"learning_curves", "confusion_matrix"} <= plots
    page = (run / "report.html").read_text()
    assert "<td>left</td>" in page  # the per-class table
    assert "precision" in page and "recall" in page and "F1" in page


def test_predict_on_an_image_folder(
    cli: Callable[..., Any],
    image_run: Any,
    images_writer: Callable[..., Path],
    tmp_path: Path,
) -> None:
    folder = images_writer(tmp_path / "new", per_class=2, flat=True, seed=5)
    result = cli(
        "predict", image_run.run, "--input", folder, "--output", tmp_path / "y.csv"
    )
    assert result.code == 0, result.err
    rows = read_csv(tmp_path / "y.csv")
    assert list(rows[0]) == ["file", "class", "class_name", "probability"]
    assert [row["file"] for row in rows] == sorted(
        path.name for path in folder.glob("*.png")
    )
    for row in rows:
        assert row["class_name"] == ["dark", "left", "top"][int(row["class"])]
        assert 0 <= float(row["probability"]) <= 1


def test_export_adds_a_verified_format(cli: Callable[..., Any], image_run: Any) -> None:
    run = image_run.run
    result = cli("export", run, "--format", "tflite")
    assert result.code == 0, result.err
    manifest = json.loads((run / "export" / "manifest.json").read_text())
    keys = [entry["key"] for entry in manifest["artifacts"]]
    assert keys == ["keras", "tflite"]
    assert all(entry["verification"]["passed"] for entry in manifest["artifacts"])
    assert "tflite size" in (run / "report.html").read_text()


def test_report_rebuilds_the_plots_and_the_page(
    cli: Callable[..., Any], regression_run: Any
) -> None:
    run = regression_run.run
    (run / "report.html").unlink()
    for png in (run / "plots").glob("*.png"):
        png.unlink()
    result = cli("report", run)
    assert result.code == 0, result.err
    assert result.out.strip() == f"report: {run / 'report.html'}"
    assert (run / "report.html").is_file()
    assert len(list((run / "plots").glob("*.png"))) == 4
