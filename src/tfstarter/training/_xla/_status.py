"""`XlaStatus`: what a Trainer's train step compiles with XLA, and why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class XlaStatus:
    """What the train step compiles with XLA, and why (see `Trainer.xla`).

    Attributes:
        whole_step: the train step runs XLA-compiled as a whole.
        update: the optimizer's weight update runs XLA-compiled (true, too,
            when the whole step does).
        decided: ``False`` while the custom loop may still decide on
            whole-step XLA (``jit_compile="auto"`` or ``"autotune"``).
        reason: why, in words.
        seconds_per_step: under ``jit_compile="autotune"``, the trial's
            median time per step of each form, keys ``"xla"`` and
            ``"plain"`` (empty otherwise).

    Examples:
        >>> XlaStatus(False, False, True, "jit_compile=False").update
        False
    """

    whole_step: bool
    update: bool
    decided: bool
    reason: str
    seconds_per_step: Mapping[str, float] = field(default_factory=dict)
