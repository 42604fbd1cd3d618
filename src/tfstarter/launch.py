"""Run one training script as N local workers, each with its own ``TF_CONFIG``.

``python -m tfstarter.launch --workers N [options] [--] SCRIPT [ARGS...]``
starts N copies of ``python SCRIPT ARGS...`` on this machine. Worker ``i``
gets a ``TF_CONFIG`` naming every worker at ``localhost:PORT`` (free ports,
or ``--port-base``, ``--port-base + 1``, ...) and itself as task ``i``, which
is exactly what ``tf.distribute.MultiWorkerMirroredStrategy`` (and
`tfstarter.training.auto_strategy`) reads on real hosts. So the same script
runs unchanged on a laptop, as several local processes, and on several
machines.

What the launcher guarantees:

* **Output.** Every line a worker writes is copied to the launcher's own
  stream of the same kind (stdout to stdout, stderr to stderr) with a
  ``[worker i] `` prefix, one whole line at a time, so lines of different
  workers never mix. Workers run with ``PYTHONUNBUFFERED=1`` so lines arrive
  when they are printed.
* **Failure stops everyone, within a bound.** The launcher checks its workers
  every 0.1 s. As soon as one exits non-zero (or is killed), the others get
  ``SIGTERM``; any still alive ``--grace-period`` seconds later (default 10)
  get ``SIGKILL``. So a dead worker never leaves the rest hanging, for
  instance blocked in a collective all-reduce waiting for it, for more than
  about the grace period plus a second.
* **Exit code.** 0 when every worker exits 0; else the exit code of the
  first worker that failed, or ``128 + N`` if it was killed by signal ``N``
  (the shell's convention). If the launcher itself receives ``SIGINT`` or
  ``SIGTERM``, it forwards that signal to every worker, applies the same
  grace period, and exits with ``128 + signal``.
* **TensorFlow workers ignore SIGTERM.** A process that has made a
  ``MultiWorkerMirroredStrategy`` does not stop on ``SIGTERM``: TensorFlow
  replaces the handler with its own preemption notice, which only records
  the signal. Such a worker, blocked in an all-reduce with a dead peer,
  stops when TensorFlow's coordination service notices the missing
  heartbeats and aborts the collective (13 s after the peer died, measured
  on a busy 2-core machine), or at the ``SIGKILL`` after the grace period,
  whichever comes first: so the bound above holds for them too.
* **No orphans.** Each worker runs in its own process group, and signals go
  to the whole group (so helpers a worker starts stop with it). On Linux a
  worker is also killed if the launcher itself dies, even by ``SIGKILL``.

Free ports are found by binding port 0 and releasing it just before the
workers start; another program could take such a port in between, in which
case the workers fail to start their servers and the launcher reports it.
Pass ``--port-base`` to choose the ports yourself.

Why our own code: TensorFlow ships no launcher for ``tf.distribute``
multi-worker training; its tutorial starts each worker by hand in a separate
shell with a hand-written ``TF_CONFIG``. ``torchrun`` (PyTorch) and
``horovodrun``/``mpirun`` do this job for their own stacks, but they set
their own environment variables (``RANK``, ``MASTER_ADDR``, MPI ranks), not
``TF_CONFIG``, and pull in a large dependency for one ``Popen`` per worker.
Cluster tools (Kubernetes' TFJob, Slurm) write ``TF_CONFIG`` only on a
cluster. This module is the small piece in between: standard library only,
for development and tests on one machine.

Examples:
    Two workers of a training script, arguments after ``--`` go to the
    script::

        python -m tfstarter.launch --workers 2 -- train.py --epochs 3

    The ``TF_CONFIG`` worker 1 of 2 receives:

    >>> from tfstarter.launch import tf_config
    >>> print(tf_config(["localhost:4001", "localhost:4002"], 1))
    {"cluster": {"worker": ["localhost:4001", "localhost:4002"]},
     "task": {"type": "worker", "index": 1}}
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import BinaryIO

__all__ = ["DEFAULT_GRACE_PERIOD", "free_ports", "launch", "main", "tf_config"]

DEFAULT_GRACE_PERIOD = 10.0
"""Seconds a worker has to stop after ``SIGTERM`` before it gets ``SIGKILL``."""

POLL_INTERVAL = 0.1
"""Seconds between two checks of the workers' exit status."""

_FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def free_ports(count: int, host: str = "") -> list[int]:
    """Return ``count`` distinct TCP ports that are free on ``host`` right now.

    All sockets are held open until every port is chosen, so the ports are
    distinct; they are released on return, so another program could take one
    before the workers bind it.

    Args:
        count: how many ports.
        host: the interface to probe; ``""`` means every interface, which is
            where TensorFlow's gRPC server binds.

    Returns:
        The port numbers.

    Examples:
        >>> ports = free_ports(3)
        >>> len(set(ports)) == 3 and all(0 < port < 65536 for port in ports)
        True
    """
    with contextlib.ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(
                socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            )
            sock.bind((host, 0))
            ports.append(int(sock.getsockname()[1]))
        return ports


def tf_config(addresses: Sequence[str], index: int) -> str:
    """Return the ``TF_CONFIG`` JSON for worker ``index`` of the cluster ``addresses``.

    Args:
        addresses: ``host:port`` of every worker, worker 0 (the chief) first.
        index: this worker's position in ``addresses``.

    Returns:
        The JSON text to put in the ``TF_CONFIG`` environment variable.

    Examples:
        >>> import json
        >>> json.loads(tf_config(["a:1", "b:2"], 0))["task"]
        {'type': 'worker', 'index': 0}
    """
    return json.dumps(
        {
            "cluster": {"worker": list(addresses)},
            "task": {"type": "worker", "index": index},
        }
    )


def _exit_code(returncode: int) -> int:
    """Map a `subprocess` return code to a shell exit code (signal N -> 128 + N)."""
    return 128 - returncode if returncode < 0 else returncode


def _die_with_parent(parent: int) -> Callable[[], None] | None:
    """Return a ``preexec_fn`` that makes a child die if the launcher dies (Linux)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork, not in the child

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the launcher died before prctl took effect
            os._exit(128 + signal.SIGKILL)

    return preexec


def _pump(
    source: BinaryIO, sink: BinaryIO, prefix: bytes, lock: threading.Lock
) -> None:
    """Copy lines from ``source`` to ``sink``, each one whole and prefixed."""
    with source:
        for line in iter(source.readline, b""):
            text = prefix + (line if line.endswith(b"\n") else line + b"\n")
            with lock:
                sink.write(text)
                sink.flush()


class _Workers:
    """The worker processes, their output pumps, and the signals sent to them."""

    def __init__(
        self,
        command: Sequence[str],
        configs: Sequence[str],
        env: Mapping[str, str],
        stdout: BinaryIO,
        stderr: BinaryIO,
    ) -> None:
        self.processes: list[subprocess.Popen[bytes]] = []
        self.pumps: list[threading.Thread] = []
        lock = threading.Lock()
        preexec = _die_with_parent(os.getpid())
        try:
            for config in configs:
                self.processes.append(
                    subprocess.Popen(
                        list(command),
                        env={**env, "TF_CONFIG": config, "PYTHONUNBUFFERED": "1"},
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                        start_new_session=True,
                        # the launcher's own threads start after the workers
                        preexec_fn=preexec,  # noqa: PLW1509
                    )
                )
        except BaseException:
            self.signal(signal.SIGKILL)
            raise
        for index, process in enumerate(self.processes):
            prefix = f"[worker {index}] ".encode()
            for source, sink in ((process.stdout, stdout), (process.stderr, stderr)):
                assert source is not None
                pump = threading.Thread(
                    target=_pump, args=(source, sink, prefix, lock), daemon=True
                )
                pump.start()
                self.pumps.append(pump)

    def signal(self, signum: int) -> None:
        """Send ``signum`` to every worker's process group."""
        for process in self.processes:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signum)

    def first_failure(self) -> int | None:
        """Poll every worker; return the exit code of the first failed one."""
        for process in self.processes:
            returncode = process.poll()
            if returncode not in (None, 0):
                return _exit_code(returncode)
        return None

    def all_exited(self) -> bool:
        return all(process.poll() is not None for process in self.processes)

    def stop(self, grace_period: float) -> None:
        """``SIGTERM`` everyone, ``SIGKILL`` whoever is left after the grace period."""
        self.signal(signal.SIGTERM)
        self.wait_or_kill(grace_period)

    def wait_or_kill(self, grace_period: float) -> None:
        deadline = time.monotonic() + grace_period
        while not self.all_exited() and time.monotonic() < deadline:
            time.sleep(POLL_INTERVAL)
        if not self.all_exited():
            self.signal(signal.SIGKILL)
        for process in self.processes:
            process.wait()

    def drain(self, timeout: float = 5.0) -> None:
        """Wait (bounded) for the output pumps to copy the workers' last lines."""
        deadline = time.monotonic() + timeout
        for pump in self.pumps:
            pump.join(max(0.0, deadline - time.monotonic()))


def launch(
    command: Sequence[str],
    *,
    workers: int,
    port_base: int | None = None,
    grace_period: float = DEFAULT_GRACE_PERIOD,
    env: Mapping[str, str] | None = None,
    stdout: BinaryIO | None = None,
    stderr: BinaryIO | None = None,
) -> int:
    """Run ``command`` as ``workers`` local processes and return the exit code.

    Each process gets the environment ``env`` (default: this process's) plus
    its own ``TF_CONFIG`` and ``PYTHONUNBUFFERED=1``. While it runs, the
    launcher forwards ``SIGINT`` and ``SIGTERM`` to the workers (only when
    called from the main thread, where Python can install signal handlers).

    Args:
        command: the program and its arguments, e.g.
            ``[sys.executable, "train.py", "--epochs", "3"]``.
        workers: how many processes; at least 1.
        port_base: first port of the cluster (worker ``i`` listens on
            ``port_base + i``); ``None`` picks free ports.
        grace_period: seconds between ``SIGTERM`` and ``SIGKILL`` when the
            workers must stop early.
        env: the workers' environment; ``None`` copies ``os.environ``.
        stdout: where prefixed stdout lines go (default ``sys.stdout``'s bytes).
        stderr: where prefixed stderr lines go (default ``sys.stderr``'s bytes).

    Returns:
        0 if every worker exited 0; else the first failing worker's exit code
        (``128 + N`` for signal ``N``); ``128 + N`` if the launcher was
        stopped by signal ``N``.

    Raises:
        ValueError: ``command`` is empty, ``workers`` is below 1, ``port_base``
            leaves no room for every worker, or ``grace_period`` is negative.
    """
    if not command:
        raise ValueError("`command` is empty; pass the script to run, e.g. train.py.")
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"`workers` must be an integer >= 1, got {workers!r}.")
    if port_base is not None and not 0 < port_base <= 65536 - workers:
        raise ValueError(
            f"`port_base` must leave {workers} ports below 65536, got {port_base}. "
            f"Pass a port between 1024 and {65536 - workers}, or none for free ports."
        )
    if grace_period < 0:
        raise ValueError(f"`grace_period` must be >= 0 seconds, got {grace_period}.")
    ports = (
        free_ports(workers)
        if port_base is None
        else list(range(port_base, port_base + workers))
    )
    addresses = [f"localhost:{port}" for port in ports]
    configs = [tf_config(addresses, index) for index in range(workers)]
    received: list[int] = []
    group = _Workers(
        command,
        configs,
        dict(os.environ) if env is None else env,
        stdout if stdout is not None else sys.stdout.buffer,
        stderr if stderr is not None else sys.stderr.buffer,
    )

    def forward(signum: int, frame: FrameType | None) -> None:
        del frame
        if not received:
            received.append(signum)
        group.signal(signum)

    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED_SIGNALS}
    try:
        code: int | None = None
        while code is None and not received:
            code = group.first_failure()
            if code is None and group.all_exited():
                code = 0
            if code is None:
                time.sleep(POLL_INTERVAL)
        if code is None:  # stopped by a signal, already forwarded
            group.wait_or_kill(grace_period)
            code = 128 + received[0]
        elif code != 0:
            group.stop(grace_period)
    except BaseException:
        group.signal(signal.SIGKILL)
        raise
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        group.drain()
    return code


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tfstarter.launch",
        usage=(
            "%(prog)s [-h] --workers N [--port-base PORT] "
            "[--grace-period SECONDS] [-m] [--] SCRIPT [ARGS...]"
        ),
        description=(
            "Run SCRIPT as N local workers of a tf.distribute cluster, each with "
            "its own TF_CONFIG. Output lines are prefixed with [worker i]; the "
            "first failure stops the others (SIGTERM, then SIGKILL after the "
            "grace period) and becomes the exit code."
        ),
        epilog=(
            "example: python -m tfstarter.launch --workers 2 -- train.py --epochs 3"
        ),
    )
    parser.add_argument(
        "--workers", type=int, required=True, metavar="N", help="number of workers"
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=None,
        metavar="PORT",
        help="worker i listens on PORT + i (default: free ports)",
    )
    parser.add_argument(
        "--grace-period",
        type=float,
        default=DEFAULT_GRACE_PERIOD,
        metavar="SECONDS",
        help=(
            "seconds between SIGTERM and SIGKILL when workers must stop "
            f"(default: {DEFAULT_GRACE_PERIOD:g})"
        ),
    )
    parser.add_argument(
        "-m",
        "--module",
        action="store_true",
        help="run SCRIPT as a module (python -m SCRIPT), like python -m",
    )
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        metavar="SCRIPT [ARGS...]",
        help="the Python script (or module, with -m) and its arguments; "
        "put -- before it if its arguments could be read as the launcher's",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line, run the workers and return the exit code.

    Args:
        argv: the arguments after the program name; ``None`` reads
            ``sys.argv[1:]``.

    Returns:
        The exit code (see `launch`).

    Examples:
        >>> main(["--workers", "1", "--", "-c", "print('hello')"])  # doctest: +SKIP
        [worker 0] hello
        0
    """
    parser = _parser()
    options = parser.parse_args(argv)
    command: list[str] = list(options.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        parser.error(
            "SCRIPT is missing; e.g. python -m tfstarter.launch --workers 2 -- train.py"
        )
    if options.workers < 1:
        parser.error(f"--workers must be at least 1, got {options.workers}")
    if options.grace_period < 0:
        parser.error(f"--grace-period must be >= 0, got {options.grace_period}")
    if options.port_base is not None and not (
        0 < options.port_base <= 65536 - options.workers
    ):
        parser.error(
            f"--port-base {options.port_base} leaves no room for "
            f"{options.workers} ports below 65536"
        )
    python = [sys.executable, "-m"] if options.module else [sys.executable]
    return launch(
        python + command,
        workers=options.workers,
        port_base=options.port_base,
        grace_period=options.grace_period,
    )


if __name__ == "__main__":
    sys.exit(main())
