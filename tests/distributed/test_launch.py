"""``python -m tfstarter.launch``: TF_CONFIG, output prefixes, exit codes, stopping.

The workers are ``scripts/workers.py`` (no TensorFlow), so these tests take
about a second each.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tfstarter import launch

pytestmark = pytest.mark.distributed

SCRIPTS = Path(__file__).resolve().parent / "scripts"
WORKERS = str(SCRIPTS / "workers.py")
LAUNCH = [sys.executable, "-m", "tfstarter.launch"]
TIMEOUT = 60


def run(*args: str, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LAUNCH, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*LAUNCH, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_pids(folder: Path, count: int, timeout: float = 30.0) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        paths = sorted(folder.glob("worker*.pid"))
        if len(paths) == count:
            return [int(path.read_text()) for path in paths]
        time.sleep(0.05)
    raise AssertionError(f"workers did not start within {timeout} s: {paths}")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def wait_gone(pids: Sequence[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(pid) for pid in pids), f"workers still alive: {pids}"


@pytest.fixture
def pid_dir(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "pids"
    folder.mkdir()
    yield folder
    # Never leave a worker behind, whatever the test did.
    for path in folder.glob("worker*.pid"):
        pid = int(path.read_text())
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


def test_help_names_the_options() -> None:
    result = run("--help")
    assert result.returncode == 0
    for option in ("--workers", "--port-base", "--grace-period", "SCRIPT [ARGS...]"):
        assert option in result.stdout


def test_each_worker_gets_its_tf_config_on_free_ports() -> None:
    result = run("--workers", "3", "--", WORKERS, "--bind", "--print-config")
    assert result.returncode == 0, result.stderr
    configs = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"\[worker (\d)\] config (.*)", line)
        if match:
            configs[int(match[1])] = json.loads(match[2])
    assert sorted(configs) == [0, 1, 2]
    workers = configs[0]["cluster"]["worker"]
    assert len(workers) == 3
    assert all(re.fullmatch(r"localhost:\d+", address) for address in workers)
    assert len({address.rpartition(":")[2] for address in workers}) == 3
    for index, config in configs.items():
        assert config == {
            "cluster": {"worker": workers},
            "task": {"type": "worker", "index": index},
        }
        # each worker could bind its own port: it was free
        assert f"[worker {index}] bound {workers[index].rpartition(':')[2]}" in (
            result.stdout.splitlines()
        )


def test_port_base_gives_consecutive_ports() -> None:
    (base,) = launch.free_ports(1)
    result = run("--workers", "2", "--port-base", str(base), WORKERS, "--print-config")
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if "config" in x)
    config = json.loads(line.split(" config ", 1)[1])
    assert config["cluster"]["worker"] == [
        f"localhost:{base}",
        f"localhost:{base + 1}",
    ]


def test_every_line_is_prefixed_whole_and_on_its_own_stream() -> None:
    lines, width = 40, 10_000
    result = run(
        "--workers", "2", WORKERS, "--lines", str(lines), "--width", str(width)
    )
    assert result.returncode == 0, result.stderr
    for stream, kind in ((result.stdout, "out"), (result.stderr, "err")):
        seen: dict[int, list[int]] = {0: [], 1: []}
        for line in stream.splitlines():
            if line.startswith(("[worker 0] tail", "[worker 1] tail")):
                continue
            match = re.fullmatch(rf"\[worker (\d)\] {kind} (\d) (\d+) x+", line)
            assert match, f"mixed or unprefixed line: {line[:120]!r}"
            assert match[1] == match[2]
            assert len(line) == len(f"[worker {match[1]}] ") + width
            seen[int(match[1])].append(int(match[3]))
        first = 0 if kind == "out" else 1
        assert seen == {
            0: list(range(first, lines, 2)),
            1: list(range(first, lines, 2)),
        }
    # a last line without a newline still comes out whole, with its prefix
    assert "[worker 0] tail 0" in result.stdout.splitlines()
    assert "[worker 1] tail 1" in result.stdout.splitlines()


def test_arguments_after_the_script_reach_it_unchanged() -> None:
    for args in (
        ["--workers", "1", "--", WORKERS, "--echo-args", "--workers", "9", "--", "x"],
        ["--workers", "1", WORKERS, "--echo-args", "a", "--", "-b"],
    ):
        result = run(*args)
        assert result.returncode == 0, result.stderr
        script_args = args[args.index("--echo-args") + 1 :]
        assert f"[worker 0] args {json.dumps(script_args)}" in result.stdout


def test_module_flag_runs_a_module() -> None:
    result = run("--workers", "2", "-m", "platform")
    assert result.returncode == 0, result.stderr
    assert sorted(line[:10] for line in result.stdout.splitlines()) == [
        "[worker 0]",
        "[worker 1]",
    ]


def test_all_succeed_exit_zero() -> None:
    result = run("--workers", "3", WORKERS, "--sleep", "0.2")
    assert result.returncode == 0, result.stderr


def test_a_failing_worker_stops_the_others_with_its_exit_code(pid_dir: Path) -> None:
    began = time.monotonic()
    result = run(
        "--workers", "3", WORKERS, "--pid-dir", str(pid_dir), "--trap-term",
        "--exit", "1=3", "--delay", "0.5", "--sleep", "120",
    )  # fmt: skip
    elapsed = time.monotonic() - began
    assert result.returncode == 3, result.stderr
    # the others sleep 120 s unless stopped
    assert elapsed < 30, f"took {elapsed:.1f} s"
    assert "[worker 0] worker 0 got SIGTERM" in result.stdout
    assert "[worker 2] worker 2 got SIGTERM" in result.stdout
    wait_gone([int(path.read_text()) for path in pid_dir.glob("*.pid")])


def test_a_sigkilled_worker_makes_the_launcher_fail_within_60_s(
    pid_dir: Path,
) -> None:
    process = start(
        "--workers", "2", WORKERS, "--pid-dir", str(pid_dir), "--sleep", "300"
    )
    pids = wait_for_pids(pid_dir, 2)
    began = time.monotonic()
    os.kill(pids[1], signal.SIGKILL)
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - began < 60
    assert process.returncode == 128 + signal.SIGKILL, stderr
    wait_gone(pids)


def test_sigkill_follows_sigterm_after_the_grace_period(pid_dir: Path) -> None:
    began = time.monotonic()
    result = run(
        "--workers", "2", "--grace-period", "1", WORKERS, "--pid-dir", str(pid_dir),
        "--ignore-term", "--exit", "1=5", "--delay", "0.3", "--sleep", "120",
    )  # fmt: skip
    elapsed = time.monotonic() - began
    assert result.returncode == 5, result.stderr
    # the worker that ignores SIGTERM sleeps 120 s unless SIGKILLed
    assert 1 <= elapsed < 30, f"took {elapsed:.1f} s"
    wait_gone([int(path.read_text()) for path in pid_dir.glob("*.pid")])


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_to_the_launcher_reach_every_worker(
    pid_dir: Path, signum: signal.Signals
) -> None:
    process = start(
        "--workers", "2", WORKERS, "--pid-dir", str(pid_dir), "--trap-term",
        "--sleep", "120",
    )  # fmt: skip
    pids = wait_for_pids(pid_dir, 2)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 128 + signum, stderr
    if signum == signal.SIGTERM:
        assert "[worker 0] worker 0 got SIGTERM" in stdout
        assert "[worker 1] worker 1 got SIGTERM" in stdout
    wait_gone(pids)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG")
def test_workers_die_with_a_sigkilled_launcher(pid_dir: Path) -> None:
    process = start(
        "--workers", "2", WORKERS, "--pid-dir", str(pid_dir), "--sleep", "120"
    )
    pids = wait_for_pids(pid_dir, 2)
    process.kill()
    process.communicate(timeout=30)
    wait_gone(pids)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0", WORKERS], "--workers must be at least 1, got 0"),
        (["--workers", "2"], "SCRIPT is missing"),
        (["--workers", "2", "--"], "SCRIPT is missing"),
        ([WORKERS], "the following arguments are required: --workers"),
        (["--workers", "2", "--grace-period", "-1", WORKERS], "--grace-period"),
        (["--workers", "2", "--port-base", "65535", WORKERS], "--port-base 65535"),
    ],
)
def test_bad_command_lines_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"command": [], "workers": 2}, r"`command` is empty"),
        ({"command": ["x"], "workers": 0}, r"`workers` must be an integer >= 1, got 0"),
        ({"command": ["x"], "workers": True}, r"`workers` must be .* got True"),
        (
            {"command": ["x"], "workers": 2, "port_base": 65535},
            r"`port_base` must leave 2 ports below 65536, got 65535",
        ),
        (
            {"command": ["x"], "workers": 2, "grace_period": -1.0},
            r"`grace_period` must be >= 0 seconds, got -1.0",
        ),
    ],
)
def test_launch_rejects_bad_arguments(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        launch.launch(**kwargs)  # type: ignore[arg-type]


def test_launch_in_process_returns_the_exit_code(tmp_path: Path) -> None:
    out, err = tmp_path / "out", tmp_path / "err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        code = launch.launch(
            [
                sys.executable,
                WORKERS,
                "--print-config",
                "--exit",
                "0=7",
                "--delay",
                "0.5",
            ],
            workers=2,
            stdout=stdout,
            stderr=stderr,
        )
    assert code == 7
    assert "[worker 0] config " in out.read_text()


def test_free_ports_are_distinct() -> None:
    ports = launch.free_ports(8)
    assert len(set(ports)) == 8
