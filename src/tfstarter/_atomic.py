"""Write a file or folder beside its target and move it into place only when complete.

Every exporter, and the TFRecord writer, writes into a hidden temporary path in
the target's folder (same file system, so the final move is a rename) and
publishes it only after the writer, and any verification, has finished. A
crash or a ``SIGKILL`` therefore leaves the target either absent or complete,
never half-written.

* A file target is published with one atomic rename (``os.replace``), or, when
  overwriting is not allowed, with a hard link that fails if the target
  appeared meanwhile.
* A folder target (SavedModel, bundle) cannot be swapped atomically with the
  portable calls, so an existing one is first renamed aside to
  ``.<name>.old-<pid>-<token>``, the new folder (``.<name>.tmp-<pid>-<token>``,
  the same process id and token) is renamed in, and the old one is deleted.
* A kill between those two renames leaves the target absent, the previous
  version under its ``.old-`` name and the new, complete one under its
  ``.tmp-`` name. `recover` (run by every export to that target and by
  `tfstarter.export.load`) finishes such a swap: the new folder was complete
  and verified before the first rename, so it is renamed in and the old one
  deleted; if the new one is gone, the old one is put back.
* Temporary paths carry the writer's process id; ones left by a dead process
  are removed the next time the same target is written.

Why our own code: `os.replace` cannot replace a non-empty folder, and
`shutil`/`tempfile` offer no crash-safe publish at all.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from tfstarter.errors import ArtifactExistsError, ConfigError

Kind = Literal["file", "dir"]

_TMP_MARK = ".tmp-"
_OLD_MARK = ".old-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _remove_stale_temporaries(target: Path) -> None:
    """Delete temporaries of ``target`` left behind by processes that died."""
    prefix = f".{target.name}{_TMP_MARK}"
    for leftover in target.parent.glob(f"{prefix}*"):
        pid_text = leftover.name[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            _remove(leftover)


def _fsync_tree(path: Path) -> None:
    """Flush a file, or every file and folder under a folder, to disk."""
    paths = [path] if path.is_file() else [*path.rglob("*"), path]
    for item in paths:
        flags = os.O_RDONLY | (os.O_DIRECTORY if item.is_dir() else 0)
        try:
            descriptor = os.open(item, flags)
        except OSError:  # e.g. folders cannot be opened on some platforms
            continue
        try:
            os.fsync(descriptor)
        except OSError:
            pass
        finally:
            os.close(descriptor)


def temporary_path(target: Path) -> Path:
    """Return a fresh hidden path beside ``target`` to write it under.

    The name carries this process's id, so temporaries a killed writer left
    behind are deleted here, the next time the same target is written. It
    keeps the target's suffix (Keras picks the file format from it).

    Example:
        >>> temporary_path(Path("/tmp/a.tfrecord")).name.startswith(".a.tfrecord.tmp-")
        True
    """
    _remove_stale_temporaries(target)
    return _temporary_name(target, os.getpid(), secrets.token_hex(4))


def _temporary_name(target: Path, pid: int, token: str) -> Path:
    return target.with_name(f".{target.name}{_TMP_MARK}{pid}-{token}{target.suffix}")


def _aside_name(temp: Path, target: Path) -> Path:
    """Return the name the old ``target`` gets while ``temp`` replaces it.

    It carries the same process id and token as ``temp``, so `recover` can
    tell which new folder belongs to which old one.
    """
    prefix = f".{target.name}{_TMP_MARK}"
    stem = temp.name[len(prefix) :]
    if target.suffix:
        stem = stem[: -len(target.suffix)]
    return target.with_name(f".{target.name}{_OLD_MARK}{stem}")


def recover(target: Path) -> bool:
    """Finish, or undo, a folder swap of ``target`` that a killed process left.

    A kill between the two renames that publish a folder over an existing one
    leaves ``target`` absent, the old folder as ``.<name>.old-<pid>-<token>``
    and the new one as ``.<name>.tmp-<pid>-<token>``. If that process is dead,
    the new folder (complete and verified before the swap began) is renamed
    into place and the old one deleted; without the new one, the old one is
    put back. Old folders left beside a present target (a kill after the
    second rename) are deleted. Swaps of live processes are left alone.

    Returns:
        Whether ``target`` was restored or completed.

    Example:
        >>> recover(Path("/nonexistent/model"))
        False
    """
    target = target.absolute()
    prefix = f".{target.name}{_OLD_MARK}"
    try:
        asides = sorted(target.parent.glob(f"{prefix}*"))
    except OSError:
        return False
    repaired = False
    for aside in asides:
        pid_text, _, token = aside.name[len(prefix) :].partition("-")
        if not pid_text.isdigit() or _pid_alive(int(pid_text)):
            continue
        if target.exists() or target.is_symlink():
            _remove(aside)
            continue
        new = _temporary_name(target, int(pid_text), token)
        os.rename(new if new.is_dir() else aside, target)
        _remove(aside)
        _fsync_tree_parent(target)
        repaired = True
    return repaired


def recover_within(folder: Path) -> None:
    """Run `recover` for every interrupted swap directly inside ``folder``.

    `tfstarter.export.load` calls it on a SavedModel base folder, whose
    version folders are swapped one by one.

    Example:
        >>> recover_within(Path("/nonexistent"))
    """
    try:
        asides = [entry for entry in folder.iterdir() if _OLD_MARK in entry.name]
    except OSError:
        return
    for aside in asides:
        name = aside.name[1:].split(_OLD_MARK, 1)[0]
        recover(folder / name)


def recover_path(path: Path) -> None:
    """Repair interrupted swaps that hide ``path`` or a folder it lies in.

    Walks up from ``path`` while the path is missing (a bundle being swapped
    hides every file inside it), then looks inside ``path`` if it is a folder.

    Example:
        >>> recover_path(Path("/nonexistent/bundle/model.keras"))
    """
    path = path.absolute()
    for candidate in (path, *path.parents):
        if candidate.exists():
            break
        if recover(candidate):
            break
    if path.is_dir():
        recover_within(path)


def check_target(target: Path, *, kind: Kind, overwrite: bool) -> None:
    """Refuse a target that exists (unless ``overwrite``) or is of the wrong kind.

    Raises:
        ArtifactExistsError: if ``target`` exists and ``overwrite`` is false.
        ConfigError: if ``target`` exists as a folder where a file is written,
            or the other way round.

    Example:
        >>> check_target(Path("/nonexistent/model.h5"), kind="file", overwrite=False)
    """
    if not target.exists():
        return
    if kind == "file" and target.is_dir():
        raise ConfigError(
            f"{target} is a folder, but a single file is to be written there. "
            f"Pass a file path such as {target / 'model'}{target.suffix or '.keras'}."
        )
    if kind == "dir" and not target.is_dir():
        raise ConfigError(
            f"{target} is a file, but a folder is to be written there. Pass "
            f"another path, or delete the file."
        )
    if not overwrite:
        raise ArtifactExistsError(
            f"{target} already exists; pass overwrite=True to replace it, or "
            f"choose another path."
        )


def _publish_file(temp: Path, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails if the target appeared meanwhile
    except FileExistsError:
        raise ArtifactExistsError(
            f"{target} appeared while it was being exported; pass overwrite=True "
            f"to replace it, or choose another path."
        ) from None
    except OSError:  # file system without hard links: check, then rename
        check_target(target, kind="file", overwrite=False)
        os.replace(temp, target)
    else:
        temp.unlink()


def _publish_dir(temp: Path, target: Path, *, overwrite: bool) -> None:
    if not target.exists():
        os.rename(temp, target)
        return
    check_target(target, kind="dir", overwrite=overwrite)
    aside = _aside_name(temp, target)
    os.rename(target, aside)  # a kill from here to the next rename: see recover()
    os.rename(temp, target)
    shutil.rmtree(aside, ignore_errors=True)


@contextlib.contextmanager
def staged(target: Path, *, kind: Kind, overwrite: bool) -> Iterator[Path]:
    """Yield a temporary path for ``target``; move it into place if the block succeeds.

    The temporary path lies in the target's folder and keeps its suffix (Keras
    picks the format from it). If the block raises, the temporary path is
    deleted and the target is left as it was.

    Raises:
        ArtifactExistsError: if ``target`` exists and ``overwrite`` is false.
        ConfigError: if ``target`` exists as the wrong kind (file / folder).

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> with staged(folder / "a.txt", kind="file", overwrite=False) as temp:
        ...     _ = temp.write_text("complete")
        >>> (folder / "a.txt").read_text()
        'complete'
    """
    target = target.absolute()
    recover(target)
    check_target(target, kind=kind, overwrite=overwrite)
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = temporary_path(target)
    try:
        yield temp
        if not temp.exists():
            raise FileNotFoundError(f"the exporter wrote nothing to {temp}")
        _fsync_tree(temp)
        if kind == "file":
            _publish_file(temp, target, overwrite=overwrite)
        else:
            _publish_dir(temp, target, overwrite=overwrite)
        _fsync_tree_parent(target)
    finally:
        _remove(temp)


def _fsync_tree_parent(target: Path) -> None:
    """Flush the folder entry of a renamed target, so the rename survives a crash."""
    with contextlib.suppress(OSError):
        descriptor = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
