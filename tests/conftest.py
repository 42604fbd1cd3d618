"""Test configuration, deliberately stricter than a user's.

* Warnings are errors (see ``filterwarnings`` in ``pyproject.toml``; only named
  third-party warnings are ignored).
* Every test starts from the same seeds (Python, NumPy, TensorFlow) and a
  clean Keras session; TensorFlow op determinism is on.
* Hypothesis runs a fixed number of examples without deadlines (TensorFlow's
  first call traces a graph, which is slow but not a bug); under ``CI`` the
  examples are derandomized so a run is reproducible.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import hypothesis
import pytest

SEED = 1234
REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}

hypothesis.settings.register_profile(
    "default",
    deadline=None,
    max_examples=15,
    print_blob=True,
    suppress_health_check=[hypothesis.HealthCheck.too_slow],
)
hypothesis.settings.register_profile(
    "ci", parent=hypothesis.settings.get_profile("default"), derandomize=True
)
hypothesis.settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci" if IN_CI else "default")
)


def pytest_configure(config: pytest.Config) -> None:
    del config
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()


@pytest.fixture(autouse=True)
def _seeded_clean_session() -> Iterator[None]:
    import keras

    keras.utils.set_random_seed(SEED)
    yield
    keras.backend.clear_session()


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The folder with the real ``mnist/`` and ``fashion-mnist/`` IDX files.

    Taken from ``$TFSTARTER_DATA_DIR``, else ``../shared/data`` beside the
    repository. Missing data skips the test locally but fails it under CI.
    """
    configured = os.environ.get("TFSTARTER_DATA_DIR")
    path = Path(configured) if configured else SHARED_DATA
    if not (path / "mnist").is_dir():
        message = (
            f"real MNIST files not found in {path}; set TFSTARTER_DATA_DIR to the "
            f"folder holding mnist/ and fashion-mnist/"
        )
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture
def real_data_env(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``$TFSTARTER_DATA_DIR`` at the real data for one test."""
    monkeypatch.setenv("TFSTARTER_DATA_DIR", str(data_dir))
    return data_dir


@pytest.fixture
def isolated_keras_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty Keras home, so the user's ``~/.keras`` cache is not consulted."""
    home = tmp_path / "keras_home"
    home.mkdir()
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.delenv("TFSTARTER_DATA_DIR", raising=False)
    return home
