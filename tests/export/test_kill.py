"""An export killed with SIGKILL leaves its target absent or complete, never partial."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import keras
import numpy as np
import pytest

import tfstarter as tfs

# Exports killed mid-write in child processes: run with the kill suite
# (`pytest -m kills`, its own step of .ci/run).
pytestmark = [pytest.mark.slow, pytest.mark.kills]

CHILD = textwrap.dedent(
    """
    import itertools, os, sys, time
    from pathlib import Path

    import keras
    import numpy as np

    import tfstarter as tfs
    from tfstarter import _atomic

    root, mode, formats = Path(sys.argv[1]), sys.argv[2], sys.argv[3].split(",")
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((256,)), keras.layers.Dense(512), keras.layers.Dense(4)]
    )
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).normal(size=(8, 256)).astype("float32")
    np.save(root / "x.npy", x)
    np.save(root / "expected.npy", np.asarray(model(x)))

    if mode == "block":  # stop between writing and publishing, and wait to be killed
        def block(*args, **kwargs):
            print("PUBLISHING", flush=True)
            time.sleep(600)
        _atomic._publish_file = block
        _atomic._publish_dir = block

    def export(fmt):
        if fmt == "keras":
            tfs.export.keras(model, root / "model.keras", overwrite=True)
        elif fmt == "h5":
            tfs.export.h5(model, root / "model.h5", overwrite=True)
        elif fmt == "tflite":
            tfs.export.tflite(model, root / "model.tflite", overwrite=True)
        elif fmt == "saved_model":
            tfs.export.saved_model(model, root / "serving", version=1, overwrite=True)
        else:
            tfs.export.bundle(
                model, root / "bundle", formats=("keras", "tflite"), overwrite=True
            )

    for round_ in itertools.count():
        for fmt in formats:
            export(fmt)
        print(f"ROUND {round_}", flush=True)
    """
)
TARGETS = {
    "keras": "model.keras",
    "h5": "model.h5",
    "tflite": "model.tflite",
    "saved_model": "serving/1",
    "bundle": "bundle",
}


def _start(root: Path, mode: str, formats: list[str]) -> subprocess.Popen[str]:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(root), mode, ",".join(formats)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )


def _wait_for(child: subprocess.Popen[str], marker: str, timeout: float = 240) -> None:
    assert child.stdout is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = child.stdout.readline()
        if not line:
            pytest.fail(f"child exited (code {child.wait()}) before printing {marker}")
        if line.startswith(marker):
            return
    child.kill()
    pytest.fail(f"child did not print {marker} within {timeout} s")


def _kill(child: subprocess.Popen[str]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.stdout is not None
    child.stdout.close()


def _assert_complete(root: Path, fmt: str) -> None:
    x, expected = np.load(root / "x.npy"), np.load(root / "expected.npy")
    target = root / TARGETS[fmt]
    paths = (
        [target / e for e in ("model.keras", "model.tflite")]
        if fmt == "bundle"
        else [target]
    )
    if fmt == "bundle":
        assert (target / "manifest.json").is_file()
    for path in paths:
        got = tfs.export.load(path).predict(x)
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("fmt", ["saved_model"])  # files: see test_atomic.py
def test_killed_before_publishing_leaves_no_target(tmp_path: Path, fmt: str) -> None:
    child = _start(tmp_path, "block", [fmt])
    _wait_for(child, "PUBLISHING")
    _kill(child)
    target = tmp_path / TARGETS[fmt]
    assert not target.exists()
    leftovers = [p for p in target.parent.iterdir() if ".tmp-" in p.name]
    assert len(leftovers) == 1  # complete but unpublished: the kill came in between
    x, expected = np.load(tmp_path / "x.npy"), np.load(tmp_path / "expected.npy")
    np.testing.assert_allclose(tfs.export.load(leftovers[0]).predict(x), expected)

    # The next export to the same target removes what the dead process left.
    model = keras.Sequential([keras.Input((256,)), keras.layers.Dense(4)])
    if fmt == "keras":
        tfs.export.keras(model, target)
    else:
        tfs.export.saved_model(model, target.parent, version=1)
    assert not [p for p in target.parent.iterdir() if ".tmp-" in p.name]
    assert tfs.export.load(target).predict(x).shape == (8, 4)


@pytest.mark.parametrize("delay", [0.3])
def test_killed_at_any_time_leaves_targets_absent_or_complete(
    tmp_path: Path, delay: float
) -> None:
    formats = list(TARGETS)
    child = _start(tmp_path, "loop", formats)
    _wait_for(child, "ROUND 0")
    time.sleep(delay)
    _kill(child)
    for fmt in formats:
        target = tmp_path / TARGETS[fmt]
        if target.exists():
            _assert_complete(tmp_path, fmt)
        else:
            # only a folder being replaced may be briefly absent; its previous
            # version is then kept beside it under a hidden name, and load()
            # finishes the swap
            assert fmt in ("saved_model", "bundle")
            aside = [p for p in target.parent.iterdir() if ".old-" in p.name]
            assert len(aside) == 1
            _assert_complete(tmp_path, fmt)
            assert not [p for p in target.parent.iterdir() if ".old-" in p.name]


SWAP_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path

    import keras
    import numpy as np

    import tfstarter as tfs

    root, fmt = Path(sys.argv[1]), sys.argv[2]
    x = np.random.default_rng(0).normal(size=(8, 6)).astype("float32")
    np.save(root / "x.npy", x)

    def export(seed):
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
        if fmt == "saved_model":
            tfs.export.saved_model(model, root / "serving", version=1, overwrite=True)
        else:
            tfs.export.bundle(
                model, root / "bundle", formats=("keras", "saved_model"),
                overwrite=True,
            )
        return np.asarray(model(x))

    np.save(root / "old.npy", export(1))
    real_rename = os.rename

    def rename_then_die(source, target):
        real_rename(source, target)
        if ".old-" in os.fspath(target):  # the first of the two renames
            print("KILLED BETWEEN RENAMES", flush=True)
            os.kill(os.getpid(), signal.SIGKILL)

    os.rename = rename_then_die
    keras.utils.set_random_seed(2)
    np.save(root / "new.npy", np.asarray(
        keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])(x)
    ))
    export(2)
    print("NOT KILLED", flush=True)
    """
)


def _kill_between_renames(root: Path, fmt: str) -> Path:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-c", SWAP_CHILD, str(root), fmt],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL, done.stderr[-3000:]
    assert "KILLED BETWEEN RENAMES" in done.stdout
    target = root / ("serving/1" if fmt == "saved_model" else "bundle")
    hidden = sorted(p.name for p in target.parent.iterdir() if p.name.startswith("."))
    assert not target.exists()  # the window: old folder aside, new one not in
    assert [name.split("-")[0] for name in hidden] == [
        f".{target.name}.old",
        f".{target.name}.tmp",
    ]
    return target


@pytest.mark.parametrize("fmt", ["saved_model", "bundle"])
def test_load_finishes_a_swap_killed_between_its_renames(
    tmp_path: Path, fmt: str
) -> None:
    target = _kill_between_renames(tmp_path, fmt)
    x, new = np.load(tmp_path / "x.npy"), np.load(tmp_path / "new.npy")
    path = target.parent if fmt == "saved_model" else target / "model.keras"
    np.testing.assert_allclose(tfs.export.load(path).predict(x), new, atol=1e-6)
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []
    if fmt == "bundle":
        assert (target / "manifest.json").is_file()


@pytest.mark.parametrize("fmt", ["saved_model", "bundle"])
def test_next_export_finishes_a_swap_killed_between_its_renames(
    tmp_path: Path, fmt: str
) -> None:
    target = _kill_between_renames(tmp_path, fmt)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    if fmt == "saved_model":
        with pytest.raises(tfs.errors.ArtifactExistsError, match="1 already exists"):
            tfs.export.saved_model(model, target.parent, version=1)
        x, new = np.load(tmp_path / "x.npy"), np.load(tmp_path / "new.npy")
        np.testing.assert_allclose(tfs.export.load(target).predict(x), new, atol=1e-6)
        assert tfs.export.saved_model(model, target.parent).name == "2"
    else:
        tfs.export.bundle(model, target, formats=("keras",), overwrite=True)
        assert sorted(p.name for p in target.iterdir()) == [
            "manifest.json",
            "model.keras",
        ]
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []
