"""Preemption: SIGTERM or SIGINT during ``fit`` ends the step, writes a backup, stops.

Cluster schedulers and spot machines send SIGTERM before they take a machine
away; Ctrl-C sends SIGINT. With a backup folder, ``fit`` catches both while it
runs: the compiled call under way finishes, a backup is written, and then
SIGTERM stops the process with exit status 143 (128 + SIGTERM) and a message
that says how to resume, while SIGINT raises ``KeyboardInterrupt`` as usual.
Running the same command again resumes from that backup.

The handlers are installed for the duration of ``fit`` only, from the main
thread, after any ``tf.distribute`` strategy exists (TensorFlow's
multi-worker runtime installs a SIGTERM handler of its own when the strategy
is made, which would otherwise replace ours), and the previous handlers are
put back afterwards.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

SIGTERM_EXIT = 128 + signal.SIGTERM


@dataclass
class Preemption:
    """The signal that asked ``fit`` to stop, if any.

    Attributes:
        signal: ``signal.SIGTERM`` or ``signal.SIGINT`` once one arrived.
    """

    signal: int | None = None

    @property
    def requested(self) -> bool:
        """Whether a signal asked the run to stop."""
        return self.signal is not None

    def stop(self, where: str, backup: str) -> None:
        """Stop the process as the signal asked, after the backup was written.

        Raises:
            KeyboardInterrupt: for SIGINT.
            SystemExit: for SIGTERM, with status 143.
        """
        if self.signal == signal.SIGINT:
            raise KeyboardInterrupt(
                f"interrupted at {where}; a backup was written to {backup}. Run "
                f"the same command again to resume."
            )
        print(
            f"tfstarter: stopped by SIGTERM at {where}; a backup was written to "
            f"{backup}. Run the same command again to resume.",
            file=sys.stderr,
            flush=True,
        )
        raise SystemExit(SIGTERM_EXIT)


@contextlib.contextmanager
def catching_signals(enabled: bool) -> Iterator[Preemption]:
    """Catch SIGTERM and SIGINT while the block runs (main thread only).

    Examples:
        >>> with catching_signals(True) as preemption:
        ...     preemption.requested
        False
    """
    preemption = Preemption()
    if not enabled or threading.current_thread() is not threading.main_thread():
        yield preemption
        return

    def note(number: int, frame: Any) -> None:
        del frame
        preemption.signal = number

    previous = {
        number: signal.signal(number, note)
        for number in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield preemption
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
