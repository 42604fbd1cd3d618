"""``tfstarter train``: from a config to a run folder that tells the whole story."""

from __future__ import annotations

import dataclasses
import io
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np

from tfstarter.cli._data import RunData, load_data, schema_to_json
from tfstarter.cli._environment import environment
from tfstarter.cli._model import build_model
from tfstarter.cli._parsers import EXPORT_FROM_RUN
from tfstarter.cli._quiet import filtered_stderr
from tfstarter.cli._recipe import run_recipe
from tfstarter.cli._report_files import report_inputs
from tfstarter.cli._resolve import resolved_config, saved_yaml
from tfstarter.cli._run_callbacks import run_callbacks, trainer_options
from tfstarter.cli._run_folder import RunFolder, write_json, write_text
from tfstarter.cli._signature_call import config_kwargs
from tfstarter.report import confident_mistakes, write_report
from tfstarter.report._format import format_metric
from tfstarter.report._mistakes import is_image_batch

MISTAKES_SHOWN = 16
"""How many confidently wrong test images the report shows."""

VERIFY_SAMPLES = 256
"""Test inputs every exported artifact is checked on."""


def _export(config: Any, model: keras.Model, data: RunData, folder: RunFolder) -> None:
    import tfstarter as tfs

    options = config_kwargs(
        tfs.export.bundle, config["export"].as_dict(), skip=EXPORT_FROM_RUN
    )
    if not options.get("formats"):
        return
    tfs.export.bundle(
        model,
        folder.export,
        representative_data=data.x_train[: options.get("calibration_samples", 200)],
        sample=data.x_test[:VERIFY_SAMPLES],
        **options,
    )


def _predictions(data: RunData, outputs: np.ndarray[Any, Any]) -> dict[str, Any]:
    arrays: dict[str, Any] = {"y_true": data.y_test, "outputs": outputs}
    if data.task == "classification" and is_image_batch(data.x_test):
        indices = confident_mistakes(data.y_test, outputs, count=MISTAKES_SHOWN)
        arrays["mistake_indices"] = indices
        arrays["mistake_images"] = data.x_test[indices]
    return arrays


def train(
    parser: Any, config: Any, *, argv: Sequence[str], verbose: bool, quiet: bool
) -> Path:
    """Run ``tfstarter train`` for a parsed config; return the run folder.

    Seeds everything, reads and splits the data, builds the model and the
    Trainer, trains with the run's callbacks, evaluates on the test split,
    saves and exports the model, then writes the summary and the report.
    """
    import tensorflow as tf

    import tfstarter as tfs

    config = resolved_config(config)
    seed = int(config.seed)
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    data = load_data(
        config.data.clone(), seed=seed, validation_split=config["data.validation_split"]
    )
    resume = config.get("resume")
    if resume:
        folder = RunFolder.unfinished(resume)
    else:
        folder = RunFolder.create(config.runs_dir, config.name)
        write_text(folder.config, saved_yaml(parser, config))
        write_json(folder.env, environment(seed=seed, argv=argv))

    model = build_model(
        config.model.as_dict(),
        data,
        seed=seed,
        normalize=bool(config["data.normalize"]),
    )
    callbacks = run_callbacks(config, folder, data, quiet=quiet, resume=bool(resume))
    trainer = tfs.Trainer(model, **trainer_options(config))
    batch_size = int(config["data.batch_size"])
    recipe = dataclasses.replace(run_recipe(config), validation_split=0.0)
    train_ds, _ = recipe.datasets(data.x_train, data.y_train, seed=seed)
    validation = (
        tfs.data.from_arrays(data.x_val, data.y_val, batch_size=batch_size)
        if data.x_val is not None
        else None
    )
    print(
        f"{folder.name}: {type(model).__name__} {model.name!r} with "
        f"{model.count_params():,} parameters; {len(data.x_train):,} training, "
        f"{0 if data.x_val is None else len(data.x_val):,} validation, "
        f"{len(data.x_test):,} test samples",
        flush=True,
    )
    start = time.perf_counter()
    every = config["fit.backup_every"]
    history = trainer.fit(
        train_ds,
        validation_data=validation,
        epochs=int(config["fit.epochs"]),
        callbacks=callbacks,
        verbose=0,
        backup_dir=None if every is None else folder.backup,
        backup_every="epoch" if every is None else every,
    )
    train_seconds = time.perf_counter() - start
    epochs_run = len(history.history.get("loss", []))

    test_ds = tfs.data.from_arrays(data.x_test, data.y_test, batch_size=batch_size)
    test_metrics = trainer.evaluate(test_ds, verbose=0)
    outputs = np.asarray(
        trainer.predict(
            tfs.data.from_arrays(data.x_test, batch_size=batch_size), verbose=0
        )
    )
    with filtered_stderr(enabled=not verbose):
        tfs.export.keras(model, folder.model)
        _export(config, model, data, folder)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **_predictions(data, outputs))
    folder.predictions.write_bytes(buffer.getvalue())

    stopping = config["fit.early_stopping"]
    monitor = stopping.monitor if stopping is not None else None
    write_json(
        folder.summary,
        {
            "name": config.name,
            "run": folder.name,
            "task": data.task,
            "classes": data.classes,
            "class_names": list(data.class_names) if data.class_names else None,
            "input_shape": list(data.input_shape),
            "test_metrics": test_metrics,
            "monitor": monitor,
            "epochs_run": epochs_run,
            "train_seconds": train_seconds,
            "samples_per_second": len(data.x_train) * epochs_run / train_seconds,
            "train_samples": len(data.x_train),
            "validation_samples": 0 if data.x_val is None else len(data.x_val),
            "test_samples": len(data.x_test),
            "parameters": int(model.count_params()),
            "data_source": config["data.source"],
            "csv_schema": (
                schema_to_json(data.csv_schema) if data.csv_schema is not None else None
            ),
        },
    )
    report = write_report(folder.path, report_inputs(folder))
    shown = "  ".join(
        f"{key} {format_metric(key, value)}" for key, value in test_metrics.items()
    )
    print(f"test: {shown}")
    print(f"report: {report}")
    sys.stdout.flush()
    return folder.path
