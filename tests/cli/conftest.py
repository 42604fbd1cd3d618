"""Helpers for the `tfstarter` command's tests: run it in-process, make tiny data."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tfstarter.cli import main

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO / "examples" / "configs"


@dataclass(frozen=True)
class Result:
    """What one `tfstarter` invocation did."""

    code: int
    out: str
    err: str

    @property
    def run(self) -> Path:
        """The run folder named by the last line ``train`` prints."""
        last = self.out.strip().splitlines()[-1]
        assert last.startswith("run: "), self.out
        return Path(last.removeprefix("run: "))


def run_cli(*args: str | Path) -> Result:
    """Run ``tfstarter ARGS`` in this process and capture its output."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main([str(arg) for arg in args])
        except SystemExit as exit_:  # --help
            code = int(exit_.code or 0)
    return Result(code, out.getvalue(), err.getvalue())


def write_config(folder: Path, name: str, text: str) -> Path:
    """Write a YAML config file and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


REGRESSION_CONFIG = """\
seed: 3
data:
  source: synthetic_regression
  samples: 240
  features: 3
  noise: 0.1
model:
  class_path: tfstarter.models.dense
  init_args:
    hidden: [8]
    dropout: 0.1
trainer:
  loop: custom
fit:
  epochs: 3
  schedule: cosine
export:
  formats: [keras]
"""
"""A tiny regression run: dropout and shuffling, so repeating it exactly means
the seeds reach every random choice."""


def write_image_folder(
    root: Path, *, per_class: int = 30, flat: bool = False, seed: int = 0
) -> Path:
    """Write 8x8 grayscale PNGs of three easy classes (bright top, left, or none).

    With ``flat`` the images go straight into ``root`` (a folder to predict
    on); otherwise into one subfolder per class.
    """
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    for label, name in enumerate(("dark", "left", "top")):
        folder = root if flat else root / name
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            pixels = rng.integers(0, 60, size=(8, 8, 1))
            if label == 1:
                pixels[:, :4] += 180
            elif label == 2:
                pixels[:4, :] += 180
            encoded = tf.io.encode_png(tf.constant(pixels.astype("uint8")))
            tf.io.write_file(str(folder / f"{name}_{index:03d}.png"), encoded)
    return root


IMAGES_CONFIG = """\
seed: 0
data:
  source: images
  path: {path}
  color_mode: grayscale
  validation_split: 0.2
  test_split: 0.3
  batch_size: 16
model:
  class_path: tfstarter.models.cnn
  init_args:
    filters: [4]
    hidden: [8]
    rescale: 0.00392156862745098
    learning_rate: 0.01
fit:
  epochs: 3
  tensorboard: false
export:
  formats: [keras]
"""


@pytest.fixture(scope="session")
def train_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str, str], Result]:
    """Train a config (text) once per session and name; return its result."""
    cache: dict[str, Result] = {}

    def train(name: str, text: str, *extra: str) -> Result:
        key = "\n".join((name, text, *extra))
        if key not in cache:
            folder = tmp_path_factory.mktemp(name)
            config = write_config(folder, name, text)
            result = run_cli(
                "train", "--config", config, "--runs-dir", folder / "runs", *extra
            )
            assert result.code == 0, result.err
            cache[key] = result
        return cache[key]

    return train


@pytest.fixture(scope="session")
def regression_run(train_run: Callable[..., Result]) -> Result:
    """The tiny regression run (trained once per session)."""
    return train_run("regression", REGRESSION_CONFIG, "--quiet")


@pytest.fixture(scope="session")
def image_run(
    train_run: Callable[..., Result], tmp_path_factory: pytest.TempPathFactory
) -> Result:
    """A tiny image-classifier run on a folder of PNGs (trained once per session)."""
    images = write_image_folder(tmp_path_factory.mktemp("images") / "train")
    return train_run("images", IMAGES_CONFIG.format(path=images))


@pytest.fixture(scope="session")
def cli() -> Callable[..., Result]:
    """``cli("train", "--config", path)`` runs the command in-process."""
    return run_cli


@pytest.fixture(scope="session")
def images_writer() -> Callable[..., Path]:
    """``images_writer(root, per_class=..., flat=...)`` writes tiny PNG classes."""
    return write_image_folder


@pytest.fixture(scope="session")
def regression_config() -> str:
    """The text of the tiny regression config."""
    return REGRESSION_CONFIG
