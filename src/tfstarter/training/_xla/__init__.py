"""XLA in the Trainer, behind one door: `XlaPolicy` decides, `XlaStatus` reports.

- `XlaUpdate`: the optimizer's weight update compiled on its own
  (``jit_compile="auto"``), in both loops, where it is safe.
- `WholeStep`: whether the custom loop runs the whole step XLA-compiled, by
  a deterministic rule read from the step's ops (``"auto"``) or by a timed
  trial (``"autotune"``, opt-in, not repeatable).
- `XlaStatus`: what `tfstarter.Trainer.xla` reports.
"""

from __future__ import annotations

from tfstarter.training._xla._policy import XlaPolicy
from tfstarter.training._xla._status import XlaStatus
from tfstarter.training._xla._update import XlaUpdate
from tfstarter.training._xla._whole_step import (
    SLOWER_UNDER_XLA,
    SLOWER_UNDER_XLA_WITH_ONEDNN,
    WholeStep,
)

__all__ = [
    "SLOWER_UNDER_XLA",
    "SLOWER_UNDER_XLA_WITH_ONEDNN",
    "WholeStep",
    "XlaPolicy",
    "XlaStatus",
    "XlaUpdate",
]
