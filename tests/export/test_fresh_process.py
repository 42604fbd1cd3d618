"""Exported files load and predict in a fresh process that cannot import tfstarter.

The child process uses only stock tools: `keras.models.load_model` for
``.h5``/``.keras``, `tf.saved_model.load` for the SavedModel, and the LiteRT
interpreter for ``.tflite``; an import hook makes any attempt to import
tfstarter fail. It also goes on training the loaded H5 and ``.keras`` models.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.models._goldens import GOLDENS

pytestmark = pytest.mark.slow

CHILD = textwrap.dedent(
    """
    import importlib.abc, json, sys
    from pathlib import Path

    class NoTfstarter(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "tfstarter" or name.startswith("tfstarter."):
                raise ImportError("tfstarter must not be imported here")
            return None

    sys.meta_path.insert(0, NoTfstarter())

    import numpy as np
    import keras
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter

    root = Path(sys.argv[1])
    report = {}
    for case in sorted(p for p in root.iterdir() if p.is_dir()):
        x = np.load(case / "x.npy")
        y = np.load(case / "y.npy")
        out = {}
        for name in ("model.h5", "model.keras"):
            model = keras.models.load_model(case / name)
            out[name] = model.predict(x, verbose=0)
            history = model.fit(x, y, epochs=1, batch_size=32, verbose=0)
            report[f"{case.name}/{name}/loss"] = history.history["loss"][0]
            report[f"{case.name}/{name}/optimizer"] = type(model.optimizer).__name__
        served = tf.saved_model.load(str(case / "serving" / "1"))
        signature = served.signatures["serving_default"]
        out["saved_model"] = signature(inputs=tf.constant(x))["outputs"].numpy()
        for name in ("model.tflite", "model.int8.tflite"):
            interpreter = Interpreter(model_path=str(case / name))
            runner = interpreter.get_signature_runner("serving_default")
            out[name] = runner(inputs=x)["outputs"]
        np.savez(case / "child.npz", **out)
    report["tfstarter_imported"] = any(m.startswith("tfstarter") for m in sys.modules)
    print(json.dumps(report))
    """
)


def _export_case(
    folder: Path, model: keras.Model, x: np.ndarray, y: np.ndarray
) -> None:
    folder.mkdir()
    np.save(folder / "x.npy", x)
    np.save(folder / "y.npy", y)
    np.save(folder / "expected.npy", np.asarray(model(x, training=False)))
    # check=False: what counts here is what the stock runtimes make of the files
    tfs.export.h5(model, folder / "model.h5", check=False)
    tfs.export.keras(model, folder / "model.keras", check=False)
    tfs.export.saved_model(model, folder / "serving", check=False)
    tfs.export.tflite(model, folder / "model.tflite", check=False)
    tfs.export.tflite(
        model,
        folder / "model.int8.tflite",
        quantize="int8",
        representative_data=x,
        check=False,
    )


CASES = ("dense_regression_normalized", "cnn_mnist_rescale")


@pytest.fixture(scope="module")
def child_results(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, object]]:
    root = tmp_path_factory.mktemp("fresh")
    for name in CASES:
        golden = next(g for g in GOLDENS if g.name == name)
        keras.utils.set_random_seed(0)
        model = golden.build()
        x = golden.sample_inputs(64)
        y = golden.sample_targets(64)
        model.fit(x, y, epochs=1, verbose=0)
        _export_case(root / name, model, x, y)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(root)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root, json.loads(done.stdout.strip().splitlines()[-1])


def test_tfstarter_was_never_imported(
    child_results: tuple[Path, dict[str, object]],
) -> None:
    _, report = child_results
    assert report["tfstarter_imported"] is False


@pytest.mark.parametrize("case", CASES)
def test_same_outputs_in_stock_runtimes(
    child_results: tuple[Path, dict[str, object]], case: str
) -> None:
    root, report = child_results
    expected = np.load(root / case / "expected.npy")
    got = np.load(root / case / "child.npz")
    np.testing.assert_allclose(got["model.h5"], expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got["model.keras"], expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got["saved_model"], expected, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got["model.tflite"], expected, rtol=1e-4, atol=1e-4)
    scale = float(np.abs(expected).max())
    assert (
        float(np.abs(got["model.int8.tflite"] - expected).max()) <= 0.02 + 0.1 * scale
    )
    for name in ("model.h5", "model.keras"):
        assert report[f"{case}/{name}/optimizer"] == "Adam"
        assert np.isfinite(report[f"{case}/{name}/loss"])  # type: ignore[arg-type]
