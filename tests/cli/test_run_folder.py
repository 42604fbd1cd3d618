"""`tfstarter train` writes a run folder that tells the whole story of the run."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import keras
import matplotlib.image
import numpy as np
import yaml

import tfstarter


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[dict[str, str | None]] = []
        self.links: list[str] = []
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        self._in_heading = tag in ("h1", "h2")

    def handle_data(self, data: str) -> None:
        if self._in_heading:
            self.headings.append(data)
            self._in_heading = False


def parse_report(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def test_the_last_line_names_the_run(regression_run: Any) -> None:
    run = regression_run.run
    assert run.name == "version_0"
    assert run.parent.name == "regression"
    assert run.is_dir()


def test_run_folder_holds_every_file(regression_run: Any) -> None:
    names = {path.name for path in regression_run.run.iterdir()}
    assert {
        "config.yaml",
        "env.json",
        "metrics.csv",
        "tensorboard",
        "model.keras",
        "export",
        "plots",
        "report.html",
        "run.json",
        "predictions.npz",
    } <= names


def test_metrics_csv_has_one_row_per_epoch(regression_run: Any) -> None:
    with (regression_run.run / "metrics.csv").open() as stream:
        rows = list(csv.DictReader(stream))
    assert [row["epoch"] for row in rows] == ["0", "1", "2"]
    for column in (
        "loss",
        "mae",
        "val_loss",
        "val_mae",
        "learning_rate",
        "epoch_seconds",
    ):
        assert all(float(row[column]) >= 0 for row in rows), column
    rates = [float(row["learning_rate"]) for row in rows]
    assert rates[0] > rates[1] > rates[2]  # the cosine schedule


def test_env_json_holds_the_versions_and_the_command(regression_run: Any) -> None:
    env = json.loads((regression_run.run / "env.json").read_text())
    versions = env["versions"]
    assert versions["tfstarter"] == tfstarter.__version__
    assert versions["tensorflow"] and versions["keras"] and versions["python"]
    assert env["seed"] == 3
    assert env["cpu"]
    assert env["command"].startswith("tfstarter train --config ")
    assert "git_commit" in env
    assert env["tf_enable_onednn_opts"] == os.environ.get("TF_ENABLE_ONEDNN_OPTS")


def test_config_yaml_is_resolved(regression_run: Any) -> None:
    config = yaml.safe_load((regression_run.run / "config.yaml").read_text())
    assert config["name"] == "regression"
    assert config["seed"] == 3
    assert config["fit"]["epochs"] == 3
    assert config["data"]["batch_size"] == 32  # the default, written out
    assert config["model"]["class_path"] == "tfstarter.models.dense"
    assert config["model"]["init_args"]["hidden"] == [8]
    assert config["trainer"]["jit_compile"] == "auto"
    assert "quiet" not in config and "config" not in config


def test_plots_are_pngs_that_decode(regression_run: Any) -> None:
    plots = sorted((regression_run.run / "plots").glob("*.png"))
    assert {path.stem for path in plots} == {
        "learning_curves",
        "learning_rate",
        "predicted_vs_actual",
        "residuals",
    }
    for path in plots:
        pixels = matplotlib.image.imread(path)
        assert pixels.ndim == 3 and min(pixels.shape[:2]) > 100


def test_report_parses_and_names_every_plot(regression_run: Any) -> None:
    run = regression_run.run
    page = parse_report(run / "report.html")
    plots = {f"plots/{path.name}" for path in (run / "plots").glob("*.png")}
    assert plots <= set(page.links)
    for image in page.images:
        assert (image.get("src") or "").startswith("data:image/png;base64,")
    alts = " ".join(str(image.get("alt")) for image in page.images)
    for plot in plots:
        assert plot in alts
    assert "Learning curves" in page.headings
    assert "Configuration" in page.headings


def test_model_and_export_reload(regression_run: Any) -> None:
    run = regression_run.run
    model = keras.models.load_model(run / "model.keras")
    assert model.output_shape == (None, 1)
    manifest = json.loads((run / "export" / "manifest.json").read_text())
    assert [entry["key"] for entry in manifest["artifacts"]] == ["keras"]
    assert manifest["artifacts"][0]["verification"]["passed"] is True


def test_tensorboard_logs_are_written(regression_run: Any) -> None:
    events = list((regression_run.run / "tensorboard").rglob("events.out.tfevents.*"))
    assert events


def test_run_json_has_the_headline_numbers(regression_run: Any) -> None:
    summary = json.loads((regression_run.run / "run.json").read_text())
    assert summary["task"] == "regression"
    assert set(summary["test_metrics"]) == {"loss", "mae"}
    assert summary["epochs_run"] == 3
    assert summary["train_seconds"] > 0 and summary["samples_per_second"] > 0
    assert summary["train_samples"] + summary["validation_samples"] == 192
    assert summary["test_samples"] == 48
    stored = np.load(regression_run.run / "predictions.npz")
    assert stored["outputs"].shape == (48, 1)


def test_train_prints_epoch_summaries_and_the_test_metrics(regression_run: Any) -> None:
    lines = regression_run.out.splitlines()
    epochs = [line for line in lines if line.startswith("epoch ")]
    assert [line.split()[1] for line in epochs] == ["1/3", "2/3", "3/3"]
    assert "samples/s" in epochs[0]
    assert any(line.startswith("test: loss ") for line in lines)


def test_rerunning_the_saved_config_counts_up_and_repeats_the_metrics(
    regression_run: Any, cli: Callable[..., Any]
) -> None:
    first = regression_run.run
    again = cli(
        "train",
        "--config",
        first / "config.yaml",
        "--runs-dir",
        first.parent.parent,
        "--quiet",
    )
    assert again.code == 0, again.err
    assert again.run == first.parent / "version_1"

    def metrics(run: Path) -> list[dict[str, str]]:
        with (run / "metrics.csv").open() as stream:
            rows = list(csv.DictReader(stream))
        for row in rows:
            del row["epoch_seconds"]  # wall-clock time, the one column that varies
        return rows

    assert metrics(again.run) == metrics(first)
    assert (again.run / "config.yaml").read_text() == (
        first / "config.yaml"
    ).read_text()
