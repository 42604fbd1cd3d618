"""``tfs.Trainer`` on two workers: both loops, and a kill followed by a restart.

``scripts/trainer_run.py`` trains once as a single process (the reference,
default strategy, the same global batches) and as two workers through
``python -m tfstarter.launch`` (``MultiWorkerMirroredStrategy`` from
``tfs.training.auto_strategy()``). Both workers must end with the same
weights, equal (SGD, to 1e-5) to the reference, with the same History. Then
worker 0 kills itself after epoch 2 of a run with backups; the launcher
stops the other; the same command run again resumes from the backup and
ends where the reference does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.distributed, pytest.mark.slow]

SCRIPT = Path(__file__).resolve().parent / "scripts" / "trainer_run.py"
LOOPS = ("fit", "custom")


def _run(command: list[str], *, expect: int = 0) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=300, env=env, check=False
    )
    assert done.returncode == expect, (
        f"{' '.join(command)} exited {done.returncode}\n"
        f"stdout:\n{done.stdout[-4000:]}\nstderr:\n{done.stderr[-6000:]}"
    )
    return done


def _two_workers(*args: str) -> list[str]:
    return [
        sys.executable, "-m", "tfstarter.launch", "--workers", "2", "--",
        str(SCRIPT), *args,
    ]  # fmt: skip


def _read(folder: Path, name: str) -> dict[str, Any]:
    return json.loads((folder / f"{name}.json").read_text())


def _assert_same_weights(a: dict[str, Any], b: dict[str, Any], atol: float) -> None:
    for x, y in zip(a["weights"], b["weights"], strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), atol=atol, rtol=0)


def _assert_same(a: dict[str, Any], b: dict[str, Any], atol: float) -> None:
    _assert_same_weights(a, b, atol)
    assert a["history"].keys() == b["history"].keys()
    for key in a["history"]:
        np.testing.assert_allclose(a["history"][key], b["history"][key], atol=atol)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    out = tmp_path_factory.mktemp("reference")
    results = {}
    for loop in LOOPS:
        _run([sys.executable, str(SCRIPT), "--loop", loop, "--out", str(out / loop)])
        results[loop] = _read(out / loop, "single")
    return results


@pytest.mark.parametrize("loop", LOOPS)
def test_two_workers_train_like_one_process(loop, reference, tmp_path):
    _run(_two_workers("--loop", loop, "--out", str(tmp_path)))
    first, second = _read(tmp_path, "worker0"), _read(tmp_path, "worker1")
    assert first["strategy"] == "CollectiveAllReduceStrategy"
    assert first["replicas"] == 2
    _assert_same(first, second, atol=0.0)
    _assert_same(first, reference[loop], atol=1e-5)


@pytest.mark.parametrize("loop", LOOPS)
def test_two_workers_killed_and_restarted_resume_from_their_backup(
    loop, reference, tmp_path
):
    backup = tmp_path / "backup"
    args = ["--loop", loop, "--out", str(tmp_path / "out"), "--backup-dir", str(backup)]
    _run(_two_workers(*args, "--die-after-epoch", "2"), expect=137)
    assert (backup / "checkpoint").is_file()
    _run(_two_workers(*args))
    first, second = (
        _read(tmp_path / "out", "worker0"),
        _read(tmp_path / "out", "worker1"),
    )
    _assert_same(first, second, atol=0.0)
    _assert_same(first, reference[loop], atol=1e-5)
    assert not backup.exists()


@pytest.mark.parametrize("loop", LOOPS)
def test_a_nan_on_one_worker_stops_both_at_its_batch(loop, tmp_path):
    """Row 50 is in global batch 3, on one worker only: both must stop there.

    The worker without the bad row used to go on (its replicas' records were
    clean) and wait in the next all-reduce for a worker that had stopped.
    """
    _run(_two_workers("--loop", loop, "--out", str(tmp_path), "--nan-row", "50"))
    first, second = _read(tmp_path, "worker0"), _read(tmp_path, "worker1")
    errors = [first.get("error"), second.get("error")]
    assert all(errors), f"a worker trained on past the NaN: {errors}"
    assert sum("at epoch 1, batch 3 " in error for error in errors) == 1, errors
    assert sum("a batch on another worker" in error for error in errors) == 1, errors
    assert first["iterations"] == second["iterations"] == 3
    _assert_same_weights(first, second, atol=0.0)
    assert all(np.isfinite(np.asarray(w)).all() for w in first["weights"])
