"""`Progress`: a line per epoch that moves while the epoch runs, then its summary.

While an epoch runs, one line shows the batches done, samples per second,
the running loss and the time left, rewritten in place on a terminal (at
most ten times a second) or printed every 30 s into a log file. When the
epoch ends, a summary line with every metric replaces it.

Why our own code: `keras.utils.Progbar` (what ``verbose=1`` draws) shows no
samples per second, and ``verbose=2`` shows nothing until the epoch ends.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

import keras

from tfstarter.report._format import format_metric, format_seconds

_TERMINAL_EVERY = 0.1
_LOG_EVERY = 30.0
_SKIP_IN_SUMMARY = frozenset({"epoch_seconds", "learning_rate"})


def _metric_order(name: str) -> tuple[bool, bool, str]:
    """Training before validation, the loss first in each."""
    bare = name.removeprefix("val_")
    return (name.startswith("val_"), bare != "loss", bare)


def summary_line(
    epoch: int, epochs: int, logs: dict[str, Any], seconds: float, samples: int
) -> str:
    """Return the line that sums up a finished epoch.

    Examples:
        >>> logs = {"accuracy": 0.81, "loss": 0.52, "val_loss": 0.61}
        >>> summary_line(0, 5, logs, 2.0, 1000)
        'epoch 1/5  loss 0.52  accuracy 81.00%  val_loss 0.61  2.0 s  500 samples/s'
    """
    parts = [f"epoch {epoch + 1}/{epochs}"]
    parts += [
        f"{name} {format_metric(name, float(logs[name]))}"
        for name in sorted(logs, key=_metric_order)
        if name not in _SKIP_IN_SUMMARY and isinstance(logs[name], int | float)
    ]
    if "learning_rate" in logs:
        parts.append(f"lr {float(logs['learning_rate']):.3g}")
    parts.append(format_seconds(seconds))
    if seconds > 0 and samples:
        parts.append(f"{samples / seconds:,.0f} samples/s")
    return "  ".join(parts)


def live_line(
    *,
    epoch: int,
    epochs: int,
    done: int,
    total: int | None,
    loss: float | None,
    seconds: float,
    batch_size: int,
) -> str:
    """Return the in-progress line of a running epoch.

    Examples:
        >>> live_line(
        ...     epoch=1,
        ...     epochs=5,
        ...     done=50,
        ...     total=200,
        ...     loss=0.31,
        ...     seconds=10.0,
        ...     batch_size=32,
        ... )
        'epoch 2/5  50/200 batches  160 samples/s  loss 0.31  30.0 s left'
    """
    counted = f"{done}/{total}" if total else f"{done}"
    parts = [f"epoch {epoch + 1}/{epochs}", f"{counted} batches"]
    if seconds > 0:
        parts.append(f"{done * batch_size / seconds:,.0f} samples/s")
    if loss is not None and math.isfinite(loss):
        parts.append(f"loss {loss:.4g}")
    if total and done and seconds > 0:
        parts.append(f"{format_seconds(seconds / done * (total - done))} left")
    return "  ".join(parts)


class Progress(keras.callbacks.Callback):  # type: ignore[misc]
    """Print a live progress line during each epoch and a summary line after it.

    Args:
        batch_size: samples per batch (for samples per second).
        samples: training samples per epoch.
        live: show the line while the epoch runs; ``False`` prints only the
            summary lines (``--quiet``).
        stream: where the live line goes (default stderr).
        summary_stream: where summary lines go (default stdout).
        terminal: rewrite the live line in place; default: whether ``stream``
            is a terminal. Elsewhere it is printed as a new line every 30 s.

    Examples:
        >>> import io
        >>> out = io.StringIO()
        >>> progress = Progress(
        ...     batch_size=10, samples=100, live=False, summary_stream=out
        ... )
        >>> progress.set_params({"epochs": 2, "steps": 10})
        >>> progress.on_epoch_begin(0)
        >>> progress.on_epoch_end(0, {"loss": 0.25})
        >>> out.getvalue().startswith("epoch 1/2  loss 0.25")
        True
    """

    batch_hooks_per_call = True
    """One update per compiled call is enough (as for Keras' progress bar), so
    the Trainer keeps running several steps per call."""

    def __init__(
        self,
        *,
        batch_size: int,
        samples: int,
        live: bool = True,
        stream: TextIO | None = None,
        summary_stream: TextIO | None = None,
        terminal: bool | None = None,
    ) -> None:
        super().__init__()
        self._batch_size = batch_size
        self._samples = samples
        self._live = live
        self._stream = stream if stream is not None else sys.stderr
        self._summary = summary_stream if summary_stream is not None else sys.stdout
        self._terminal = (
            terminal if terminal is not None else bool(self._stream.isatty())
        )
        self._epoch = 0
        self._start = time.perf_counter()
        self._shown = 0.0
        self._width = 0

    def _epochs(self) -> int:
        return int(self.params.get("epochs") or 0) if self.params else 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Start timing the epoch."""
        del logs
        self._epoch = epoch
        self._start = time.perf_counter()
        self._shown = self._start

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        """Redraw the live line, at most every 0.1 s (30 s outside a terminal)."""
        if not self._live:
            return
        now = time.perf_counter()
        if now - self._shown < (_TERMINAL_EVERY if self._terminal else _LOG_EVERY):
            return
        self._shown = now
        loss = (logs or {}).get("loss")
        line = live_line(
            epoch=self._epoch,
            epochs=self._epochs(),
            done=batch + 1,
            total=self.params.get("steps") if self.params else None,
            loss=float(loss) if isinstance(loss, int | float) else None,
            seconds=now - self._start,
            batch_size=self._batch_size,
        )
        if self._terminal:
            self._stream.write("\r" + line.ljust(self._width))
            self._width = len(line)
        else:
            self._stream.write(line + "\n")
        self._stream.flush()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Replace the live line by the epoch's summary."""
        seconds = time.perf_counter() - self._start
        if self._live and self._terminal and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
            self._stream.flush()
            self._width = 0
        line = summary_line(
            epoch, self._epochs(), dict(logs or {}), seconds, self._samples
        )
        self._summary.write(line + "\n")
        self._summary.flush()
