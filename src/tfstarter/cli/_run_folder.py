"""`RunFolder`: where one ``train`` run keeps everything, and how to find it again.

Layout of ``RUNS_DIR/NAME/version_N/``::

    config.yaml        the resolved config; `tfstarter train --config` repeats the run
    env.json           versions, CPU, seed, git commit, the exact command
    metrics.csv        one row per epoch: metrics, learning rate, epoch time
    tensorboard/       TensorBoard logs
    model.keras        the trained model
    export/            the verified export bundle and its manifest.json
    run.json           test metrics, timings, data facts (read by the subcommands)
    predictions.npz    the test targets and outputs (read by the report)
    plots/*.png        the report's figures
    report.html        the self-contained report
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tfstarter._atomic import staged
from tfstarter.errors import ConfigError

_VERSION = re.compile(r"^version_(\d+)$")


@dataclass(frozen=True)
class RunFolder:
    """The folder of one run, with the path of each file in it.

    Examples:
        >>> import tempfile
        >>> runs = Path(tempfile.mkdtemp())
        >>> first = RunFolder.create(runs, "demo")
        >>> second = RunFolder.create(runs, "demo")
        >>> first.path.name, second.path.name
        ('version_0', 'version_1')
    """

    path: Path

    @classmethod
    def create(cls, runs_dir: str | os.PathLike[str], name: str) -> RunFolder:
        """Create ``runs_dir/name/version_N`` with N one more than the largest there.

        Creating the folder is the claim on its number, so two runs started
        at once get different versions.

        Raises:
            ConfigError: if ``name`` is empty or not a plain folder name.
        """
        if not name or name != Path(name).name or name.startswith("."):
            raise ConfigError(
                f"`name` must be a plain folder name such as 'mnist_cnn', got {name!r}."
            )
        parent = Path(runs_dir) / name
        parent.mkdir(parents=True, exist_ok=True)
        while True:
            taken = [
                int(match.group(1))
                for entry in parent.iterdir()
                if (match := _VERSION.match(entry.name))
            ]
            path = parent / f"version_{max(taken, default=-1) + 1}"
            try:
                path.mkdir()
            except FileExistsError:
                continue
            return cls(path)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> RunFolder:
        """Return the run folder at ``path``, checking that it is one.

        Raises:
            ConfigError: if ``path`` is not a folder written by ``tfstarter
                train`` (it needs ``config.yaml``, ``run.json`` and
                ``model.keras``).
        """
        folder = cls(Path(path))
        missing = [
            file.name
            for file in (folder.config, folder.summary, folder.model)
            if not file.is_file()
        ]
        if not folder.path.is_dir() or missing:
            found = (
                "does not exist"
                if not folder.path.exists()
                else (
                    "is not a folder"
                    if not folder.path.is_dir()
                    else f"has no {', '.join(missing)}"
                )
            )
            raise ConfigError(
                f"{os.fspath(path)!r} is not a run folder: it {found}. Pass a folder "
                f"written by `tfstarter train`, such as runs/NAME/version_0 (the "
                f"last line `train` prints names it)."
            )
        return folder

    @property
    def name(self) -> str:
        """``NAME/version_N``."""
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def config(self) -> Path:
        """``config.yaml``."""
        return self.path / "config.yaml"

    @property
    def env(self) -> Path:
        """``env.json``."""
        return self.path / "env.json"

    @property
    def backup(self) -> Path:
        """``backup/``: the backups of a run under way (removed when it ends)."""
        return self.path / "backup"

    @classmethod
    def unfinished(cls, path: str | os.PathLike[str]) -> RunFolder:
        """Return the run folder at ``path`` to resume, checking that it can be.

        Raises:
            ConfigError: if ``path`` holds no ``config.yaml``, or the run has
                finished (its ``run.json`` is written).
        """
        folder = cls(Path(path))
        if not folder.config.is_file():
            raise ConfigError(
                f"--resume {os.fspath(path)!r}: not a run folder (no config.yaml). "
                f"Pass the folder of a run that was stopped, such as "
                f"runs/NAME/version_0."
            )
        if folder.summary.is_file():
            raise ConfigError(
                f"--resume {os.fspath(path)!r}: that run has finished (its run.json "
                f"is written); there is nothing to resume. Start a new run with "
                f"--config {os.fspath(folder.config)}."
            )
        return folder

    @property
    def metrics(self) -> Path:
        """``metrics.csv``."""
        return self.path / "metrics.csv"

    @property
    def tensorboard(self) -> Path:
        """``tensorboard/``."""
        return self.path / "tensorboard"

    @property
    def model(self) -> Path:
        """``model.keras``."""
        return self.path / "model.keras"

    @property
    def export(self) -> Path:
        """``export/``."""
        return self.path / "export"

    @property
    def summary(self) -> Path:
        """``run.json``."""
        return self.path / "run.json"

    @property
    def predictions(self) -> Path:
        """``predictions.npz``."""
        return self.path / "predictions.npz"

    def read_json(self, path: Path) -> dict[str, Any]:
        """Return the JSON object stored at ``path``."""
        value = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(value, dict):
            raise ConfigError(f"{path} does not hold a JSON object.")
        return value


def write_json(path: Path, value: Any) -> None:
    r"""Write ``value`` as indented JSON, atomically.

    Examples:
        >>> import tempfile
        >>> target = Path(tempfile.mkdtemp()) / "a.json"
        >>> write_json(target, {"a": 1})
        >>> target.read_text()
        '{\n  "a": 1\n}\n'
    """
    with staged(path, kind="file", overwrite=True) as temp:
        temp.write_text(json.dumps(value, indent=2) + "\n", encoding="utf-8")


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, atomically."""
    with staged(path, kind="file", overwrite=True) as temp:
        temp.write_text(text, encoding="utf-8")
