"""``env.json``: what a run ran on, so its numbers can be traced and compared."""

from __future__ import annotations

import importlib.metadata
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tfstarter._version import __version__
from tfstarter.cli._onednn import ONEDNN_VARIABLE

_PACKAGES = (
    "tensorflow",
    "keras",
    "numpy",
    "jsonargparse",
    "matplotlib",
    "ai-edge-litert",
)


def cpu_model() -> str:
    """Return the CPU's model name (from ``/proc/cpuinfo`` on Linux).

    Examples:
        >>> isinstance(cpu_model(), str)
        True
    """
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def git_commit(folder: Path) -> str | None:
    """Return the git commit checked out in ``folder`` (``+dirty`` if changed), or None.

    Examples:
        >>> git_commit(Path("/")) is None or True
        True
    """
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        changes = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}+dirty" if changes else commit


def _installed(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def environment(*, seed: int, argv: Sequence[str]) -> dict[str, Any]:
    """Return the facts ``env.json`` records about this process.

    Examples:
        >>> facts = environment(seed=0, argv=["tfstarter", "train"])
        >>> facts["command"], facts["seed"], "tensorflow" in facts["versions"]
        ('tfstarter train', 0, True)
    """
    import keras
    import tensorflow as tf

    versions: dict[str, str | None] = {
        "python": platform.python_version(),
        "tfstarter": __version__,
    }
    versions.update({package: _installed(package) for package in _PACKAGES})
    versions["tensorflow"] = tf.__version__
    versions["keras"] = keras.__version__
    return {
        "versions": versions,
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "platform": platform.platform(),
        "python_executable": sys.executable,
        "tf_enable_onednn_opts": os.environ.get(ONEDNN_VARIABLE),
        "seed": seed,
        "git_commit": git_commit(Path.cwd()),
        "working_directory": str(Path.cwd()),
        "command": shlex.join(argv),
    }
