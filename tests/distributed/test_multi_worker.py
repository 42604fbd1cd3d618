"""Two workers on localhost train with MultiWorkerMirroredStrategy, both loops.

``scripts/train.py`` runs once as a single process (the reference: default
strategy, the same global batches) and once as two workers through
``python -m tfstarter.launch``; each loop (plain Keras ``model.fit`` with the
documented workarounds, and a hand-written ``strategy.run`` loop) must leave
both workers with the same weights, equal (SGD, to 1e-5) to the reference.
``scripts/keras_fit_probe.py`` checks that Keras' ``fit`` without those
workarounds still fails as documented in ``docs/guides/distributed.md``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = [pytest.mark.distributed, pytest.mark.slow]

SCRIPTS = Path(__file__).resolve().parent / "scripts"
LOOPS = ("fit", "custom")
GLOBAL_BATCH = 16
TIMEOUT = 300


def environment() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    return env


def run(command: list[str]) -> None:
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        env=environment(),
        check=False,
    )
    assert result.returncode == 0, (
        f"{' '.join(command)} exited {result.returncode}\n"
        f"stdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-6000:]}"
    )


def two_workers(script: str, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "tfstarter.launch", "--workers", "2", "--",
        str(SCRIPTS / script), *args,
    ]  # fmt: skip


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("multi_worker")
    args = ["--loop", *LOOPS, "--out", str(out), "--global-batch", str(GLOBAL_BATCH)]
    run([sys.executable, str(SCRIPTS / "train.py"), *args])
    run(two_workers("train.py", *args))
    return {
        name: json.loads((out / f"{name}.json").read_text())
        for name in ("single", "worker0", "worker1")
    }


def weights(result: dict[str, Any], loop: str) -> list[np.ndarray]:
    return [np.asarray(w, dtype="float32") for w in result["loops"][loop]["weights"]]


def test_workers_run_multi_worker_mirrored_strategy(results: dict[str, Any]) -> None:
    for worker in ("worker0", "worker1"):
        assert results[worker]["multi_worker"] is True
        assert results[worker]["replicas"] == 2
    assert results["single"]["multi_worker"] is False
    assert results["single"]["replicas"] == 1


@pytest.mark.parametrize("loop", LOOPS)
def test_each_worker_trains_on_half_of_every_global_batch(
    results: dict[str, Any], loop: str
) -> None:
    # Equal weights alone would not show that: workers each training alone on
    # every whole batch would end where one process does, too.
    assert results["worker0"]["loops"][loop]["replica_batch"] == [GLOBAL_BATCH // 2]
    assert results["worker1"]["loops"][loop]["replica_batch"] == [GLOBAL_BATCH // 2]
    assert results["single"]["loops"][loop]["replica_batch"] == [GLOBAL_BATCH]


@pytest.mark.parametrize("loop", LOOPS)
def test_both_workers_end_with_identical_weights(
    results: dict[str, Any], loop: str
) -> None:
    for first, second in zip(
        weights(results["worker0"], loop),
        weights(results["worker1"], loop),
        strict=True,
    ):
        np.testing.assert_array_equal(first, second)


@pytest.mark.parametrize("loop", LOOPS)
def test_workers_match_one_process_on_the_same_global_batches(
    results: dict[str, Any], loop: str
) -> None:
    for worker, reference in zip(
        weights(results["worker0"], loop), weights(results["single"], loop), strict=True
    ):
        np.testing.assert_allclose(worker, reference, rtol=0, atol=1e-5)
    np.testing.assert_allclose(
        results["worker0"]["loops"][loop]["loss"],
        results["single"]["loops"][loop]["loss"],
        rtol=0,
        atol=1e-5,
    )


@pytest.mark.parametrize("loop", LOOPS)
def test_training_moved_the_weights(results: dict[str, Any], loop: str) -> None:
    # The comparison above means something only if SGD changed the model.
    loss = results["single"]["loops"][loop]["loss"]
    assert loss[-1] < loss[0] - 0.05


def test_fit_validation_and_evaluate_match_one_process(
    results: dict[str, Any],
) -> None:
    fit = results["worker0"]["loops"]["fit"]
    reference = results["single"]["loops"]["fit"]
    np.testing.assert_allclose(fit["val_loss"], reference["val_loss"], atol=1e-5)
    assert fit["evaluate"].keys() == reference["evaluate"].keys()
    for key, value in fit["evaluate"].items():
        assert value == pytest.approx(reference["evaluate"][key], abs=1e-5), key


def test_killing_a_training_worker_stops_the_launcher_within_60_s(
    tmp_path: Path,
) -> None:
    progress = tmp_path / "progress"
    launcher = subprocess.Popen(
        two_workers(
            "train.py", "--loop", "custom", "--epochs", "100000",
            "--out", str(tmp_path), "--progress-dir", str(progress),
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + TIMEOUT
        while not (progress / "worker1.epoch").exists():
            assert launcher.poll() is None, launcher.communicate()[1][-6000:]
            assert time.monotonic() < deadline, "training did not start"
            time.sleep(0.1)
        pids = [int((progress / f"worker{i}.pid").read_text()) for i in (0, 1)]
        killed = time.monotonic()
        os.kill(pids[1], signal.SIGKILL)
        _, stderr = launcher.communicate(timeout=60)
        assert time.monotonic() - killed < 60
        assert launcher.returncode == 128 + signal.SIGKILL, stderr[-6000:]
        for pid in pids:
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    finally:
        if launcher.poll() is None:
            launcher.kill()
            launcher.communicate()


def test_keras_fit_without_the_workarounds_still_fails(tmp_path: Path) -> None:
    """If this fails, a Keras release fixed a case: drop its workaround."""
    run(two_workers("keras_fit_probe.py", "--out", str(tmp_path)))
    for worker in ("worker0", "worker1"):
        outcomes = json.loads((tmp_path / f"{worker}.json").read_text())
        assert outcomes["plain"].startswith(
            "ValueError: Attempt to convert a value (PerReplica:"
        ), outcomes["plain"]
        assert outcomes["symbolic_build_skipped"].startswith(
            "ValueError: Invalid reduction dimension 0 for input with 0 dimensions"
        ), outcomes["symbolic_build_skipped"]
        assert (
            "You must feed a value for placeholder tensor"
            in (outcomes["steps_per_execution_2"])
        ), outcomes["steps_per_execution_2"]
