"""`CsvSchema`: what `from_csv` learned from a training file, reused for the others."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

LabelDtype = Literal["int64", "float32", "string"]


@dataclass(frozen=True)
class CsvSchema:
    """The columns of a CSV file and what was learned from the training file.

    `from_csv` returns one alongside the training dataset; pass it as
    ``schema=`` when reading the validation and test files so that they are
    encoded exactly like the training file: same columns, same category
    indices, same fill values and normalisation statistics. Nothing is
    learned from those files, so nothing leaks from them into training.

    Attributes:
        columns: every column of the header, in file order.
        label: the label column(s); empty for a file read without labels.
        numeric: the numeric feature columns, in file order.
        categorical: each categorical (string) feature column with its
            vocabulary, sorted; value ``i`` is encoded as index ``i``, a value
            not in the vocabulary (or a missing one) as ``len(vocabulary)``.
        mean: each numeric feature's mean over the training file (missing
            values left out); the fill value under ``missing="fill"``.
        std: each numeric feature's standard deviation (1.0 for a constant
            column), used by ``normalize=True``.
        label_dtype: ``"int64"`` when every training label is a whole
            number, ``"float32"`` otherwise, ``"string"`` for text labels.
        label_vocabulary: the sorted classes of a text label column; label
            ``i`` means ``label_vocabulary[i]``.
        label_classes: ``k`` when the training file's one integer label
            column holds exactly the classes ``0..k-1`` (``k >= 2``); a file
            read with this schema may then hold no other label. None when the
            labels are text, fractional, or whole numbers of another kind
            (counts, years), which are not checked. Set it to None
            (``dataclasses.replace(schema, label_classes=None)``) for an
            integer target that only looks like classes.

    Examples:
        >>> schema = CsvSchema(
        ...     columns=("size", "color", "price"),
        ...     label=("price",),
        ...     numeric=("size",),
        ...     categorical={"color": ("blue", "red")},
        ...     mean={"size": 2.0},
        ...     std={"size": 1.0},
        ...     label_dtype="float32",
        ... )
        >>> schema.feature_names
        ('size', 'color=blue', 'color=red')
    """

    columns: tuple[str, ...]
    label: tuple[str, ...]
    numeric: tuple[str, ...]
    categorical: Mapping[str, tuple[str, ...]]
    mean: Mapping[str, float]
    std: Mapping[str, float]
    label_dtype: LabelDtype | None
    label_vocabulary: tuple[str, ...] = field(default=())
    label_classes: int | None = None

    @property
    def features(self) -> tuple[str, ...]:
        """The feature columns (numeric and categorical), in file order."""
        wanted = set(self.numeric) | set(self.categorical)
        return tuple(name for name in self.columns if name in wanted)

    @property
    def feature_names(self) -> tuple[str, ...]:
        """The names of the columns of the ``layout="matrix"`` feature matrix.

        A numeric column gives one column; a categorical column one per
        vocabulary value (one-hot), named ``"column=value"``.
        """
        names: list[str] = []
        for name in self.features:
            if name in self.categorical:
                names.extend(f"{name}={value}" for value in self.categorical[name])
            else:
                names.append(name)
        return tuple(names)
