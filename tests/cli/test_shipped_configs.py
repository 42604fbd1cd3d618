"""Every config in examples/configs trains, on a small slice of its data."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tfstarter.cli._quiet import is_noise

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "examples" / "configs"
SHIPPED = sorted(path.stem for path in CONFIGS.glob("*.yaml"))

QUICK = {
    "linear_regression": ["--data.samples=200", "--fit.epochs=2"],
    "logistic_regression": ["--data.samples=300", "--fit.epochs=2"],
    "csv_regression": ["--data.limit=200", "--fit.epochs=2"],
}
"""Configs on synthetic or shipped data: fast enough for every test run."""

SLICE = ["--data.limit=3000", "--data.test_limit=500", "--fit.epochs=1"]
REAL_DATA = {"mnist_cnn": SLICE, "mnist_dense": SLICE, "fashion_mnist_cnn": SLICE}
"""Configs on MNIST / Fashion-MNIST, run as shipped (every export) on a slice."""


def test_every_shipped_config_is_tested() -> None:
    assert set(SHIPPED) == set(QUICK) | set(REAL_DATA)


def test_the_issue_s_configs_are_shipped() -> None:
    assert {
        "linear_regression",
        "logistic_regression",
        "mnist_dense",
        "mnist_cnn",
        "fashion_mnist_cnn",
        "csv_regression",
    } <= set(SHIPPED)


@pytest.fixture(scope="module")
def quick_runs(
    cli: Callable[..., Any], tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Any]:
    """Train a quick shipped config once per module; return its result."""
    done: dict[str, Any] = {}

    def run(name: str) -> Any:
        if name not in done:
            runs = tmp_path_factory.mktemp("runs")
            with pytest.MonkeyPatch.context() as patch:
                patch.chdir(REPO)  # configs name data paths from the repository root
                done[name] = cli(
                    "train",
                    "--config",
                    CONFIGS / f"{name}.yaml",
                    "--runs-dir",
                    runs,
                    "--quiet",
                    *QUICK[name],
                )
        return done[name]

    return run


@pytest.mark.parametrize("name", sorted(QUICK))
def test_quick_config_trains(name: str, quick_runs: Callable[[str], Any]) -> None:
    result = quick_runs(name)
    assert result.code == 0, result.err
    assert result.run.parent.name == name and result.run.name == "version_0"
    summary = json.loads((result.run / "run.json").read_text())
    assert all(math.isfinite(value) for value in summary["test_metrics"].values())
    manifest = json.loads((result.run / "export" / "manifest.json").read_text())
    shipped = yaml.safe_load((CONFIGS / f"{name}.yaml").read_text())
    assert {entry["format"] for entry in manifest["artifacts"]} == set(
        shipped["export"]["formats"]
    )


def test_csv_run_predicts_on_a_csv_with_its_schema(
    cli: Callable[..., Any], quick_runs: Callable[[str], Any], tmp_path: Path
) -> None:
    run = quick_runs("csv_regression").run
    lines = (CONFIGS / "data" / "houses.csv").read_text().splitlines()
    (tmp_path / "new.csv").write_text("\n".join(lines[:6]) + "\n")  # label column too
    result = cli(
        "predict",
        run,
        "--input",
        tmp_path / "new.csv",
        "--output",
        tmp_path / "prices.csv",
    )
    assert result.code == 0, result.err
    predicted = (tmp_path / "prices.csv").read_text().splitlines()
    assert predicted[0] == "value" and len(predicted) == 6


@pytest.mark.e2e
@pytest.mark.mnist
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(REAL_DATA))
def test_real_data_config_trains_quietly(
    name: str, real_data_env: Path, tmp_path: Path
) -> None:
    """The console script as a user runs it: a fresh process, the shipped config."""
    tfstarter = Path(sys.executable).with_name("tfstarter")
    command = (
        [str(tfstarter)] if tfstarter.exists() else [sys.executable, "-m", "tfstarter"]
    )
    done = subprocess.run(
        [
            *command,
            "train",
            "--config",
            str(CONFIGS / f"{name}.yaml"),
            "--runs-dir",
            str(tmp_path),
            *REAL_DATA[name],
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=REPO,
        env={**os.environ, "TFSTARTER_DATA_DIR": str(real_data_env)},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == f"run: {tmp_path / name / 'version_0'}"
    noisy = [line for line in done.stderr.splitlines() if is_noise(line)]
    assert noisy == [], "TensorFlow start-up noise reached the terminal"
    run = tmp_path / name / "version_0"
    summary = json.loads((run / "run.json").read_text())
    # Above chance, not a converged model: one epoch of ~20 batches leaves batch
    # normalization's moving statistics near their start, so the CNN's test
    # accuracy can be far below its training accuracy (mnist_cnn: 23% against
    # 83% on 2026-12-01). 15% of 500 test images is ~4 standard deviations
    # above chance (10%): labels out of step with the images would not reach it.
    assert summary["test_metrics"]["accuracy"] > 0.15
    plots = {path.stem for path in (run / "plots").glob("*.png")}
    assert {"learning_curves", "confusion_matrix", "mistakes"} <= plots
    manifest = json.loads((run / "export" / "manifest.json").read_text())
    assert all(entry["verification"]["passed"] for entry in manifest["artifacts"])
