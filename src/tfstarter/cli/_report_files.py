"""Gather a run folder's files into the `ReportInputs` of its report."""

from __future__ import annotations

from typing import Any

import numpy as np

from tfstarter.cli._run_folder import RunFolder
from tfstarter.report import ReportInputs, read_metrics_csv
from tfstarter.report._format import format_bytes, format_seconds


def _exports(folder: RunFolder) -> list[dict[str, Any]]:
    manifest = folder.export / "manifest.json"
    if not manifest.is_file():
        return []
    rows = []
    for entry in folder.read_json(manifest).get("artifacts", []):
        check = entry.get("verification") or {}
        rows.append(
            {
                "key": entry.get("key"),
                "bytes": entry.get("bytes", 0),
                "passed": check.get("passed"),
                "max_abs_diff": check.get("max_abs_diff"),
            }
        )
    return rows


def _facts(
    summary: dict[str, Any], exports: list[dict[str, Any]]
) -> list[tuple[str, str]]:
    facts = [
        ("training time", format_seconds(float(summary["train_seconds"]))),
        ("samples / s", f"{float(summary['samples_per_second']):,.0f}"),
        ("epochs", str(summary["epochs_run"])),
        ("parameters", f"{int(summary['parameters']):,}"),
        (
            "train / val / test",
            f"{summary['train_samples']:,} / {summary['validation_samples']:,} / "
            f"{summary['test_samples']:,}",
        ),
    ]
    facts += [
        (f"{row['key']} size", format_bytes(float(row["bytes"]))) for row in exports
    ]
    return facts


def report_inputs(folder: RunFolder) -> ReportInputs:
    """Return what the report of the run in ``folder`` shows.

    Reads ``run.json``, ``metrics.csv``, ``predictions.npz``,
    ``export/manifest.json``, ``env.json`` and ``config.yaml``.
    """
    summary = folder.read_json(folder.summary)
    exports = _exports(folder)
    with np.load(folder.predictions, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    environment = folder.read_json(folder.env) if folder.env.is_file() else None
    shown_env = None
    if environment is not None:
        shown_env = {
            **{key: value for key, value in environment["versions"].items() if value},
            "cpu": environment.get("cpu"),
            "seed": environment.get("seed"),
            "git commit": environment.get("git_commit"),
            "command": environment.get("command"),
        }
    names = summary.get("class_names")
    return ReportInputs(
        title=f"{folder.name}",
        history=read_metrics_csv(folder.metrics),
        task=summary["task"],
        y_true=arrays["y_true"],
        outputs=arrays["outputs"],
        test_metrics=summary["test_metrics"],
        class_names=tuple(names) if names else None,
        mistake_images=arrays.get("mistake_images"),
        mistake_indices=arrays.get("mistake_indices"),
        monitor=summary.get("monitor"),
        facts=_facts(summary, exports),
        exports=exports,
        config_text=folder.config.read_text(encoding="utf-8"),
        environment=shown_env,
    )
