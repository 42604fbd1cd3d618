"""`XlaStatus`: what a Trainer's train step compiles with XLA, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tfstarter.training._compat import xla_environment_reason
from tfstarter.training._options import TrainerOptions


@dataclass(frozen=True)
class XlaStatus:
    """What the train step compiles with XLA, and why (see `Trainer.xla`).

    Attributes:
        whole_step: the train step runs XLA-compiled as a whole.
        update: the optimizer's weight update runs XLA-compiled (true, too,
            when the whole step does).
        decided: ``False`` while ``jit_compile="auto"`` may still try
            whole-step XLA in the custom loop.
        reason: why, in words.
        seconds_per_step: the custom loop's trial of whole-step XLA, if one
            ran: the median time per step of each form, keys ``"xla"`` and
            ``"plain"``.

    Examples:
        >>> XlaStatus(False, False, True, "jit_compile=False").update
        False
    """

    whole_step: bool
    update: bool
    decided: bool
    reason: str
    seconds_per_step: Mapping[str, float] = field(default_factory=dict)


def xla_status(options: TrainerOptions, engines: Any) -> XlaStatus:
    """The `XlaStatus` of a Trainer with these options and engines."""
    if options.jit_compile is True:
        return XlaStatus(True, True, True, "jit_compile=True")
    if options.jit_compile is False:
        return XlaStatus(False, False, True, "jit_compile=False")
    environment = xla_environment_reason()
    if environment is not None:
        return XlaStatus(False, False, True, f"no XLA: {environment}")
    return _auto_status(options, engines)


def _auto_status(options: TrainerOptions, engines: Any) -> XlaStatus:
    """The status under ``jit_compile="auto"`` where XLA is available at all."""
    update_reason = engines.update_unavailable()
    update = update_reason is None
    update_words = (
        "the weight update is XLA-compiled on its own"
        if update
        else f"the weight update is not XLA-compiled: {update_reason}"
    )
    if options.loop == "fit":
        return XlaStatus(
            False,
            update,
            True,
            f"{update_words}; whole-step XLA is only tried by the custom loop",
        )
    trial = engines.last_trial
    if trial is None:
        unavailable = engines.whole_step_unavailable()
        if unavailable is not None:
            return XlaStatus(
                False, update, True, f"{update_words}; no whole-step XLA: {unavailable}"
            )
        return XlaStatus(
            False,
            update,
            False,
            f"{update_words}; whole-step XLA not tried yet: the trial starts in "
            f"a fit call with enough training left",
        )
    whole = trial.choice == "xla"
    return XlaStatus(
        whole,
        update or whole,
        trial.choice != "pending",
        f"{update_words}; whole-step XLA {'chosen' if whole else 'not used'}: "
        f"{trial.reason}",
        dict(trial.seconds_per_step),
    )
