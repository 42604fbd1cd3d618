"""`tfstarter --version`, `--help` everywhere, and `python -m tfstarter`."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest

import tfstarter
from tfstarter.cli._main import SUBCOMMANDS


def test_version(cli: Callable[..., Any]) -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"tfstarter {tfstarter.__version__}"


def test_python_m_tfstarter_version_is_fast_and_quiet() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tfstarter", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert done.stdout.strip() == f"tfstarter {tfstarter.__version__}"
    assert done.stderr == ""


def test_top_level_help_lists_every_subcommand(cli: Callable[..., Any]) -> None:
    result = cli("--help")
    assert result.code == 0
    for name in SUBCOMMANDS:
        assert name in result.out


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help(cli: Callable[..., Any], name: str) -> None:
    result = cli(name, "--help")
    assert result.code == 0
    usage = result.out.splitlines()[0]
    assert usage.startswith("usage: tfstarter") and f" {name} " in usage
    assert "--verbose" in result.out


def test_train_help_shows_the_sections(cli: Callable[..., Any]) -> None:
    out = cli("train", "--help").out
    for option in (
        "--config",
        "--print-config",
        "--runs-dir",
        "--name",
        "--data.limit",
        "--fit.epochs",
        "--trainer.loop",
        "--export.formats",
        "--model",
    ):
        assert option in out


def test_no_subcommand_is_a_usage_error(cli: Callable[..., Any]) -> None:
    result = cli()
    assert result.code == 2
    assert "error" in result.err
