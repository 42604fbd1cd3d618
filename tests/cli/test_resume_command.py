"""``tfstarter train --resume RUN``: a stopped run goes on and ends as an unstopped one.

A tiny regression run (dropout, shuffling, a cosine schedule) is stopped with
SIGTERM part-way (the command writes a backup into the run's ``backup/`` and
exits with 143), then resumed with ``--resume``; its ``metrics.csv`` must
equal that of a run that was never stopped (all but the wall-clock column).
Runs as its own step of ``.ci/run`` (``pytest -m kills``).
"""

from __future__ import annotations

import csv
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.kills

EPOCHS = 40


def _command(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "tfstarter", *(str(a) for a in args)]


def _rows(run: Path) -> list[dict[str, str]]:
    with (run / "metrics.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row.pop("epoch_seconds", None)
    return rows


def _config(tmp_path: Path, regression_config: str) -> Path:
    text = regression_config.replace("  epochs: 3", f"  epochs: {EPOCHS}")
    path = tmp_path / "tiny.yaml"
    path.write_text(text)
    return path


def test_a_stopped_run_resumes_to_the_same_metrics(tmp_path, regression_config):
    config = _config(tmp_path, regression_config)
    reference = subprocess.run(
        _command("train", "--config", config, "--runs-dir", tmp_path / "a", "--quiet"),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    reference_run = Path(
        reference.stdout.strip().splitlines()[-1].removeprefix("run: ")
    )

    runs = tmp_path / "b"
    process = subprocess.Popen(
        _command("train", "--config", config, "--runs-dir", runs, "--quiet"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    metrics = runs / "tiny" / "version_0" / "metrics.csv"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if metrics.is_file() and len(metrics.read_text().splitlines()) >= 4:
            break
        time.sleep(0.02)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=300)
    if process.returncode == 0:
        pytest.skip("the run finished before SIGTERM arrived")
    assert process.returncode == 143, err[-3000:]
    assert "stopped by SIGTERM" in err and "Run the same command again" in err
    run = runs / "tiny" / "version_0"
    assert (run / "backup" / "checkpoint").is_file()
    assert not (run / "run.json").exists()

    resumed = subprocess.run(
        _command("train", "--resume", run, "--quiet"),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stdout.strip().splitlines()[-1] == f"run: {run}"
    assert _rows(run) == _rows(reference_run)
    assert len(_rows(run)) == EPOCHS
    assert not (run / "backup").exists()


def test_resume_refuses_a_finished_run(tmp_path, regression_run):
    done = subprocess.run(
        _command("train", "--resume", regression_run.run),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode != 0
    assert "that run has finished" in done.stderr
