"""Exported files load and predict in a fresh process that cannot import tfstarter.

The child process uses only stock tools: `keras.models.load_model` for
``.h5``/``.keras``, `tf.saved_model.load` for the SavedModel, the LiteRT
interpreter for ``.tflite``, ONNX Runtime for ``.onnx``, and the
``tensorflow-serving-api`` protos for the TF Serving warm-up records, whose
inputs it feeds to the loaded signature; an import hook makes any attempt to
import tfstarter fail. It also goes on training the loaded H5 and ``.keras``
models. TensorFlow's ``saved_model_cli`` (its own process) shows and runs the
SavedModel of every registry entry.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.models._goldens import GOLDENS, Golden

pytestmark = [pytest.mark.slow, pytest.mark.extended]  # its own step of .ci/run

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
    import onnxruntime
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter
    from tensorflow_serving.apis import prediction_log_pb2

    root = Path(sys.argv[1])
    report = {}
    for case in sorted(p for p in (root / "goldens").iterdir()):
        x = np.load(case / "x.npy")
        out = {}
        session = onnxruntime.InferenceSession(str(case / "model.onnx"))
        out["onnx"] = session.run(["outputs"], {"inputs": x})[0]
        out["onnx_batch1"] = session.run(["outputs"], {"inputs": x[:1]})[0]
        version = case / "serving" / "1"
        signature = tf.saved_model.load(str(version)).signatures["serving_default"]
        warmup = version / "assets.extra" / "tf_serving_warmup_requests"
        inputs, served = [], []
        for record in tf.data.TFRecordDataset(str(warmup)):
            log = prediction_log_pb2.PredictionLog.FromString(record.numpy())
            request = log.predict_log.request
            assert request.model_spec.signature_name == "serving_default"
            tensor = tf.make_ndarray(request.inputs["inputs"])
            inputs.append(tensor)
            served.append(signature(inputs=tf.constant(tensor))["outputs"].numpy())
        out["warmup_inputs"] = np.concatenate(inputs)
        out["warmup_outputs"] = np.concatenate(served)
        np.savez(case / "child.npz", **out)
    root = root / "cases"
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
    folder.mkdir(parents=True)
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


def _export_golden(folder: Path, model: keras.Model, x: np.ndarray) -> None:
    folder.mkdir(parents=True)
    np.save(folder / "x.npy", x)
    np.save(folder / "expected.npy", np.asarray(model(x, training=False)))
    tfs.export.saved_model(model, folder / "serving", warmup=x[:WARMUP], check=False)
    tfs.export.onnx(model, folder / "model.onnx", check=False)


CASES = ("dense_regression_normalized", "cnn_mnist_rescale")
GOLDEN_NAMES = [golden.name for golden in GOLDENS]
WARMUP = 5


@pytest.fixture(scope="module")
def child_results(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, object]]:
    root = tmp_path_factory.mktemp("fresh")
    for golden in GOLDENS:
        keras.utils.set_random_seed(0)
        model = golden.build()
        x = golden.sample_inputs(16)
        model.fit(x, golden.sample_targets(16), epochs=1, verbose=0)
        _export_golden(root / "goldens" / golden.name, model, x)
    for name in CASES:
        golden = next(g for g in GOLDENS if g.name == name)
        keras.utils.set_random_seed(0)
        model = golden.build()
        x = golden.sample_inputs(64)
        y = golden.sample_targets(64)
        model.fit(x, y, epochs=1, verbose=0)
        _export_case(root / "cases" / name, model, x, y)
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
    expected = np.load(root / "cases" / case / "expected.npy")
    got = np.load(root / "cases" / case / "child.npz")
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


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_onnx_runtime_reproduces_every_registry_entry(
    child_results: tuple[Path, dict[str, object]], name: str
) -> None:
    root, _ = child_results
    expected = np.load(root / "goldens" / name / "expected.npy")
    got = np.load(root / "goldens" / name / "child.npz")
    np.testing.assert_allclose(got["onnx"], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(got["onnx_batch1"], expected[:1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_warmup_records_serve_every_registry_entry(
    child_results: tuple[Path, dict[str, object]], name: str
) -> None:
    root, _ = child_results
    x = np.load(root / "goldens" / name / "x.npy")
    expected = np.load(root / "goldens" / name / "expected.npy")
    got = np.load(root / "goldens" / name / "child.npz")
    np.testing.assert_array_equal(got["warmup_inputs"], x[:WARMUP])
    np.testing.assert_allclose(
        got["warmup_outputs"], expected[:WARMUP], rtol=1e-5, atol=1e-5
    )


def saved_model_cli(*args: str) -> str:
    """Run TensorFlow's own ``saved_model_cli`` (installed with TensorFlow)."""
    command = shutil.which(
        "saved_model_cli",
        path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    assert command, "saved_model_cli (installed with tensorflow) is not on PATH"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    done = subprocess.run(
        [command, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _shape(dims: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in (-1, *dims)) + ")"


@pytest.mark.parametrize("golden", GOLDENS, ids=lambda g: g.name)
def test_saved_model_cli_shows_the_documented_signature(
    child_results: tuple[Path, dict[str, object]], golden: Golden
) -> None:
    root, _ = child_results
    shown = saved_model_cli(
        "show",
        "--dir",
        str(root / "goldens" / golden.name / "serving" / "1"),
        "--tag_set",
        "serve",
        "--signature_def",
        "serving_default",
    )
    assert shown.splitlines()[:10] == [
        "The given SavedModel SignatureDef contains the following input(s):",
        "  inputs['inputs'] tensor_info:",
        "      dtype: DT_FLOAT",
        f"      shape: {_shape(golden.input_shape)}",
        "      name: serving_default_inputs:0",
        "The given SavedModel SignatureDef contains the following output(s):",
        "  outputs['outputs'] tensor_info:",
        "      dtype: DT_FLOAT",
        f"      shape: {_shape(golden.output_shape)}",
        "      name: StatefulPartitionedCall:0",
    ]
    assert "Method name is: tensorflow/serving/predict" in shown


@pytest.mark.parametrize("name", GOLDEN_NAMES)
def test_saved_model_cli_run_gives_the_keras_outputs(
    child_results: tuple[Path, dict[str, object]], name: str, tmp_path: Path
) -> None:
    root, _ = child_results
    case = root / "goldens" / name
    saved_model_cli(
        "run",
        "--dir",
        str(case / "serving" / "1"),
        "--tag_set",
        "serve",
        "--signature_def",
        "serving_default",
        "--inputs",
        f"inputs={case / 'x.npy'}",
        "--outdir",
        str(tmp_path),
    )
    got = np.load(tmp_path / "outputs.npy")
    np.testing.assert_allclose(
        got, np.load(case / "expected.npy"), rtol=1e-5, atol=1e-5
    )
