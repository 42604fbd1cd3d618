"""One streaming pass over a CSV file: column types, statistics and problems.

`from_csv` calls this when the pipeline is built, so a missing label column,
a missing value, a malformed line or an unknown class is reported then, with
its line number, instead of stopping training halfway through an epoch. The
pass reads the file in batches of lines with ``tf.data`` and reduces each
batch with vectorised string ops, so it runs in constant memory (files larger
than memory are fine) at roughly the speed of reading the file once.
"""

from __future__ import annotations

import collections
import csv
import itertools
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from tfstarter.data._prepare import no_autograph
from tfstarter.data._tuning import (
    PREFETCH_BATCHES,
    parallel_calls,
    without_autotune,
)
from tfstarter.errors import CorruptFileError, DataError

NUMBER_PATTERN = r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?i:inf|infinity|nan))"
# The largest integer every float64 (and so every int64 label) holds exactly.
_EXACT_INT = 2.0**53
_SCAN_BATCH = 4096
_PEEK_ROWS = 1000
_NO_LINE = np.iinfo(np.int64).max


class MissingTokens:
    """Recognises missing-value tokens with one hash-table lookup per field.

    ``kind(text)`` is -1 for a value that is not missing, 0 for a missing
    token ``tf.io.decode_csv`` reads as a float (the empty field and NaN
    spellings, which it turns into NaN), 1 for other tokens such as "NA",
    which need parsing as text.

    Examples:
        >>> tokens = MissingTokens(["", "NA", "nan"])
        >>> tokens.kind(tf.constant(["", "NA", "nan", "1.5"])).numpy().tolist()
        [0, 1, 0, -1]
    """

    def __init__(self, tokens: Sequence[str]) -> None:
        self.any = bool(tokens)
        keys = list(tokens) or ["\0"]
        values = [0 if key.strip().lower() in {"", "nan"} else 1 for key in keys]
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(keys, tf.string), tf.constant(values, tf.int64)
            ),
            default_value=-1,
        )

    def kind(self, text: Any) -> Any:
        """Return -1 (present), 0 (missing, float-readable) or 1 (missing)."""
        if not self.any:
            return tf.fill(tf.shape(text), tf.constant(-1, tf.int64))
        return self.table.lookup(text)

    def missing(self, text: Any) -> Any:
        """Return a boolean mask of the missing values of ``text``."""
        return self.kind(text) >= 0


@dataclass
class ColumnStats:
    """What one pass learned about one column.

    Line numbers count from 1 and include the header line.
    """

    missing: int = 0
    first_missing: int = _NO_LINE
    non_numeric: int = 0
    first_non_numeric: int = _NO_LINE
    non_finite: int = 0
    first_non_finite: int = _NO_LINE
    non_integral: int = 0
    count: int = 0
    total: float = 0.0
    total_squares: float = 0.0
    needs_text_parse: bool = False
    values: set[str] | None = None

    @property
    def mean(self) -> float:
        """The mean of the finite numeric values (0.0 if there are none)."""
        return self.total / self.count if self.count else 0.0

    @property
    def std(self) -> float:
        """The population standard deviation (1.0 if it is 0 or undefined)."""
        if not self.count:
            return 1.0
        variance = max(self.total_squares / self.count - self.mean**2, 0.0)
        std = variance**0.5
        return std if std > 0.0 else 1.0


@dataclass
class ScanResult:
    """The outcome of `scan`: the data row count and per-column statistics."""

    rows: int
    blank_lines: int
    columns: dict[str, ColumnStats] = field(default_factory=dict)
    incomplete_rows: dict[str, int] = field(
        default_factory=lambda: {"missing": 0, "non_finite": 0, "either": 0}
    )
    """Rows with a missing value, an infinite number (numeric columns), either."""


def first_non_utf8(path: Path) -> tuple[int, int, int] | None:
    r"""Find the first line of ``path`` that is not valid UTF-8.

    Returns:
        ``(line, column, byte)``, counting lines and columns from 1, or None
        when the whole file is valid UTF-8.

    Examples:
        >>> import tempfile
        >>> file = Path(tempfile.mkdtemp()) / "a.csv"
        >>> _ = file.write_bytes(b"name,price\ncaf\xe9,2\n")
        >>> first_non_utf8(file)
        (2, 4, 233)
    """
    with path.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError as err:
                return number, err.start + 1, line[err.start]
    return None


@contextmanager
def naming_bad_text(path: Path) -> Iterator[None]:
    """Turn a `UnicodeDecodeError` while reading ``path`` into one naming the line.

    Raises:
        CorruptFileError: naming the file, the line, the column and the byte.
    """
    try:
        yield
    except UnicodeDecodeError as err:
        where = first_non_utf8(path)
        if where is None:  # not this file's bytes: not ours to explain
            raise
        line, column, byte = where
        raise CorruptFileError(
            f"line {line} of {os.fspath(path)!r} is not valid UTF-8 (byte "
            f"{byte:#04x} at column {column}). Save the file as UTF-8, e.g. "
            f"iconv -f latin1 -t utf-8 in.csv > out.csv, or fix that line."
        ) from err


def read_header(path: Path, delimiter: str) -> list[str]:
    r"""Return the column names from the first line of ``path``.

    Raises:
        DataError: if the file is empty or its header has empty or duplicate
            names.

    Examples:
        >>> import tempfile
        >>> file = Path(tempfile.mkdtemp()) / "a.csv"
        >>> _ = file.write_text("x, y\n1,2\n")
        >>> read_header(file, ",")
        ['x', 'y']
    """
    with naming_bad_text(path), path.open(newline="", encoding="utf-8-sig") as stream:
        row = next(csv.reader(stream, delimiter=delimiter), None)
    if not row or not any(name.strip() for name in row):
        raise DataError(
            f"`path` {os.fspath(path)!r} has no header line. from_csv needs a first "
            f"line naming the columns, e.g. 'size,color,price'."
        )
    names = [name.strip() for name in row]
    empty = [index for index, name in enumerate(names) if not name]
    if empty:
        raise DataError(
            f"the header of {os.fspath(path)!r} has an empty name for column "
            f"{empty[0]} ({names}). Name every column."
        )
    duplicates = [name for name, n in collections.Counter(names).items() if n > 1]
    if duplicates:
        raise DataError(
            f"the header of {os.fspath(path)!r} names {duplicates[0]!r} more than "
            f"once ({names}). Give every column a unique name."
        )
    return names


def peek_non_numeric(
    path: Path, header: Sequence[str], delimiter: str, na_values: Iterable[str]
) -> set[str]:
    """Return the columns holding a non-numeric value in the first rows.

    Only a guess to decide which columns to collect values for during the
    scan; `scan` finds every non-numeric column exactly.
    """
    import re

    number = re.compile(NUMBER_PATTERN)
    missing = set(na_values)
    found: set[str] = set()
    with naming_bad_text(path), path.open(newline="", encoding="utf-8-sig") as stream:
        rows = itertools.islice(csv.reader(stream, delimiter=delimiter), 1, _PEEK_ROWS)
        for row in rows:
            for name, value in zip(header, row, strict=False):
                text = value.strip()
                if text not in missing and not number.fullmatch(text):
                    found.add(name)
    return found


def _bad_line(path: Path, expected: int, delimiter: str) -> tuple[int, int]:
    """Find the first non-blank line whose field count is not ``expected``."""
    with naming_bad_text(path), path.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        for row in reader:
            if row and len(row) != expected:
                return reader.line_num, len(row)
    return -1, -1


def scan(
    path: Path,
    header: Sequence[str],
    *,
    used: Sequence[str],
    track: Iterable[str],
    numeric: Iterable[str],
    na_values: Sequence[str],
    delimiter: str,
    max_categories: int,
    open_ended: Iterable[str] = (),
) -> ScanResult:
    """Read ``path`` once and return statistics for the ``used`` columns.

    Args:
        path: the CSV file.
        header: its column names.
        used: the columns to analyse (features and labels).
        track: the columns whose distinct values to collect (categorical).
        numeric: the columns whose infinite values count towards
            ``incomplete_rows["non_finite"]``.
        na_values: the (stripped) field values that mean "missing".
        delimiter: the field separator.
        max_categories: the most distinct values a tracked column may hold.
        open_ended: tracked columns that may hold more values: past
            ``max_categories`` their values are dropped (``values`` becomes
            None) instead of raising.

    Raises:
        DataError: if a line has the wrong number of fields, or a tracked
            column has more than ``max_categories`` values.
        CorruptFileError: if the file cannot be read as text (not UTF-8: the
            message names the line).
    """
    index = {name: i for i, name in enumerate(header)}
    used_idx = [index[name] for name in used]
    tracked = [name for name in used if name in set(track) | set(open_ended)]
    tracked_pos = [used.index(name) for name in tracked]
    numeric_set = set(numeric)
    numeric_mask = tf.constant([name in numeric_set for name in used])
    tokens = MissingTokens(na_values)

    @no_autograph
    def reduce_batch(line_no: Any, raw_lines: Any) -> Any:
        # Blank lines are skipped, like pandas does by default.
        keep = tf.strings.length(tf.strings.strip(raw_lines)) > 0
        lines = tf.boolean_mask(raw_lines, keep)
        line = tf.boolean_mask(line_no, keep)[:, None]
        fields = tf.io.decode_csv(lines, [[""]] * len(header), field_delim=delimiter)
        text = tf.strings.strip(tf.stack([fields[i] for i in used_idx], axis=1))
        kind = tokens.kind(text)
        missing = kind >= 0
        number = tf.strings.regex_full_match(text, NUMBER_PATTERN) & ~missing
        values = tf.strings.to_number(tf.where(number, text, "0"), tf.float64)
        finite = number & tf.math.is_finite(values)
        odd_missing = kind == 1
        safe = tf.where(finite, values, tf.zeros_like(values))
        whole = (safe == tf.floor(safe)) & (tf.abs(safe) <= _EXACT_INT)

        def first(mask: Any) -> Any:
            return tf.reduce_min(
                tf.where(mask, line, tf.constant(_NO_LINE, tf.int64)), axis=0
            )

        def count(mask: Any) -> Any:
            return tf.reduce_sum(tf.cast(mask, tf.int64), axis=0)

        row_missing = tf.reduce_any(missing, axis=1)
        row_non_finite = tf.reduce_any(number & ~finite & numeric_mask, axis=1)
        return {
            "rows": tf.shape(lines, out_type=tf.int64)[0],
            "rows_missing": count(row_missing),
            "rows_non_finite": count(row_non_finite),
            "rows_either": count(row_missing | row_non_finite),
            "blank": count(~keep),
            "missing": count(missing),
            "first_missing": first(missing),
            "non_numeric": count(~missing & ~number),
            "first_non_numeric": first(~missing & ~number),
            "non_finite": count(number & ~finite),
            "first_non_finite": first(number & ~finite),
            "non_integral": count(finite & ~whole),
            "count": count(finite),
            "total": tf.reduce_sum(safe, axis=0),
            "total_squares": tf.reduce_sum(safe * safe, axis=0),
            "odd_missing": count(odd_missing),
            "tracked": tf.gather(text, tf.constant(tracked_pos, tf.int32), axis=1),
        }

    # Line numbers count from 1 and include the header line.
    lines = tf.data.TextLineDataset(os.fspath(path)).enumerate(start=1).skip(1)
    batches = without_autotune(
        lines.batch(_SCAN_BATCH)
        .map(reduce_batch, num_parallel_calls=parallel_calls())
        .prefetch(PREFETCH_BATCHES)
    )
    stats = {
        name: ColumnStats(values=set() if name in tracked else None) for name in used
    }
    result = ScanResult(rows=0, blank_lines=0, columns=stats)
    unbounded = set(open_ended)
    try:
        with naming_bad_text(path):
            for batch in batches.as_numpy_iterator():
                result.rows += int(batch["rows"])
                result.blank_lines += int(batch["blank"])
                for kind in ("missing", "non_finite", "either"):
                    result.incomplete_rows[kind] += int(batch[f"rows_{kind}"])
                _accumulate(
                    stats,
                    used,
                    batch,
                    tracked=tracked,
                    max_categories=max_categories,
                    open_ended=unbounded,
                    path=path,
                )
    except tf.errors.InvalidArgumentError as err:
        line, found = _bad_line(path, len(header), delimiter)
        if line > 0:
            raise DataError(
                f"line {line} of {os.fspath(path)!r} has {found} fields but the "
                f"header has {len(header)} ({list(header)}). Fix that line (a "
                f"quoted value may hold the delimiter {delimiter!r})."
            ) from None
        raise CorruptFileError(
            f"{os.fspath(path)!r} could not be parsed as CSV: {err.message}"
        ) from None
    return result


def _accumulate(
    stats: dict[str, ColumnStats],
    used: Sequence[str],
    batch: dict[str, Any],
    *,
    tracked: Sequence[str],
    max_categories: int,
    open_ended: set[str],
    path: Path,
) -> None:
    """Add one batch's reductions to the running statistics."""
    for j, name in enumerate(used):
        column = stats[name]
        column.missing += int(batch["missing"][j])
        column.first_missing = min(column.first_missing, int(batch["first_missing"][j]))
        column.non_numeric += int(batch["non_numeric"][j])
        column.first_non_numeric = min(
            column.first_non_numeric, int(batch["first_non_numeric"][j])
        )
        column.non_finite += int(batch["non_finite"][j])
        column.first_non_finite = min(
            column.first_non_finite, int(batch["first_non_finite"][j])
        )
        column.non_integral += int(batch["non_integral"][j])
        column.count += int(batch["count"][j])
        column.total += float(batch["total"][j])
        column.total_squares += float(batch["total_squares"][j])
        column.needs_text_parse |= bool(batch["odd_missing"][j])
    texts = batch["tracked"]
    for j, name in enumerate(tracked):
        values = stats[name].values
        if values is None:  # an open-ended column past max_categories
            continue
        values.update(value.decode("utf-8") for value in np.unique(texts[:, j]))
        if len(values) > max_categories and name in open_ended:
            stats[name].values = None
        elif len(values) > max_categories:
            raise DataError(
                f"column {name!r} of {os.fspath(path)!r} holds more than "
                f"{max_categories} distinct values (e.g. {sorted(values)[:3]}), too "
                f"many to one-hot encode. Leave it out with columns=[...], or pass "
                f"a larger max_categories=."
            )
