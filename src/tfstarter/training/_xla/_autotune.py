"""``jit_compile="autotune"``: whole-step XLA where a timed trial finds it faster.

Why our own code: Keras leaves XLA off on a machine without a GPU, because
XLA on a CPU is faster for some models and slower for others; the
deterministic rule of ``"auto"`` (see `WholeStep`) reads the model's ops, and
may misjudge a model it has no rule for. This trial measures instead: during
a long enough ``fit`` it runs a few rounds of each form, alternating, and
keeps the faster one, as tf.data's ``AUTOTUNE`` and cuDNN's autotuning do.
Because the choice depends on the machine's load, two runs of the same
script can choose differently and end with weights that differ at rounding
level (and then drift): it is opt-in, never the default.

The trial starts only in a ``fit`` call with at least `TRIAL_MIN_SECONDS` of
training left at the plain step's measured pace; every batch is trained once,
by one form or the other.
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tfstarter.training._compiled import Functions
from tfstarter.training._epoch_iterator import Call

TRIAL_MIN_SECONDS = 30.0
"""Training time a ``fit`` call must have left (at the plain step's measured
pace) for the trial to start: the XLA compile it risks takes seconds."""

TRIAL_ROUNDS = 3
"""Timed rounds of each form, alternating (XLA, plain, XLA, ...)."""

ROUND_STEPS = 32
"""Steps a timed round runs at least."""

XLA_MARGIN = 0.95
"""Whole-step XLA is kept only if it takes at most this fraction of the plain
step's time per step."""

_PACE_WINDOW = 4
_PACE_MIN = 2


@dataclass
class Autotune:
    """Times whole-step XLA against the plain step and settles on the faster.

    Args:
        plain: the plain train forms.
        xla: the whole-step XLA train forms, once compiled (see `WholeStep`).
        settle: called with ``(choice, reason)`` when the trial decides.

    Examples:
        >>> tune = Autotune(plain=None, xla=None, settle=print)
        >>> tune.started
        False
    """

    plain: Any
    xla: Any
    settle: Callable[[str, str], None]
    started: bool = False
    seconds_per_step: dict[str, float] = field(default_factory=dict)
    _pace: deque[float] = field(
        default_factory=lambda: deque(maxlen=_PACE_WINDOW), init=False, repr=False
    )
    _plain_calls: int = field(default=0, init=False, repr=False)
    _rounds: list[str] = field(
        default_factory=lambda: ["xla", "plain"] * TRIAL_ROUNDS, init=False, repr=False
    )
    _round_seconds: float = field(default=0.0, init=False, repr=False)
    _round_steps: int = field(default=0, init=False, repr=False)
    _times: dict[str, list[float]] = field(
        default_factory=lambda: {"xla": [], "plain": []}, init=False, repr=False
    )

    def pace(self, iterator: Any, call: Call, steps_left: int) -> Any:
        """Run a plain call, timed; start the trial if enough training is left."""
        logs, seconds = _timed(self.plain, iterator, call)
        self._plain_calls += 1
        steps = call.steps or call.limit
        if self._plain_calls > 1:
            self._pace.append(seconds / steps)
        if (
            len(self._pace) >= _PACE_MIN
            and statistics.median(self._pace) * (steps_left - steps)
            >= TRIAL_MIN_SECONDS
        ):
            self.started = True
        return logs

    def round(self, iterator: Any, call: Call) -> Any:
        """Run one call of the next timed round."""
        form = self._rounds[0]
        logs, seconds = _timed(
            self.xla if form == "xla" else self.plain, iterator, call
        )
        self._round_seconds += seconds
        self._round_steps += call.steps or call.limit
        if self._round_steps >= ROUND_STEPS:
            self._times[form].append(self._round_seconds / self._round_steps)
            self._round_seconds, self._round_steps = 0.0, 0
            self._rounds.pop(0)
            if not self._rounds:
                self._decide()
        return logs

    def _decide(self) -> None:
        xla = statistics.median(self._times["xla"])
        plain = statistics.median(self._times["plain"])
        self.seconds_per_step = {"xla": xla, "plain": plain}
        measured = (
            f"timed: whole-step XLA took {xla * 1e3:.3g} ms per step, the plain "
            f"step {plain * 1e3:.3g} ms (median of {TRIAL_ROUNDS} alternating "
            f"rounds of at least {ROUND_STEPS} steps each)"
        )
        if xla <= XLA_MARGIN * plain:
            self.settle("xla", f"{measured}: XLA is faster")
        else:
            self.settle(
                "plain", f"{measured}: XLA is not at least {1 - XLA_MARGIN:.0%} faster"
            )


def _timed(functions: Functions, iterator: Any, call: Call) -> tuple[Any, float]:
    # A compiled call on the host returns when its work is done, so the wall
    # time of the call is the time of its steps.
    start = time.perf_counter()
    logs = functions(iterator, call)
    return logs, time.perf_counter() - start
