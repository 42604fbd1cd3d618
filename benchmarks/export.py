"""Export benchmark: file size, batch-1 latency and accuracy of every export format.

Trains tfstarter's MNIST `dense` and `cnn` models briefly, exports each to H5,
``.keras``, SavedModel, TFLite (float32, dynamic-range, float16, int8) and
ONNX (needs the ``onnx`` extra),
loads every artifact back with `tfstarter.export.load` and measures its size,
its batch-1 latency (median of many single-image calls) and its accuracy on
the MNIST test set, against ``model.predict`` and ``model(x)`` as baselines.

    python benchmarks/export.py          # full run, rewrites docs/benchmarks/export.md
    python benchmarks/export.py --quick  # smoke test; never touches the docs page

Data comes from ``$TFSTARTER_DATA_DIR`` (or the other places
`tfstarter.datasets.mnist` looks).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

sys.path.insert(0, str(Path(__file__).resolve().parent))

ROOT = Path(__file__).resolve().parent.parent
DOCS_PAGE = ROOT / "docs" / "benchmarks" / "export.md"
QUICK_PAGE = ROOT / "build" / "benchmarks" / "export-quick.md"
QUICK_TRAIN, QUICK_TEST = 2000, 1000
MODELS = ("dense", "cnn")


def table(rows: Sequence[object]) -> str:
    """Render the measured rows as a markdown table."""
    from _export_measure import Row

    lines = [
        "| model | served as | file size | vs TFLite float32 | batch-1 latency "
        "| vs `model.predict` | test accuracy | argmax agreement |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    by_model: dict[str, list[Row]] = {}
    for row in rows:
        assert isinstance(row, Row)
        by_model.setdefault(row.model, []).append(row)
    for model, group in by_model.items():
        predict = next(r for r in group if "predict" in r.way).latency_s
        float32 = next(r for r in group if r.way == "TFLite float32").size_bytes
        for row in group:
            size = (
                "—" if row.size_bytes is None else f"{row.size_bytes / 1024:,.1f} KiB"
            )
            ratio = (
                "—"
                if row.size_bytes is None or not float32
                else f"{row.size_bytes / float32:.2f}x"
            )
            agreement = "—" if row.agreement is None else f"{100 * row.agreement:.1f}%"
            speedup = (
                "baseline"
                if row.latency_s == predict
                else f"{predict / row.latency_s:,.1f}x lower"
            )
            lines.append(
                f"| {model} | {row.way} | {size} | {ratio} "
                f"| {row.latency_s * 1e6:,.0f} µs | {speedup} "
                f"| {100 * row.accuracy:.2f}% | {agreement} |"
            )
    return "\n".join(lines)


def targets(rows: Sequence[object]) -> list[str]:
    """Check the issue's targets; return one line per target and model."""
    from _export_measure import Row

    lines = []
    for model in dict.fromkeys(r.model for r in rows if isinstance(r, Row)):
        group = {r.way: r for r in rows if isinstance(r, Row) and r.model == model}
        keras_row = group["Keras `model.predict` (baseline)"]
        float32, int8 = group["TFLite float32"], group["TFLite int8"]
        assert float32.size_bytes is not None
        assert int8.size_bytes is not None
        size_ratio = int8.size_bytes / float32.size_bytes
        loss = 100 * (keras_row.accuracy - int8.accuracy)
        speedup = keras_row.latency_s / float32.latency_s
        checks = [
            (
                size_ratio <= 0.3,
                f"int8 file {size_ratio:.2f}x the float32 file (target <= 0.3x)",
            ),
            (
                loss <= 0.3,
                f"int8 accuracy loss {loss:+.2f} points (target <= 0.3)",
            ),
            (
                speedup >= 10,
                f"TFLite float32 batch-1 latency {speedup:.0f}x lower than "
                f"`model.predict` (target >= 10x)",
            ),
        ]
        lines += [
            f"- {model}: {'met' if ok else '**missed**'}: {text}" for ok, text in checks
        ]
    return lines


def page(rows: Sequence[object], *, quick: bool, epochs: int, train: int) -> str:
    """Return the markdown page."""
    from _machine import machine_summary

    warning = (
        '!!! warning "Quick run"\n    A `--quick` smoke run on a small subset; '
        "the numbers say nothing about accuracy or speed.\n\n"
        if quick
        else ""
    )
    intro = (
        f"tfstarter's MNIST `dense` and `cnn` models with default settings "
        f"(pixels as float32 0..255, rescaled inside the model), trained for "
        f"{epochs} epoch(s) on {train:,} training images, then exported to every "
        f"format by `python benchmarks/export.py`. Each artifact is loaded back "
        f"with `tfstarter.export.load` and measured as a user calls it: file size "
        f"on disk (all files, for a SavedModel), batch-1 latency (median of many "
        f"`predictor.predict(x[i:i+1])` calls over different test images, after "
        f"a warm-up), accuracy on the MNIST test images, and the argmax agreement "
        f"with the Keras model that `verify` reports (first 1,000 test images). "
        f"The baselines are the in-memory Keras model called with `model.predict` "
        f"and with `model(x)`. int8 files are calibrated on 500 training images."
    )
    notes = (
        "Reading the table: the `.keras` file also holds the optimizer state "
        "(Adam keeps two slots per weight), hence about 3x the weights alone; "
        "H5 files from tfstarter hold the optimizer's configuration but not its "
        "state. `.h5`/`.keras` predictors run the Keras model through one traced "
        "`tf.function`, SavedModel predictors through the `serving_default` "
        "signature, `.tflite` predictors through the LiteRT interpreter, `.onnx` "
        "predictors through an ONNX Runtime CPU session (default threads); every "
        "latency includes the predictor's own input checks and, for int8 I/O, "
        "the NumPy (de)quantization of inputs and outputs."
    )
    return (
        f"# Export formats\n\n{warning}{intro}\n\n"
        + "\n".join(targets(rows))
        + f"\n\n{table(rows)}\n\n{notes}\n\n{machine_summary()} "
        + f"{onnx_versions()}\n"
    )


def onnx_versions() -> str:
    """Return the versions of the ONNX packages the ONNX row used."""
    import importlib.metadata as md

    found = []
    for name in ("tf2onnx", "onnx", "onnxruntime"):
        try:
            found.append(f"{name} {md.version(name)}")
        except md.PackageNotFoundError:
            found.append(f"{name} not installed")
    return f"ONNX row: {', '.join(found)}."


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke test: {QUICK_TRAIN} training and {QUICK_TEST} test images, "
        f"1 epoch, few calls; written to {QUICK_PAGE.relative_to(ROOT)}, never to "
        f"the docs",
    )
    parser.add_argument("--models", nargs="+", choices=MODELS, default=MODELS)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--calls", type=int, default=2000, help="batch-1 calls per row")
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"where to write the page (default: {DOCS_PAGE.relative_to(ROOT)}, "
        f"or {QUICK_PAGE.relative_to(ROOT)} with --quick)",
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import keras

    import tfstarter as tfs
    from _export_measure import measure_model
    from _machine import write_page

    output = args.output or (QUICK_PAGE if args.quick else DOCS_PAGE)
    if args.quick and output.resolve() == DOCS_PAGE.resolve():
        parser.error("--quick results never overwrite the docs page")
    epochs = 1 if args.quick else args.epochs
    calls = 100 if args.quick else args.calls

    (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist()
    if args.quick:
        x_train, y_train = x_train[:QUICK_TRAIN], y_train[:QUICK_TRAIN]
        x_test, y_test = x_test[:QUICK_TEST], y_test[:QUICK_TEST]
    x_train = x_train.astype("float32")
    x_test = x_test.astype("float32")

    builders = {
        "dense": lambda: tfs.models.dense((28, 28), classes=10, rescale=1 / 255),
        "cnn": lambda: tfs.models.cnn((28, 28), 10, rescale=1 / 255),
    }
    rows = []
    with tempfile.TemporaryDirectory(prefix="tfstarter-export-bench-") as scratch:
        for name in args.models:
            keras.utils.set_random_seed(args.seed)
            model = builders[name]()
            model.fit(x_train, y_train, epochs=epochs, batch_size=128, verbose=0)
            folder = Path(scratch) / name
            folder.mkdir()
            rows += measure_model(
                name,
                model,
                folder,
                x_calibration=x_train[:500],
                x_test=x_test,
                y_test=y_test,
                calls=calls,
                slow_calls=max(20, calls // 10),
            )
    text = page(rows, quick=args.quick, epochs=epochs, train=len(x_train))
    write_page(output, text)
    print("\n" + "\n".join(targets(rows)) + f"\n\n{table(rows)}\n\nwritten to {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
