"""Saving and deployment: H5, .keras, SavedModel, TFLite and ONNX files that work.

Mirrors workflow 10 of the "first model" tutorials: save to H5, to a
SavedModel for TensorFlow Serving, to TFLite for phones and to ONNX for ONNX
Runtime; the files must load and predict.

What tfstarter does for you: each `tfs.export` function writes its file
atomically and checks it in the runtime that will serve it before putting
it in place, and `tfs.export.verify` reports how closely it matches the
in-memory model on real test images. It avoids the tutorials' traps: H5
files of models compiled with string losses that Keras 3 cannot load back
(the builders compile with loss objects, and `h5` stores loss names Keras
can read), ``model.save("x.tflite")`` (TFLite needs the converter:
`tfs.export.tflite`, with int8 calibration on training images), and the
deprecated ``tf.lite.Interpreter`` (`tfs.export.load` runs ``.tflite`` files
in the LiteRT interpreter). The SavedModel is laid out as TensorFlow Serving
expects (``serving/mnist/1/``) with a stable ``serving_default`` signature
and TF Serving warm-up records from real test images; the ONNX file takes
the same ``inputs`` and returns the same ``outputs`` in ONNX Runtime.

Run (needs MNIST and ``pip install "tfstarter[litert,onnx,serving]"``):
    python examples/10_saving_and_deployment.py            # full run (~1 min)
    python examples/10_saving_and_deployment.py --quick    # smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import tensorflow as tf

import tfstarter as tfs


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="a smoke test: tiny data, seconds"
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=Path("artifacts") / Path(__file__).stem,
        help="where results are written (default: %(default)s)",
    )
    return parser.parse_args()


def check(ok: bool, message: str) -> None:
    """Exit with status 1 and ``message`` unless ``ok``."""
    if not ok:
        sys.exit(f"FAILED: {message}")


def main() -> None:
    args = parse_args()
    keras.utils.set_random_seed(0)
    out = args.output_dir

    (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist()
    if args.quick:  # 2,000 training and 1,000 test images, one epoch
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]
    model = tfs.models.dense((28, 28), classes=10, rescale=1 / 255)
    trainer = tfs.Trainer(model, loop="custom")
    trainer.fit(
        x_train, y_train, batch_size=128, epochs=1 if args.quick else 5, verbose=2
    )

    # Write each format; every exporter checks its file before publishing it.
    paths = [
        tfs.export.h5(model, out / "mnist.h5", overwrite=True),
        tfs.export.keras(model, out / "mnist.keras", overwrite=True),
        tfs.export.saved_model(
            model,
            out / "serving/mnist",
            version=1,
            overwrite=True,
            warmup=x_test[:100],  # TF Serving runs these before serving
        ),
        tfs.export.tflite(model, out / "mnist.tflite", overwrite=True),
        tfs.export.tflite(
            model,
            out / "mnist.int8.tflite",
            quantize="int8",
            representative_data=x_train[:500],  # calibration: training images
            overwrite=True,
        ),
        tfs.export.onnx(model, out / "mnist.onnx", overwrite=True),
    ]

    # Verify on real test images, then load each file and score it.
    scores = trainer.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    keras_accuracy = scores["accuracy"]
    print(f"\nin-memory Keras model: test accuracy {keras_accuracy:.2%}")
    results = {"keras_model_accuracy": keras_accuracy, "artifacts": []}
    for path in paths:
        report = tfs.export.verify(path, model, x_test[:1000])
        predictor = tfs.export.load(path)
        accuracy = float((predictor.predict(x_test).argmax(axis=1) == y_test).mean())
        print(f"{report}\n    loaded back: test accuracy {accuracy:.2%}")
        results["artifacts"].append({**report.to_dict(), "test_accuracy": accuracy})

    # What TensorFlow Serving runs: the SavedModel's serving_default signature.
    served = tf.saved_model.load(str(paths[2])).signatures["serving_default"]
    outputs = served(inputs=tf.constant(x_test[:3], tf.float32))["outputs"]
    print(f"\nserving_default on 3 images -> classes {outputs.numpy().argmax(axis=1)}")
    # The .keras file keeps the optimizer state, ready to go on training.
    reloaded = keras.models.load_model(out / "mnist.keras")
    steps = int(reloaded.optimizer.iterations)
    print(f".keras reloaded with its optimizer after {steps} steps")

    (out / "results.json").write_text(json.dumps(results, indent=2))

    check(steps == int(model.optimizer.iterations), "the optimizer state was lost")
    for entry in results["artifacts"]:
        check(entry["passed"], f"{entry['path']} failed verification")
        floor = keras_accuracy - 0.01  # int8 may cost a little accuracy
        check(entry["test_accuracy"] >= floor, f"{entry['path']} scores too low")


if __name__ == "__main__":
    main()
