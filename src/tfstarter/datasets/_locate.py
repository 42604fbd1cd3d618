"""Where to look for dataset files: argument, environment, Keras cache."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "TFSTARTER_DATA_DIR"


@dataclass(frozen=True)
class Candidate:
    """A directory that may hold a dataset, and why it is searched.

    ``idx`` says whether IDX files are looked for there; the shared Keras cache
    folder is searched for ``.npz`` files only, since IDX file names are the
    same for MNIST and Fashion-MNIST.
    """

    directory: Path
    source: str
    idx: bool = True


def keras_home() -> Path:
    """Return the Keras home directory (``$KERAS_HOME`` or ``~/.keras``).

    Examples:
        >>> keras_home().name  # doctest: +SKIP
        '.keras'
    """
    configured = os.environ.get("KERAS_HOME")
    if configured:
        return Path(configured).expanduser()
    return Path("~/.keras").expanduser()


def keras_cache_dir() -> Path:
    """Return the folder where ``keras.utils.get_file`` keeps datasets.

    Examples:
        >>> keras_cache_dir().name
        'datasets'
    """
    return keras_home() / "datasets"


def candidates(folder: str, data_dir: str | os.PathLike[str] | None) -> list[Candidate]:
    """List the directories to search for a dataset, most specific first.

    Args:
        folder: the dataset's sub-folder name (``"mnist"``).
        data_dir: an explicit directory; either the root holding ``folder`` or
            the dataset folder itself.

    Examples:
        >>> [c.source for c in candidates("mnist", "/data")][:2]
        ['data_dir=', 'data_dir=']
    """
    found: list[Candidate] = []
    if data_dir is not None:
        root = Path(data_dir).expanduser()
        found.append(Candidate(root / folder, "data_dir="))
        found.append(Candidate(root, "data_dir="))
    env = os.environ.get(DATA_DIR_ENV)
    if env:
        found.append(Candidate(Path(env).expanduser() / folder, f"${DATA_DIR_ENV}"))
    cache = keras_cache_dir()
    found.append(Candidate(cache / folder, "Keras cache"))
    found.append(Candidate(cache, "Keras cache", idx=False))
    return found
