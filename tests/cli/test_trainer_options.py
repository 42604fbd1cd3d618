"""The `trainer` section becomes `Trainer` arguments, the fast path kept."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tfstarter as tfs
from tfstarter.cli._epoch_log import EpochExtras
from tfstarter.cli._parsers import train_parser
from tfstarter.cli._progress import Progress
from tfstarter.cli._run_callbacks import trainer_options


def options(*args: str, callbacks: Sequence[Any] = ()) -> dict[str, object]:
    config = train_parser().parse_args(["--model=tfstarter.models.linear", *args])
    return trainer_options(config, callbacks)


def progress() -> Progress:
    return Progress(batch_size=1, samples=1)


def test_auto_steps_keep_several_steps_per_call_despite_the_progress_line() -> None:
    chosen = options(callbacks=[progress(), EpochExtras()])
    assert chosen["steps_per_execution"] == tfs.training.AUTO_STEPS_PER_EXECUTION


def test_auto_steps_run_one_step_per_call_for_a_per_batch_schedule() -> None:
    schedule = tfs.models.Recipe(2, 8, schedule="one_cycle").callbacks()
    chosen = options(callbacks=[*schedule, progress()])
    assert chosen["steps_per_execution"] == 1


def test_explicit_options_pass_through() -> None:
    chosen = options(
        "--trainer.loop=custom",
        "--trainer.steps_per_execution=4",
        "--trainer.clipping={by: global_norm, threshold: 1.0}",
    )
    assert chosen["loop"] == "custom"
    assert chosen["steps_per_execution"] == 4
    assert chosen["clipping"] == tfs.training.GradientClipping("global_norm", 1.0)
    assert chosen["jit_compile"] is False  # deterministic by default in the command
