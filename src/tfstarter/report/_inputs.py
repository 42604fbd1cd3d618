"""`ReportInputs`: everything a run report shows, gathered in one object."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tfstarter._checks import check_one_of, check_same_length
from tfstarter.report._history import History

Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class ReportInputs:
    """What `write_report` shows: the curves, the test predictions and the facts.

    Attributes:
        title: the report's title (e.g. the run's name and version).
        history: per-epoch values: ``loss``, metrics, ``val_*``, and
            ``learning_rate`` when it was logged.
        task: ``"classification"`` or ``"regression"``.
        y_true: the test targets (integer labels for a classifier).
        outputs: the model's outputs on the test inputs, one row per sample.
        test_metrics: the test loss and metrics, by name.
        class_names: the name of each class, in label order.
        mistake_images: for image classifiers, the test images of the most
            confident mistakes (see `confident_mistakes`), in that order.
        mistake_indices: the positions of ``mistake_images`` in the test set.
        monitor: the metric that picked the best epoch (default ``val_loss``).
        facts: headline facts as ``(label, value)`` pairs, e.g.
            ``("training time", "12.5 s")``.
        exports: one row per exported artifact: ``key``, ``bytes`` and
            optionally ``passed`` and ``max_abs_diff``.
        config_text: the run's configuration, shown verbatim.
        environment: versions and machine facts, shown as a table.

    Raises:
        ConfigError: for an unknown ``task``.
        DataError: if ``y_true`` and ``outputs`` differ in length, or the
            mistake images and indices do.
    """

    title: str
    history: History
    task: Task
    y_true: npt.NDArray[Any]
    outputs: npt.NDArray[Any]
    test_metrics: Mapping[str, float] = field(default_factory=dict)
    class_names: Sequence[str] | None = None
    mistake_images: npt.NDArray[Any] | None = None
    mistake_indices: npt.NDArray[np.int64] | None = None
    monitor: str | None = None
    facts: Sequence[tuple[str, str]] = ()
    exports: Sequence[Mapping[str, Any]] = ()
    config_text: str | None = None
    environment: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        check_one_of("task", self.task, ("classification", "regression"))
        check_same_length(self.y_true, self.outputs, x_name="y_true", y_name="outputs")
        if self.mistake_images is not None or self.mistake_indices is not None:
            check_same_length(
                np.asarray(self.mistake_images),
                np.asarray(self.mistake_indices),
                x_name="mistake_images",
                y_name="mistake_indices",
            )
