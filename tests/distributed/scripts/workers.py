"""A worker for the launcher's tests: no TensorFlow, behaviour chosen by argv.

Run under ``python -m tfstarter.launch --workers N -- workers.py [options]``.
It reads its index from ``TF_CONFIG`` and then, in this order:

* ``--pid-dir DIR``: writes ``DIR/worker<i>.pid`` (so a test can signal it);
* ``--bind``: binds its own ``TF_CONFIG`` port (proving it is free) and
  prints ``bound <port>``;
* ``--print-config``: prints ``config <TF_CONFIG>`` on one line;
* ``--echo-args``: prints ``args <json list of the remaining arguments>``;
* ``--lines N --width W``: prints N lines of W characters, alternating stdout
  and stderr, then a last stdout fragment with no newline;
* ``--trap-term``: on SIGTERM prints ``worker <i> got SIGTERM`` and exits 143;
  ``--ignore-term`` ignores SIGTERM (so only SIGKILL stops it);
* ``--exit I=CODE`` (repeatable): worker I exits with CODE after ``--delay``
  seconds; the others sleep ``--sleep`` seconds, then exit 0.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import sys
import time
from pathlib import Path
from types import FrameType


def parse(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pid-dir", type=Path)
    parser.add_argument("--bind", action="store_true")
    parser.add_argument("--print-config", action="store_true")
    parser.add_argument("--echo-args", action="store_true")
    parser.add_argument("--lines", type=int, default=0)
    parser.add_argument("--width", type=int, default=80)
    parser.add_argument("--trap-term", action="store_true")
    parser.add_argument("--ignore-term", action="store_true")
    parser.add_argument("--exit", action="append", default=[], metavar="I=CODE")
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--sleep", type=float, default=0.0)
    return parser.parse_known_args(argv)


def main(argv: list[str]) -> int:
    options, rest = parse(argv)
    config = json.loads(os.environ["TF_CONFIG"])
    index = int(config["task"]["index"])
    if options.trap_term:

        def on_term(signum: int, frame: FrameType | None) -> None:
            print(f"worker {index} got SIGTERM", flush=True)
            sys.exit(143)

        signal.signal(signal.SIGTERM, on_term)
    if options.ignore_term:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if options.pid_dir is not None:
        path = options.pid_dir / f"worker{index}.pid"
        path.with_suffix(".tmp").write_text(str(os.getpid()))
        path.with_suffix(".tmp").replace(path)
    if options.bind:
        port = int(config["cluster"]["worker"][index].rpartition(":")[2])
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("", port))
            print(f"bound {port}", flush=True)
    if options.print_config:
        print(f"config {os.environ['TF_CONFIG']}", flush=True)
    if options.echo_args:
        print(f"args {json.dumps(rest)}", flush=True)
    for line in range(options.lines):
        stream = sys.stdout if line % 2 == 0 else sys.stderr
        head = f"{'out' if stream is sys.stdout else 'err'} {index} {line} "
        stream.write(head + "x" * (options.width - len(head)) + "\n")
    if options.lines:
        sys.stdout.write(f"tail {index}")
        sys.stdout.flush()
    codes = dict(item.split("=") for item in options.exit)
    if str(index) in codes:
        time.sleep(options.delay)
        return int(codes[str(index)])
    time.sleep(options.sleep)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
