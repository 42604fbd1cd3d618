"""The `trainer` section becomes `Trainer` arguments, the fast path kept."""

from __future__ import annotations

import tfstarter as tfs
from tfstarter.cli._epoch_log import EpochExtras
from tfstarter.cli._parsers import train_parser
from tfstarter.cli._progress import Progress
from tfstarter.cli._run_callbacks import trainer_options
from tfstarter.training._dispatch import TRAIN_BATCH_HOOKS


def options(*args: str) -> dict[str, object]:
    config = train_parser().parse_args(["--model=tfstarter.models.linear", *args])
    return trainer_options(config)


def progress() -> Progress:
    return Progress(batch_size=1, samples=1)


def _steps_per_call(callbacks: list[object]) -> int:
    trainer = tfs.Trainer(tfs.models.linear(2), "custom")
    return trainer._engine.steps_per_execution(callbacks, TRAIN_BATCH_HOOKS)


def test_the_progress_line_keeps_several_steps_per_call() -> None:
    assert Progress.batch_hooks_per_call
    assert _steps_per_call([progress(), EpochExtras()]) == (
        tfs.training.AUTO_STEPS_PER_EXECUTION
    )


def test_a_per_batch_schedule_still_gets_one_step_per_call() -> None:
    schedule = tfs.models.Recipe(2, 8, schedule="one_cycle").callbacks()
    if not schedule:  # the recipe schedules through the optimizer
        return
    assert _steps_per_call([*schedule, progress()]) == 1


def test_explicit_options_pass_through() -> None:
    chosen = options(
        "--trainer.loop=custom",
        "--trainer.steps_per_execution=4",
        "--trainer.clipping={by: global_norm, threshold: 1.0}",
    )
    assert chosen["loop"] == "custom"
    assert chosen["steps_per_execution"] == 4
    assert chosen["clipping"] == tfs.training.GradientClipping("global_norm", 1.0)
