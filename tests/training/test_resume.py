"""Kill a run at any moment, run it again: it ends exactly where it would have.

Each run is a fresh process (``scripts/resume_run.py``): a small MLP with
dropout on a shuffled `tfs.data` pipeline, EarlyStopping and
ReduceLROnPlateau attached. The reference trains without interruption; the
others are killed (SIGKILL) or stopped (SIGTERM) part-way and run again with
the same command. Final weights, optimizer variables and History must be
bit-identical to the reference. These tests start dozens of processes, so
they carry the ``kills`` marker and run as their own step of ``.ci/run``
(``pytest -m kills``).
"""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent / "scripts" / "resume_run.py"
LOOPS = ["fit", "custom"]
BATCHES = 16 * 6  # 16 batches per epoch, 6 epochs (fewer if EarlyStopping stops)

pytestmark = pytest.mark.kills


def _run(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == expect, (done.returncode, done.stderr[-3000:])
    return done


def _result(done: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    return lines["DIGEST"], lines["HISTORY"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    folder = tmp_path_factory.mktemp("reference")
    return {
        loop: _result(_run(loop, str(folder / loop), "0", "epoch")) for loop in LOOPS
    }


# Five random moments per loop; backups every 7 batches or every epoch.
KILLS = [
    (after, "7" if index % 2 == 0 else "epoch")
    for index, after in enumerate(
        sorted(random.Random(2026).sample(range(3, BATCHES - 10), 5))
    )
]


@pytest.mark.parametrize(("after", "every"), KILLS)
@pytest.mark.parametrize("loop", LOOPS)
def test_sigkill_then_run_again_is_bit_identical(
    loop, every, after, reference, tmp_path
):
    backup = str(tmp_path / "backup")
    _run(loop, backup, f"kill:{after}", every, expect=-9)
    assert _result(_run(loop, backup, "0", every)) == reference[loop]
    assert not Path(backup).exists()  # removed once the run finished


@pytest.mark.parametrize("loop", LOOPS)
def test_sigterm_writes_a_backup_and_stops_then_resumes(loop, reference, tmp_path):
    backup = tmp_path / "backup"
    stopped = _run(loop, str(backup), "term:21", "epoch", expect=143)
    assert "stopped by SIGTERM at epoch 2, after batch" in stopped.stderr
    assert "Run the same command again to resume" in stopped.stderr
    assert (backup / "checkpoint").is_file()
    assert _result(_run(loop, str(backup), "0", "epoch")) == reference[loop]


@pytest.mark.parametrize("loop", LOOPS)
def test_a_corrupt_newest_backup_falls_back_to_the_one_before(
    loop, reference, tmp_path
):
    backup = tmp_path / "backup"
    _run(loop, str(backup), "kill:40", "5", expect=-9)
    newest = max(
        backup.glob("ckpt-*.data-*"), key=lambda p: int(p.name[5:].split(".")[0])
    )
    data = bytearray(newest.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    newest.write_bytes(bytes(data))
    again = _run(loop, str(backup), "0", "5")
    assert "cannot be read" in again.stderr and "the one before" in again.stderr
    assert _result(again) == reference[loop]


@pytest.mark.parametrize("loop", LOOPS)
def test_a_backup_of_another_model_is_refused(loop, tmp_path):
    backup = str(tmp_path / "backup")
    _run(loop, backup, "kill:20", "epoch", expect=-9)
    refused = _run(loop, backup, "0", "epoch", "wider", expect=1)
    assert "ConfigError" in refused.stderr
    assert "is of another run: its model, optimizer differ" in refused.stderr
