"""A full disk: an `ExportError` naming the target and the bytes; nothing corrupted.

The real case runs in a child process inside its own mount namespace
(``unshare``), where a 256 KiB tmpfs is mounted over the export folder; every
exporter then writes a model of 512 KiB of weights onto it. The other tests
raise the errors each writer raises on a full disk, in this process.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf

import tfstarter as tfs
from tfstarter.errors import ExportError, VerificationError
from tfstarter.export._disk_space import is_disk_full

CHILD = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path

    import keras
    import numpy as np

    import tfstarter as tfs

    root = Path(sys.argv[1])
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((256,)), keras.layers.Dense(512), keras.layers.Dense(4)]
    )
    model.compile(optimizer="adam", loss="mse")
    exports = {
        "keras": lambda over: tfs.export.keras(model, root / "m.keras", overwrite=over),
        "h5": lambda over: tfs.export.h5(model, root / "m.h5", overwrite=over),
        "saved_model": lambda over: tfs.export.saved_model(
            model, root / "sm", version=1, overwrite=over
        ),
        "tflite": lambda over: tfs.export.tflite(
            model, root / "m.tflite", overwrite=over
        ),
        "onnx": lambda over: tfs.export.onnx(model, root / "m.onnx", overwrite=over),
        "bundle": lambda over: tfs.export.bundle(model, root / "b", overwrite=over),
    }
    previous = {"keras": "m.keras", "h5": "m.h5", "tflite": "m.tflite",
                "onnx": "m.onnx"}
    report = {}
    for name, export in exports.items():
        for overwrite in (False, True):
            if overwrite and name in previous:
                (root / previous[name]).write_bytes(b"previous")
            elif overwrite:  # a folder target: an old version to keep
                old = root / ("sm/1" if name == "saved_model" else "b")
                old.mkdir(parents=True)
                (old / "keep.txt").write_text("previous")
            try:
                export(overwrite)
                outcome = {"error": None}
            except Exception as err:
                outcome = {"error": type(err).__name__, "message": str(err)}
            outcome["left"] = sorted(
                str(p.relative_to(root)) for p in root.rglob("*")
            )
            report[f"{name}/{overwrite}"] = outcome
            for item in root.iterdir():  # clean up for the next case
                if item.is_dir():
                    import shutil
                    shutil.rmtree(item)
                else:
                    item.unlink()
    print(json.dumps(report))
    """
)


@pytest.fixture(scope="module")
def full_disk_report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    if shutil.which("unshare") is None or shutil.which("mount") is None:
        pytest.skip("needs util-linux's unshare and mount (Linux)")
    root = tmp_path_factory.mktemp("full")
    script = (
        f"mount -t tmpfs -o size=256k tmpfs {root} && "
        f'exec "{sys.executable}" -c "$CHILD" {root}'
    )
    probe = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=4k tmpfs {root}"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs in a user namespace: {probe.stderr}")
    env = dict(os.environ, CHILD=CHILD, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, dict] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


TARGETS = {
    "keras": "m.keras",
    "h5": "m.h5",
    "saved_model": "sm/1",
    "tflite": "m.tflite",
    "onnx": "m.onnx",
    "bundle": "b",
}


@pytest.mark.slow
@pytest.mark.parametrize("overwrite", [False, True])
@pytest.mark.parametrize("fmt", list(TARGETS))
def test_full_disk_is_an_export_error_and_corrupts_nothing(
    full_disk_report: dict[str, dict], fmt: str, overwrite: bool
) -> None:
    outcome = full_disk_report[f"{fmt}/{overwrite}"]
    assert outcome["error"] == "ExportError", outcome
    message = outcome["message"]
    target = TARGETS[fmt]
    found = re.search(
        rf"no space left on the disk of /\S+/{target}: the export needs "
        rf"(at least )?([\d,]+) bytes .*, and ([\d,]+) bytes .* are free",
        message,
    )
    assert found, message
    exact, needed, free = found.group(1) is None, found.group(2), found.group(3)
    assert exact == (fmt in ("tflite", "onnx"))
    assert int(needed.replace(",", "")) >= 512 * 256 * 4  # the Dense(512) kernel
    assert int(free.replace(",", "")) < int(needed.replace(",", ""))
    assert "Nothing was written to" in message
    if not overwrite:
        expected = ["sm"] if fmt == "saved_model" else []
    elif fmt in ("saved_model", "bundle"):
        old = "sm/1" if fmt == "saved_model" else "b"
        expected = sorted({*old.split("/")[:1], old, f"{old}/keep.txt"})
    else:
        expected = [target]  # still holding b"previous"
    assert outcome["left"] == expected


def test_every_way_a_writer_says_disk_full_is_recognised() -> None:
    assert is_disk_full(OSError(errno.ENOSPC, "No space left on device"))
    assert is_disk_full(OSError(errno.EDQUOT, "Disk quota exceeded"))
    h5py_text = "Can't write data (file write failed: errno = 28, error message = 'x')"
    assert is_disk_full(OSError(h5py_text))
    tf_error = tf.errors.ResourceExhaustedError(
        None,
        None,
        "/x/variables.data-00000-of-00001.tempstate; No space left on device",
    )
    assert is_disk_full(tf_error)
    outer = RuntimeError("writer failed")
    outer.__cause__ = OSError(errno.ENOSPC, "No space left on device")
    assert is_disk_full(outer)
    assert not is_disk_full(
        tf.errors.ResourceExhaustedError(None, None, "OOM when allocating")
    )
    assert not is_disk_full(OSError(errno.EACCES, "Permission denied"))


def test_a_full_disk_while_saving_names_the_target(
    tmp_path: Path, trained_classifier: keras.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    target = tmp_path / "m.keras"
    target.write_bytes(b"previous")
    monkeypatch.setattr(keras.Model, "save", full)
    with pytest.raises(
        ExportError,
        match=rf"no space left on the disk of {target}: the export needs at least "
        rf"[\d,]+ bytes .* are free",
    ) as caught:
        tfs.export.keras(trained_classifier, target, overwrite=True)
    assert isinstance(caught.value.__cause__, OSError)
    assert target.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["m.keras"]


def test_other_errors_pass_unchanged(
    tmp_path: Path, trained_classifier: keras.Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    strict = tfs.export.Tolerance(atol=0.0, rtol=0.0, min_agreement=1.0)
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    with pytest.raises(VerificationError, match="does not reproduce the model"):
        tfs.export.tflite(
            trained_classifier,
            tmp_path / "m.tflite",
            quantize="float16",
            tolerance=strict,
            sample=x,
        )
