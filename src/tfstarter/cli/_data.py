"""The data of a run: read from its source, limited, split, as NumPy arrays.

The command reads the whole dataset into memory (tutorial-sized data: MNIST
is 55 MB as uint8), so that the split, the ``limit``, the confusion matrix
and the mistakes grid all work on plain arrays; for data larger than memory
use the Python API's streaming pipelines.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from tfstarter._checks import check_number_in_range, check_positive_int
from tfstarter.cli._sections import DataConfig
from tfstarter.cli._sources import Source, read_source
from tfstarter.data import CsvSchema

Task = Literal["classification", "regression"]


@dataclass(frozen=True)
class RunData:
    """The arrays of a run and what they are.

    Attributes:
        x_train, y_train: the training split.
        x_val, y_val: the validation split (None without one).
        x_test, y_test: the test split.
        task: ``"classification"`` or ``"regression"``.
        classes: the number of classes of a classifier, else None.
        class_names: the class names, label order, when the source names them.
        csv_schema: what was learned from a CSV training file.
    """

    x_train: npt.NDArray[Any]
    y_train: npt.NDArray[Any]
    x_val: npt.NDArray[Any] | None
    y_val: npt.NDArray[Any] | None
    x_test: npt.NDArray[Any]
    y_test: npt.NDArray[Any]
    task: Task
    classes: int | None
    class_names: tuple[str, ...] | None
    csv_schema: CsvSchema | None

    @property
    def input_shape(self) -> tuple[int, ...]:
        """The shape of one input sample."""
        return tuple(int(size) for size in self.x_train.shape[1:])

    @property
    def outputs(self) -> int:
        """The number of regression targets per sample."""
        return 1 if self.y_train.ndim == 1 else int(self.y_train.shape[1])


def infer_task(y: npt.NDArray[Any], source: Source) -> Task:
    """Return ``"classification"`` for integer (or named) labels, else ``"regression"``.

    Examples:
        >>> infer_task(np.array([0, 1]), Source(np.zeros((2, 1)), np.array([0, 1])))
        'classification'
    """
    if source.class_names is not None:
        return "classification"
    if np.issubdtype(y.dtype, np.integer) and y.ndim == 1:
        return "classification"
    return "regression"


def _limit(
    x: npt.NDArray[Any], y: npt.NDArray[Any], limit: int | None, key: str
) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    if limit is None:
        return x, y
    limit = check_positive_int(key, limit)
    return x[:limit], y[:limit]


def load_data(config: DataConfig, *, seed: int, validation_split: float) -> RunData:
    """Read, limit and split the data of a run.

    A source without a test set gives ``test_split`` of its samples to the
    test split first; ``limit`` then keeps the first N of the rest, and
    ``validation_split`` of those are held out for validation (stratified by
    class for classifiers, seeded).

    Raises:
        ConfigError: for out-of-range shares or limits, or a task that does
            not fit the labels.
    """
    import tfstarter as tfs

    source = read_source(config, seed=seed)
    task: Task = infer_task(source.y, source) if config.task == "auto" else config.task
    stratify = task == "classification"
    x, y = source.x, source.y
    if source.x_test is None or source.y_test is None:
        share = check_number_in_range(
            "data.test_split", config.test_split, low=0.0, high=1.0, low_inclusive=False
        )
        (x, y), (x_test, y_test) = tfs.data.split(
            x, y, fractions=(1.0 - share, share), stratify=stratify, seed=seed
        )
    else:
        x_test, y_test = source.x_test, source.y_test
    x, y = _limit(x, y, config.limit, "data.limit")
    x_test, y_test = _limit(x_test, y_test, config.test_limit, "data.test_limit")
    x_val = y_val = None
    if validation_split > 0:
        check_number_in_range(
            "data.validation_split", validation_split, low=0.0, high=1.0
        )
        (x, y), (x_val, y_val) = tfs.data.split(
            x,
            y,
            fractions=(1.0 - validation_split, validation_split),
            stratify=stratify,
            seed=seed,
        )
    classes = None
    if task == "classification":
        labels = np.concatenate([np.ravel(y), np.ravel(y_test)])
        classes = max(
            int(labels.max()) + 1,
            len(source.class_names) if source.class_names else 0,
            2,
        )
    return RunData(
        x_train=x,
        y_train=y,
        x_val=x_val,
        y_val=y_val,
        x_test=x_test,
        y_test=y_test,
        task=task,
        classes=classes,
        class_names=source.class_names,
        csv_schema=source.csv_schema,
    )


def schema_to_json(schema: CsvSchema) -> dict[str, Any]:
    """Return a CSV schema as JSON-ready data (see `schema_from_json`)."""
    return dataclasses.asdict(schema)


def schema_from_json(data: dict[str, Any]) -> CsvSchema:
    """Rebuild a CSV schema saved by `schema_to_json`.

    Examples:
        >>> schema = CsvSchema(
        ...     ("a", "b"), ("b",), ("a",), {}, {"a": 1.0}, {"a": 2.0}, "float32"
        ... )
        >>> schema_from_json(schema_to_json(schema)) == schema
        True
    """
    return CsvSchema(
        columns=tuple(data["columns"]),
        label=tuple(data["label"]),
        numeric=tuple(data["numeric"]),
        categorical={key: tuple(value) for key, value in data["categorical"].items()},
        mean=dict(data["mean"]),
        std=dict(data["std"]),
        label_dtype=data["label_dtype"],
        label_vocabulary=tuple(data.get("label_vocabulary", ())),
    )
