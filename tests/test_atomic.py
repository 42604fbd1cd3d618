"""Artifacts appear complete or not at all; nothing is overwritten by accident."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tfstarter._atomic import check_target, recover, recover_path, staged
from tfstarter.errors import ArtifactExistsError, ConfigError


def test_file_is_published_on_success(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "model.h5"
    with staged(target, kind="file", overwrite=False) as temp:
        assert temp.parent == target.parent and temp.suffix == ".h5"
        assert temp.name.startswith(".model.h5.tmp-")
        temp.write_text("done")
        assert not target.exists()
    assert target.read_text() == "done"
    assert sorted(p.name for p in target.parent.iterdir()) == ["model.h5"]


def _export_that_breaks(target: Path, *, overwrite: bool) -> None:
    with staged(target, kind="file", overwrite=overwrite) as temp:
        temp.write_text("half")
        raise RuntimeError("converter broke")


def _export_racing_another_writer(target: Path) -> None:
    with staged(target, kind="file", overwrite=False) as temp:
        temp.write_text("mine")
        target.write_text("someone else's")


def test_failure_leaves_no_target_and_no_temporary(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="converter broke"):
        _export_that_breaks(tmp_path / "model.tflite", overwrite=False)
    assert list(tmp_path.iterdir()) == []


def test_failure_keeps_the_previous_version(tmp_path: Path) -> None:
    target = tmp_path / "model.keras"
    target.write_text("old")
    with pytest.raises(RuntimeError, match="converter broke"):
        _export_that_breaks(target, overwrite=True)
    assert target.read_text() == "old"


def test_existing_file_needs_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "model.h5"
    target.write_text("old")
    with (
        pytest.raises(
            ArtifactExistsError, match=r"model\.h5 already exists.*overwrite=True"
        ),
        staged(target, kind="file", overwrite=False),
    ):
        pass  # pragma: no cover - never entered
    with staged(target, kind="file", overwrite=True) as temp:
        temp.write_text("new")
    assert target.read_text() == "new"


def test_target_appearing_meanwhile_is_not_clobbered(tmp_path: Path) -> None:
    target = tmp_path / "model.h5"
    with pytest.raises(ArtifactExistsError, match="appeared while it was being"):
        _export_racing_another_writer(target)
    assert target.read_text() == "someone else's"
    assert [p.name for p in tmp_path.iterdir()] == ["model.h5"]


def test_folder_overwrite_replaces_the_whole_folder(tmp_path: Path) -> None:
    target = tmp_path / "1"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    with staged(target, kind="dir", overwrite=True) as temp:
        temp.mkdir()
        (temp / "saved_model.pb").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["saved_model.pb"]
    assert [p.name for p in tmp_path.iterdir()] == ["1"]


def test_existing_folder_needs_overwrite(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    with pytest.raises(ArtifactExistsError, match="already exists"):
        check_target(tmp_path / "1", kind="dir", overwrite=False)


def test_wrong_kind_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.h5").mkdir()
    with pytest.raises(ConfigError, match=r"model\.h5 is a folder"):
        check_target(tmp_path / "model.h5", kind="file", overwrite=True)
    (tmp_path / "export").write_text("a file")
    with pytest.raises(ConfigError, match="export is a file"):
        check_target(tmp_path / "export", kind="dir", overwrite=True)


def test_exporter_that_writes_nothing_is_an_error(tmp_path: Path) -> None:
    with (
        pytest.raises(FileNotFoundError, match="wrote nothing"),
        staged(tmp_path / "m.h5", kind="file", overwrite=False),
    ):
        pass
    assert list(tmp_path.iterdir()) == []


def test_temporaries_of_dead_processes_are_cleaned(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".model.h5.tmp-{dead_pid}-abcd.h5"
    stale.write_text("left by a killed export")
    alive = tmp_path / f".model.h5.tmp-{os.getpid()}-beef.h5"
    alive.write_text("being written by a live process")
    with staged(tmp_path / "model.h5", kind="file", overwrite=False) as temp:
        temp.write_text("new")
    assert not stale.exists()
    assert alive.exists()


def test_file_systems_without_hard_links(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source: object, target: object) -> None:
        raise OSError("operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    with staged(tmp_path / "m.h5", kind="file", overwrite=False) as temp:
        temp.write_text("done")
    assert (tmp_path / "m.h5").read_text() == "done"
    assert [p.name for p in tmp_path.iterdir()] == ["m.h5"]


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def _interrupted_swap(
    parent: Path, name: str, pid: int, *, new: bool = True
) -> tuple[Path, Path]:
    """Lay out what a kill between the two renames of a folder swap leaves."""
    aside = parent / f".{name}.old-{pid}-0a1b2c3d"
    aside.mkdir(parents=True)
    (aside / "version.txt").write_text("old")
    temp = parent / f".{name}.tmp-{pid}-0a1b2c3d"
    if new:
        temp.mkdir()
        (temp / "version.txt").write_text("new")
    return aside, temp


def test_recover_finishes_an_interrupted_swap(tmp_path: Path) -> None:
    _interrupted_swap(tmp_path, "1", _dead_pid())
    assert recover(tmp_path / "1") is True
    assert (tmp_path / "1" / "version.txt").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["1"]


def test_recover_restores_the_old_folder_without_a_new_one(tmp_path: Path) -> None:
    _interrupted_swap(tmp_path, "bundle", _dead_pid(), new=False)
    assert recover(tmp_path / "bundle") is True
    assert (tmp_path / "bundle" / "version.txt").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["bundle"]


def test_recover_deletes_an_old_folder_left_beside_its_target(tmp_path: Path) -> None:
    (tmp_path / "1").mkdir()
    (tmp_path / "1" / "version.txt").write_text("new")
    aside = tmp_path / f".1.old-{_dead_pid()}-0a1b2c3d"
    aside.mkdir()
    assert recover(tmp_path / "1") is False
    assert [p.name for p in tmp_path.iterdir()] == ["1"]


def test_recover_leaves_live_swaps_alone(tmp_path: Path) -> None:
    aside, temp = _interrupted_swap(tmp_path, "1", os.getpid())
    assert recover(tmp_path / "1") is False
    assert aside.exists() and temp.exists() and not (tmp_path / "1").exists()


def test_staging_the_same_target_finishes_the_swap_first(tmp_path: Path) -> None:
    _interrupted_swap(tmp_path, "1", _dead_pid())
    with (
        pytest.raises(ArtifactExistsError, match="already exists"),
        staged(tmp_path / "1", kind="dir", overwrite=False),
    ):
        pass  # pragma: no cover - never entered
    assert (tmp_path / "1" / "version.txt").read_text() == "new"
    with staged(tmp_path / "1", kind="dir", overwrite=True) as temp:
        temp.mkdir()
        (temp / "version.txt").write_text("newest")
    assert (tmp_path / "1" / "version.txt").read_text() == "newest"
    assert [p.name for p in tmp_path.iterdir()] == ["1"]


def test_recover_path_walks_up_to_the_swapped_folder(tmp_path: Path) -> None:
    _interrupted_swap(tmp_path, "bundle", _dead_pid())
    recover_path(tmp_path / "bundle" / "saved_model" / "1")
    assert (tmp_path / "bundle" / "version.txt").read_text() == "new"
    base = tmp_path / "serving"
    base.mkdir()
    _interrupted_swap(base, "3", _dead_pid())
    recover_path(base)  # a SavedModel base folder: its version folders
    assert [p.name for p in base.iterdir()] == ["3"]
