"""A real browser renders the report: headless Chromium, where it is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest

import tfstarter as tfs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_chromium_renders_the_report(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 3, size=40)
    outputs = rng.dirichlet(np.ones(3), size=40)
    inputs = tfs.report.ReportInputs(
        title="browser/version_0",
        history={"loss": [1.0, 0.6, 0.5], "val_loss": [1.1, 0.8, 0.9]},
        task="classification",
        y_true=y_true,
        outputs=outputs,
        test_metrics={"accuracy": 0.5},
    )
    page = tfs.report.write_report(tmp_path / "run", inputs)
    dom = chromium(tmp_path / "profile-dom", "--dump-dom", page.as_uri()).stdout
    assert "<h1>browser/version_0</h1>" in dom
    assert dom.count("<img ") == 2
    shot = tmp_path / "shot.png"
    chromium(
        tmp_path / "profile-shot",
        "--window-size=1200,1600",
        f"--screenshot={shot}",
        page.as_uri(),
    )
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[:2] == (1600, 1200)
    assert pixels[..., :3].std() > 0.05  # the page drew text and plots, not a blank
