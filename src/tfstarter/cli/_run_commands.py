"""The subcommands that work on a finished run: evaluate, predict, export, report."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import keras
import numpy as np

from tfstarter.cli._data import RunData, load_data, schema_from_json
from tfstarter.cli._predict_inputs import read_inputs
from tfstarter.cli._report_files import report_inputs
from tfstarter.cli._run_folder import RunFolder, write_text
from tfstarter.cli._sections import DataConfig
from tfstarter.report import predicted_classes, write_report


def run_config(folder: RunFolder) -> Any:
    """Return the parsed config.yaml of a run."""
    from tfstarter.cli._parsers import train_parser

    return train_parser().parse_path(str(folder.config))


def _model(folder: RunFolder) -> keras.Model:
    return keras.models.load_model(folder.model)


def _data(folder: RunFolder, data: DataConfig | Any) -> RunData:
    config = run_config(folder)
    return load_data(
        data, seed=int(config.seed), validation_split=config["data.validation_split"]
    )


def evaluate(folder: RunFolder, data: Any) -> dict[str, float]:
    """Return the test metrics of the run's model on the data ``data`` describes."""
    import tfstarter as tfs

    run_data = _data(folder, data)
    trainer = tfs.Trainer(_model(folder), jit_compile=False)
    batch = int(data.batch_size or 256)
    test = tfs.data.from_arrays(run_data.x_test, run_data.y_test, batch_size=batch)
    results: dict[str, float] = trainer.evaluate(test, verbose=0)
    return results


def predict(folder: RunFolder, source: str, output: str, *, batch_size: int) -> int:
    """Write the model's predictions for ``source`` to the CSV file ``output``.

    Returns:
        The number of rows written.
    """
    import tfstarter as tfs

    summary = folder.read_json(folder.summary)
    schema = summary.get("csv_schema")
    x, files = read_inputs(
        source,
        input_shape=tuple(summary["input_shape"]),
        schema=schema_from_json(schema) if schema else None,
    )
    trainer = tfs.Trainer(_model(folder), jit_compile=False)
    outputs = np.asarray(trainer.predict(x, batch_size=batch_size, verbose=0))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    lead = ["file"] if files is not None else []
    if summary["task"] == "classification":
        labels, confidence = predicted_classes(outputs)
        names: list[str] = summary.get("class_names") or []
        named = bool(names) and names != [str(i) for i in range(len(names))]
        writer.writerow(
            [*lead, "class", *(["class_name"] if named else []), "probability"]
        )
        for row, (label, share) in enumerate(zip(labels, confidence, strict=True)):
            extra = [names[label]] if named else []
            writer.writerow(
                [
                    *([files[row]] if files else []),
                    int(label),
                    *extra,
                    repr(float(share)),
                ]
            )
    else:
        values = outputs.reshape(len(outputs), -1)
        header = (
            ["value"]
            if values.shape[1] == 1
            else [f"value_{index}" for index in range(values.shape[1])]
        )
        writer.writerow([*lead, *header])
        for row, value in enumerate(values):
            writer.writerow(
                [*([files[row]] if files else []), *(repr(float(v)) for v in value)]
            )
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text(target, buffer.getvalue())
    return len(outputs)


def export(folder: RunFolder, fmt: str, quantize: str | None) -> Path:
    """Add a verified ``fmt`` export to the run's bundle, keeping what it holds.

    The bundle is written again with the formats and quantization modes it
    already has plus the new one, every artifact verified on the run's test
    inputs, and replaces the old bundle only when all have passed.
    """
    import tfstarter as tfs

    manifest_path = folder.export / "manifest.json"
    formats: list[str] = []
    modes: list[str | None] = []
    if manifest_path.is_file():
        for entry in folder.read_json(manifest_path)["artifacts"]:
            formats.append(entry["format"])
            if entry["format"] == "tflite":
                modes.append(entry["quantize"])
    formats.append(fmt)
    if fmt == "tflite" or quantize is not None:
        modes.append(quantize)
    config = run_config(folder)
    run_data = _data(folder, config.data)
    calibration = int(config["export.calibration_samples"])
    tfs.export.bundle(
        _model(folder),
        folder.export,
        formats=tuple(dict.fromkeys(formats)),  # type: ignore[arg-type]
        quantize=tuple(dict.fromkeys(modes or [None])),  # type: ignore[arg-type]
        representative_data=run_data.x_train[:calibration],
        calibration_samples=calibration,
        sample=run_data.x_test[:256],
        overwrite=True,
    )
    report(folder)
    return folder.export


def report(folder: RunFolder) -> Path:
    """Rebuild the run's plots and ``report.html`` from its files."""
    return write_report(folder.path, report_inputs(folder))


def metrics_json(metrics: dict[str, float]) -> str:
    """Return metrics as the JSON ``evaluate`` prints.

    Examples:
        >>> metrics_json({"loss": 0.5, "accuracy": 0.75})
        '{"accuracy": 0.75, "loss": 0.5}'
    """
    return json.dumps(dict(sorted(metrics.items())))
