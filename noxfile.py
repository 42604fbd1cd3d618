"""Developer sessions: ``nox -s tests lint typecheck docs examples bench``.

Each session installs what it needs into its own virtualenv. With
``nox --no-venv`` the sessions run in the current environment instead (CI
does this after one ``pip install -e ".[dev]"``), and nothing is installed;
the tools are then looked up on PATH, so put that environment's ``bin/``
first (``.ci/run`` does).
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

ROOT = Path(__file__).resolve().parent
SHARED_DATA = ROOT.parent / "shared" / "data"

nox.options.sessions = ["lint", "typecheck", "docs", "tests"]
nox.options.reuse_existing_virtualenvs = True


def _install(session: nox.Session, *args: str) -> None:
    """Install into the session's virtualenv; a no-op under ``--no-venv``."""
    if session.venv_backend != "none":
        session.install(*args)


def _data_env() -> dict[str, str]:
    """Use ``../shared/data`` for the datasets when it exists and nothing is set."""
    env = {"TF_CPP_MIN_LOG_LEVEL": "2"}
    if "TFSTARTER_DATA_DIR" not in os.environ and SHARED_DATA.is_dir():
        env["TFSTARTER_DATA_DIR"] = str(SHARED_DATA)
    return env


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test-suite (pytest + hypothesis), one worker per core.

    Extra arguments go to pytest and replace ``-n auto``, e.g.
    ``nox -s tests -- tests/models -x``.
    """
    _install(session, "-e", ".[test]")
    args = session.posargs or ["-n", "auto"]
    session.run("python", "-m", "pytest", *args, env=_data_env())


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    _install(session, "ruff")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict on src/."""
    _install(session, "-e", ".", "mypy")
    session.run("mypy", "--strict", "src")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site with --strict."""
    _install(session, "-e", ".[docs]")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        "build/site",
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session
def examples(session: nox.Session) -> None:
    """Run every script in examples/ in its quick mode."""
    _install(session, "-e", ".[litert]", "tensorboard")
    scripts = sorted((ROOT / "examples").glob("*.py"))
    if not scripts:
        session.error("no scripts found in examples/")
    for script in scripts:
        session.run(
            "python",
            str(script),
            "--quick",
            "--output-dir",
            str(ROOT / "build" / "examples" / script.stem),
            env=_data_env(),
        )


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks in benchmarks/ (long); results go to docs/benchmarks/."""
    _install(session, "-e", ".[litert]")
    scripts = sorted((ROOT / "benchmarks").glob("[!_]*.py"))
    if not scripts:
        session.error("no benchmarks found in benchmarks/")
    for script in scripts:
        session.run("python", str(script), *session.posargs, env=_data_env())


@nox.session(name="time_to_accuracy")
def time_to_accuracy(session: nox.Session) -> None:
    """Time to accuracy of the recipes vs the anchors (docs/benchmarks/accuracy.md).

    Long (an hour or more on 2 cores); ``nox -s time_to_accuracy -- --quick``
    is a smoke run of about a minute that writes under build/ instead.
    """
    _install(session, "-e", ".")
    session.run(
        "python",
        str(ROOT / "benchmarks" / "time_to_accuracy.py"),
        *session.posargs,
        env=_data_env(),
    )


@nox.session
def backups(session: nox.Session) -> None:
    """Backups and multi-worker training (docs/benchmarks/backups.md).

    The cost of backups, the time to write and restore one, and two workers
    vs one process. About 20 minutes on 2 quiet cores; ``nox -s backups --
    --quick`` is a smoke run of a few minutes that writes nothing.
    """
    _install(session, "-e", ".")
    session.run(
        "python",
        str(ROOT / "benchmarks" / "backups.py"),
        *session.posargs,
        env=_data_env(),
    )
