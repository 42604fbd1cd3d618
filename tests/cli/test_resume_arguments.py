"""``tfstarter train --resume RUN`` parses the run's saved config and nothing else.

A resumed run goes on exactly as it was saved; an option that would change
it is refused (exit 2) with the command that starts a new run instead, and
never dropped silently. No training here: these stop at the parse.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tfstarter.cli import main
from tfstarter.cli._main import _parse


@pytest.fixture
def stopped_run(tmp_path: Path, regression_config: str) -> Path:
    """A run folder as a stopped run leaves it: a saved config, no run.json."""
    run = tmp_path / "runs" / "tiny" / "version_0"
    run.mkdir(parents=True)
    (run / "config.yaml").write_text(f"name: tiny\n{regression_config}")
    return run


@pytest.mark.parametrize(
    "extra",
    [
        ["--fit.epochs", "9"],
        ["--fit.epochs=9"],
        ["--seed", "1"],
        ["--config", "other.yaml"],
    ],
    ids=["space", "equals", "seed", "config"],
)
def test_resume_refuses_other_options(stopped_run, capsys, extra):
    status = main(["train", "--resume", str(stopped_run), *extra])
    error = capsys.readouterr().err
    assert status == 2
    assert "takes no other options" in error
    assert f"got: {' '.join(extra)}" in error
    assert f"tfstarter train --config {stopped_run / 'config.yaml'}" in error


@pytest.mark.parametrize(
    "flags",
    [[], ["--quiet"], ["--verbose"], ["--quiet", "--verbose"]],
    ids=["none", "quiet", "verbose", "both"],
)
@pytest.mark.parametrize("form", ["space", "equals"])
def test_resume_parses_the_saved_config_with_output_flags(stopped_run, flags, form):
    resume = (
        ["--resume", str(stopped_run)]
        if form == "space"
        else [f"--resume={stopped_run}"]
    )
    config, _ = _parse(["train", *resume, *flags])
    options = config.train
    assert options.resume == str(stopped_run)
    assert options.name == "tiny"
    assert options.seed == 3
    assert options.fit.epochs == 3
    assert options.trainer.loop == "custom"
    assert options.quiet == ("--quiet" in flags)
    assert options.verbose == ("--verbose" in flags)


def test_resume_of_a_folder_without_config_is_refused(tmp_path, capsys):
    status = main(["train", "--resume", str(tmp_path), "--fit.epochs", "9"])
    assert status == 2
    assert "not a run folder (no config.yaml)" in capsys.readouterr().err
