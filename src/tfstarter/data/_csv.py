"""`from_csv`: a batched, streaming ``tf.data.Dataset`` from a CSV file."""

from __future__ import annotations

import csv
import math
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import tensorflow as tf

from tfstarter._checks import (
    NonFiniteData,
    check_bool,
    check_one_of,
    check_positive_int,
    check_seed,
)
from tfstarter.data._csv_scan import (
    ColumnStats,
    MissingTokens,
    ScanResult,
    peek_non_numeric,
    read_header,
    scan,
)
from tfstarter.data._csv_schema import CsvSchema, LabelDtype
from tfstarter.data._prepare import (
    Cache,
    Plan,
    Prefetch,
    check_cache,
    check_prefetch,
    no_autograph,
    prepare,
)
from tfstarter.data._tuning import parallel_calls
from tfstarter.errors import (
    ArgumentTypeError,
    ConfigError,
    DataError,
    DatasetNotFoundError,
)

MissingPolicy = Literal["raise", "drop", "fill"]
Layout = Literal["matrix", "dict"]

CSV_NA_VALUES: tuple[str, ...] = ("", "NA", "N/A", "NaN", "nan", "null", "None")
"""Field values (after stripping spaces) that `from_csv` treats as missing."""

# Lines parsed per call when rows must be dropped before batching.
_PARSE_CHUNK = 1024


def from_csv(
    path: str | os.PathLike[str],
    label: str | Sequence[str] | None,
    *,
    schema: CsvSchema | None = None,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    missing: MissingPolicy = "raise",
    non_finite: NonFiniteData = "raise",
    na_values: Sequence[str] = CSV_NA_VALUES,
    layout: Layout = "matrix",
    normalize: bool = False,
    batch_size: int = 32,
    shuffle: bool = False,
    seed: int | None = None,
    shuffle_buffer: int = 10_000,
    drop_remainder: bool = False,
    cache: Cache = False,
    prefetch: Prefetch = True,
    delimiter: str = ",",
    max_categories: int = 1000,
) -> tuple[tf.data.Dataset, CsvSchema]:
    r"""Stream a CSV file with a header line as a batched `tf.data.Dataset`.

    When the pipeline is built, the file is read once (in constant memory) to
    learn or check its columns: a column is numeric when every non-missing
    value is a number, categorical otherwise (or when named in
    ``categorical=``). Every problem is reported then, with its line number:
    a missing label column, a line with the wrong number of fields, missing
    or non-finite values the policy does not allow, a label the training file
    did not have. The epochs then stream the file again with ``tf.data``
    (lines are shuffled before they are parsed, parsing is vectorised per
    batch), so files larger than memory work.

    Read the training file first; it returns the `CsvSchema` it learned (the
    category vocabularies, fill values, normalisation statistics). Pass that
    schema to read the validation and test files the same way.

    **Missing values.** A field is missing when it is empty or one of
    ``na_values`` (after stripping spaces). With ``missing="raise"`` (the
    default) any missing value is an error; with ``"drop"`` rows holding one
    are skipped; with ``"fill"`` a missing numeric value becomes the column's
    mean over the training file and a missing categorical value is encoded as
    unknown (the all-zero one-hot row, index ``len(vocabulary)``). A missing
    label is never filled: it raises unless ``missing="drop"``. Infinite
    numbers (``inf``, ``1e400``) follow ``non_finite``.

    Args:
        path: the CSV file; its first line names the columns.
        label: the label column, a list of label columns, or None to read
            features only (e.g. a file to predict on).
        schema: the `CsvSchema` returned for the training file; when given,
            nothing is learned from this file.
        columns: the feature columns to use (default: all except the labels).
        categorical: columns to treat as categorical even though they hold
            numbers (e.g. codes).
        missing: ``"raise"``, ``"drop"`` or ``"fill"``; see above.
        non_finite: ``"raise"`` or ``"drop"`` rows holding an infinite number.
        na_values: the field values that mean "missing".
        layout: ``"matrix"``: features as one float32 matrix (numeric columns,
            then one-hot categorical columns, in file order; see
            `CsvSchema.feature_names`); ``"dict"``: one tensor per column,
            float32 for numeric, int64 category index for categorical.
        normalize: standardise numeric features with the training file's mean
            and standard deviation.
        batch_size: samples per batch.
        shuffle: reshuffle every epoch (training data only).
        seed: the shuffle seed; the same seed gives the same epoch orders.
        shuffle_buffer: the shuffle buffer size, in lines.
        drop_remainder: drop the last, smaller batch.
        cache: keep the parsed samples in memory (``True``) or in files at this
            path prefix, so the file is parsed once; the cached samples are
            shuffled with a buffer the size of the file.
        prefetch: ``True`` (2 batches), ``False`` or a number of batches.
        delimiter: the field separator.
        max_categories: the most distinct values a categorical column may hold.

    Returns:
        ``(dataset, schema)``: batches of ``(features, labels)`` (features
        alone with ``label=None``) with a known number of batches, and the
        schema. Labels are int64 when every training label is a whole number,
        float32 otherwise; text labels become int64 indices into
        ``schema.label_vocabulary``; several label columns give a float32
        matrix.

    Raises:
        DatasetNotFoundError: if the file does not exist.
        DataError: if a named column is not in the file (the message lists the
            columns found), a line is malformed, or the data breaks the
            missing-value, non-finite or schema rules.
        ConfigError: if options conflict or are out of range.
        ArgumentTypeError: if an argument has the wrong type.

    Examples:
        >>> import tempfile
        >>> file = Path(tempfile.mkdtemp()) / "train.csv"
        >>> _ = file.write_text("size,color,price\n1,red,10\n2,blue,20\n3,red,30\n")
        >>> ds, schema = from_csv(file, label="price", batch_size=2)
        >>> schema.feature_names
        ('size', 'color=blue', 'color=red')
        >>> x, y = next(iter(ds))
        >>> x.numpy().tolist(), y.numpy().tolist()
        ([[1.0, 0.0, 1.0], [2.0, 1.0, 0.0]], [10, 20])
    """
    file = Path(path)
    labels = _label_names(label)
    check_one_of("missing", missing, ("raise", "drop", "fill"))
    check_one_of("non_finite", non_finite, ("raise", "drop"))
    check_one_of("layout", layout, ("matrix", "dict"))
    normalize = check_bool("normalize", normalize)
    batch_size = check_positive_int("batch_size", batch_size)
    shuffle = check_bool("shuffle", shuffle)
    seed = check_seed(seed)
    shuffle_buffer = check_positive_int("shuffle_buffer", shuffle_buffer)
    drop_remainder = check_bool("drop_remainder", drop_remainder)
    cache = check_cache(cache)
    prefetch = check_prefetch(prefetch)
    max_categories = check_positive_int("max_categories", max_categories)
    tokens = _names("na_values", na_values)
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\n\r':
        raise ConfigError(
            f"`delimiter` must be one character other than a quote or newline, "
            f"got {delimiter!r}. Pass e.g. delimiter=';'."
        )
    if not file.is_file():
        raise DatasetNotFoundError(
            f"`path` {os.fspath(path)!r} is not a file. Pass the path of a CSV file "
            f"with a header line."
        )
    header = read_header(file, delimiter)

    # The values of one numeric label column are collected without a limit
    # error: to learn whether they are the classes 0..k-1, or to find labels
    # the training file did not have.
    open_ended: set[str] = set()
    if schema is not None:
        features, labels = _features_from_schema(
            schema, labels, header, file, columns=columns, categorical=categorical
        )
        forced: set[str] = set()
        # Only a text label's values are needed: to find unknown classes.
        track = set(labels) if schema.label_dtype == "string" else set()
        numeric = set(schema.numeric) | (set(labels) - track)
        limit = max(max_categories, len(schema.label_vocabulary))
        if labels and schema.label_classes is not None:
            open_ended = set(labels)
    else:
        features, forced = _features_from_args(
            header, labels, columns, categorical, file
        )
        track = forced | peek_non_numeric(file, header, delimiter, tokens)
        numeric = set(features) | set(labels)
        limit = max_categories
        if len(labels) == 1 and labels[0] not in track:
            open_ended = set(labels)
    used = [*features, *labels]
    _check_in_header("column", used, header, file)
    track &= set(used)
    numeric -= track
    result = scan(
        file,
        header,
        used=used,
        track=track,
        numeric=numeric,
        na_values=tokens,
        delimiter=delimiter,
        max_categories=limit,
        open_ended=open_ended,
    )
    stats = result.columns
    if schema is None:
        flipped = [
            name
            for name in used
            if stats[name].non_numeric
            and (stats[name].values is None or name in open_ended)
        ]
        if flipped:
            # A column that looked numeric in the first lines holds text further
            # down: read the file once more to collect its values.
            again = scan(
                file,
                header,
                used=used,
                track=set(flipped),
                numeric=numeric - set(flipped),
                na_values=tokens,
                delimiter=delimiter,
                max_categories=max_categories,
            )
            for name in flipped:
                stats[name].values = again.columns[name].values
            result.incomplete_rows = again.incomplete_rows
        schema = _learn_schema(
            header,
            features,
            labels,
            forced=forced,
            stats=stats,
            tokens=tokens,
            file=file,
        )
    else:
        _check_against_schema(
            schema, labels, stats, tokens, file=file, delimiter=delimiter
        )
    kept = _check_policies(
        schema, labels, result, missing=missing, non_finite=non_finite, file=file
    )
    if kept == 0:
        raise DataError(
            f"{os.fspath(file)!r} holds no usable rows"
            + (" (every row was dropped)." if result.rows else " (only a header).")
        )

    parse = _parser(
        schema,
        labels,
        header,
        stats,
        tokens=tokens,
        missing=missing,
        non_finite=non_finite,
        layout=layout,
        normalize=normalize,
        delimiter=delimiter,
        drops=kept < result.rows,
    )
    lines = tf.data.TextLineDataset(os.fspath(file)).skip(1)
    if result.blank_lines:
        lines = lines.filter(lambda line: tf.strings.length(tf.strings.strip(line)) > 0)
    if kept < result.rows:
        # Rows are dropped, so batches of lines would come out short: parse in
        # chunks, drop the rows, and let the shared step batch the samples.
        @no_autograph
        def parse_and_drop(chunk: Any) -> Any:
            sample, keep = parse(chunk)
            return tf.nest.map_structure(lambda t: tf.boolean_mask(t, keep), sample)

        handles = (
            lines.batch(_PARSE_CHUNK)
            .map(
                parse_and_drop, num_parallel_calls=parallel_calls(), deterministic=True
            )
            .unbatch()
        )
        batch_fn = None
    else:
        handles = lines

        @no_autograph
        def batch_fn(chunk: Any) -> Any:
            return parse(chunk)[0]

    plan = Plan(
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer=kept if cache is not False else shuffle_buffer,
        drop_remainder=drop_remainder,
        cache=cache,
        prefetch=prefetch,
        batch_fn=batch_fn,
        cardinality=kept,
    )
    return prepare(handles, plan), schema


def _names(name: str, value: object) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise ArgumentTypeError(
            f"`{name}` must be a list of strings, got {value!r} of type "
            f"{type(value).__name__}."
        )
    for item in value:
        if not isinstance(item, str):
            raise ArgumentTypeError(
                f"`{name}` must hold strings, got {item!r} of type "
                f"{type(item).__name__}."
            )
    return tuple(value)


def _label_names(label: object) -> tuple[str, ...]:
    if label is None:
        return ()
    if isinstance(label, str):
        return (label,)
    names = _names("label", label)
    if not names:
        raise ConfigError(
            "`label` is an empty list. Name the label column(s), or pass None to "
            "read features only."
        )
    return names


def _check_in_header(
    what: str, names: Sequence[str], header: Sequence[str], file: Path
) -> None:
    absent = [name for name in names if name not in header]
    if absent:
        raise DataError(
            f"{what} {absent[0]!r} is not in {os.fspath(file)!r}; the columns found "
            f"are {list(header)}. Pass one of those names."
        )


def _features_from_args(
    header: Sequence[str],
    labels: tuple[str, ...],
    columns: Sequence[str] | None,
    categorical: Sequence[str],
    file: Path,
) -> tuple[list[str], set[str]]:
    _check_in_header("label column", labels, header, file)
    if columns is None:
        features = [name for name in header if name not in labels]
    else:
        features = list(_names("columns", columns))
        _check_in_header("column", features, header, file)
        both = [name for name in features if name in labels]
        if both:
            raise ConfigError(
                f"column {both[0]!r} is both a label and in `columns`. Leave the "
                f"label out of columns=."
            )
    if not features:
        raise DataError(
            f"{os.fspath(file)!r} has no feature columns besides the labels "
            f"{list(labels)}; the columns found are {list(header)}."
        )
    forced = set(_names("categorical", categorical))
    stray = sorted(forced - set(features))
    if stray:
        raise ConfigError(
            f"`categorical` names {stray[0]!r}, which is not a feature column "
            f"({features})."
        )
    return features, forced


def _features_from_schema(
    schema: CsvSchema,
    labels: tuple[str, ...],
    header: Sequence[str],
    file: Path,
    *,
    columns: Sequence[str] | None,
    categorical: Sequence[str],
) -> tuple[list[str], tuple[str, ...]]:
    if not isinstance(schema, CsvSchema):
        raise ArgumentTypeError(
            f"`schema` must be the CsvSchema returned by from_csv for the training "
            f"file, got {type(schema).__name__}."
        )
    if columns is not None or tuple(categorical):
        raise ConfigError(
            "`columns` and `categorical` cannot be combined with `schema`, which "
            "already fixes the columns and their types. Drop them."
        )
    if labels and labels != schema.label:
        raise ConfigError(
            f"`label` is {list(labels)} but the schema was learned with label "
            f"{list(schema.label)}. Pass the same label, or None to read features "
            f"only."
        )
    _check_in_header("label column", labels, header, file)
    _check_in_header("column", schema.features, header, file)
    return list(schema.features), labels


def _learn_schema(
    header: Sequence[str],
    features: Sequence[str],
    labels: tuple[str, ...],
    *,
    forced: set[str],
    stats: dict[str, ColumnStats],
    tokens: Sequence[str],
    file: Path,
) -> CsvSchema:
    numeric: list[str] = []
    vocabularies: dict[str, tuple[str, ...]] = {}
    for name in features:
        column = stats[name]
        if name in forced or column.non_numeric:
            vocabularies[name] = _vocabulary(column, tokens)
        else:
            numeric.append(name)
    label_dtype: LabelDtype | None = None
    label_vocabulary: tuple[str, ...] = ()
    text_labels = [name for name in labels if stats[name].non_numeric]
    if text_labels and len(labels) > 1:
        raise DataError(
            f"label column {text_labels[0]!r} of {os.fspath(file)!r} holds text "
            f"(line {stats[text_labels[0]].first_non_numeric}), but several label "
            f"columns must all be numeric. Use one text label column, or encode it."
        )
    if text_labels:
        label_dtype = "string"
        label_vocabulary = _vocabulary(stats[labels[0]], tokens)
    elif labels:
        whole = all(stats[name].non_integral == 0 for name in labels)
        label_dtype = "int64" if whole and len(labels) == 1 else "float32"
    label_classes = (
        _classes(stats[labels[0]], tokens) if label_dtype == "int64" else None
    )
    return CsvSchema(
        columns=tuple(header),
        label=labels,
        numeric=tuple(numeric),
        categorical=vocabularies,
        mean={name: stats[name].mean for name in numeric},
        std={name: stats[name].std for name in numeric},
        label_dtype=label_dtype,
        label_vocabulary=label_vocabulary,
        label_classes=label_classes,
    )


def _whole_numbers(values: set[str], tokens: Sequence[str]) -> set[int]:
    found = (_as_int(value) for value in values - set(tokens))
    return {number for number in found if number is not None}


def _classes(column: ColumnStats, tokens: Sequence[str]) -> int | None:
    """``k`` when a whole-number label column holds exactly 0..k-1, else None."""
    if column.values is None:
        return None
    found = _whole_numbers(column.values, tokens)
    count = len(found)
    return count if count >= 2 and found == set(range(count)) else None


def _first_line(
    file: Path, column: str, delimiter: str, wanted: Callable[[str], bool]
) -> int:
    """The first line (counting the header as 1) whose ``column`` is ``wanted``."""
    with file.open(newline="", encoding="utf-8-sig") as stream:
        reader = csv.reader(stream, delimiter=delimiter)
        header = [name.strip() for name in next(reader, [])]
        index = header.index(column)
        for row in reader:
            if len(row) > index and wanted(row[index].strip()):
                return reader.line_num
    return -1


def _as_int(value: str) -> int | None:
    """The whole number a label field holds, or None (text, inf, fractions)."""
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if math.isfinite(number) and number == int(number) else None


def _vocabulary(column: ColumnStats, tokens: Sequence[str]) -> tuple[str, ...]:
    return tuple(sorted((column.values or set()) - set(tokens)))


def _check_against_schema(
    schema: CsvSchema,
    labels: tuple[str, ...],
    stats: dict[str, ColumnStats],
    tokens: Sequence[str],
    *,
    file: Path,
    delimiter: str,
) -> None:
    numeric = list(schema.numeric)
    if labels and schema.label_dtype != "string":
        numeric += list(labels)
    for name in numeric:
        column = stats[name]
        if column.non_numeric:
            raise DataError(
                f"column {name!r} of {os.fspath(file)!r} holds text on line "
                f"{column.first_non_numeric}, but it is numeric in the training "
                f"file's schema. Fix the value or mark it missing."
            )
    if labels and schema.label_dtype == "int64" and stats[labels[0]].non_integral:
        raise DataError(
            f"label column {labels[0]!r} of {os.fspath(file)!r} holds fractional "
            f"values, but the training file's labels are whole numbers (int64). "
            f"Check that this is the same kind of file."
        )
    if labels and schema.label_dtype == "string":
        seen = set(_vocabulary(stats[labels[0]], tokens))
        unknown = sorted(seen - set(schema.label_vocabulary))
        if unknown:
            line = _first_line(file, labels[0], delimiter, lambda v: v in unknown)
            raise DataError(
                f"label column {labels[0]!r} of {os.fspath(file)!r} holds classes "
                f"the training file does not have: {unknown[:5]} (first on line "
                f"{line}). The known classes are {list(schema.label_vocabulary)[:20]}."
            )
    classes = schema.label_classes
    if labels and classes is not None:
        values = stats[labels[0]].values
        seen_values = _whole_numbers(values, tokens) if values is not None else None
        unknown_ints = (
            sorted(seen_values - set(range(classes)))
            if seen_values is not None
            else [-1]  # more distinct values than max_categories: some are new
        )
        if unknown_ints:
            known = set(range(classes))
            line = _first_line(
                file,
                labels[0],
                delimiter,
                lambda v: v not in tokens and _as_int(v) not in known,
            )
            shown = unknown_ints[:5] if seen_values is not None else "many values"
            raise DataError(
                f"label column {labels[0]!r} of {os.fspath(file)!r} holds labels the "
                f"training file never had: {shown} (first on line {line}); the "
                f"training labels are the classes 0..{classes - 1}. Fix the labels, "
                f"or read the training file with every class. If this column is a "
                f"number to predict rather than a class, pass "
                f"schema=dataclasses.replace(schema, label_classes=None)."
            )


def _check_policies(
    schema: CsvSchema,
    labels: tuple[str, ...],
    result: ScanResult,
    *,
    missing: MissingPolicy,
    non_finite: NonFiniteData,
    file: Path,
) -> int:
    """Apply the missing / non-finite policies; return the number of rows kept."""
    stats = result.columns
    where = os.fspath(file)
    for name in labels:
        column = stats[name]
        if column.missing and missing != "drop":
            raise DataError(
                f"label column {name!r} of {where!r} has {column.missing} missing "
                f"values (first on line {column.first_missing}); labels are never "
                f"filled. Pass missing='drop' to skip those rows."
            )
    for name in schema.features:
        column = stats[name]
        if column.missing and missing == "raise":
            raise DataError(
                f"column {name!r} of {where!r} has {column.missing} missing values "
                f"(first on line {column.first_missing}). Pass missing='drop' to "
                f"skip those rows, or missing='fill' to use the training mean "
                f"(numeric) or the unknown category (categorical)."
            )
    numeric = [*schema.numeric, *(labels if schema.label_dtype != "string" else ())]
    for name in numeric:
        column = stats[name]
        if column.non_finite and non_finite == "raise":
            raise DataError(
                f"column {name!r} of {where!r} has {column.non_finite} infinite or NaN "
                f"values (first on line {column.first_non_finite}). Fix them, or "
                f"pass non_finite='drop' to skip those rows."
            )
    return result.rows - _dropped_rows(result, missing, non_finite)


def _dropped_rows(
    result: ScanResult, missing: MissingPolicy, non_finite: NonFiniteData
) -> int:
    # The scan counts incomplete rows per kind; only the policies that drop count.
    counts = result.incomplete_rows
    if missing == "drop" and non_finite == "drop":
        return counts["either"]
    if missing == "drop":
        return counts["missing"]
    if non_finite == "drop":
        return counts["non_finite"]
    return 0


def _parser(
    schema: CsvSchema,
    labels: tuple[str, ...],
    header: Sequence[str],
    stats: dict[str, ColumnStats],
    *,
    tokens: Sequence[str],
    missing: MissingPolicy,
    non_finite: NonFiniteData,
    layout: Layout,
    normalize: bool,
    delimiter: str,
    drops: bool,
) -> Any:
    """Return ``parse(lines) -> (sample batch, rows-to-keep mask or None)``.

    The mask is computed only when ``drops`` is set (some rows of this file
    are dropped by the missing / non-finite policies).
    """
    features = schema.features
    numeric_labels = labels if schema.label_dtype != "string" else ()
    used = sorted({header.index(name) for name in (*features, *labels)})
    defaults: list[Any] = []
    for index in used:
        name = header[index]
        text = stats[name].needs_text_parse
        if name in schema.numeric and not text:
            defaults.append(tf.constant(np.nan, tf.float32))
        elif name in numeric_labels and not text:
            defaults.append(tf.constant(np.nan, tf.float64))
        else:
            defaults.append(tf.constant("", tf.string))
    token_table = MissingTokens(tokens)
    tables = {
        name: _table(vocabulary) for name, vocabulary in schema.categorical.items()
    }
    label_table = (
        _table(schema.label_vocabulary) if schema.label_dtype == "string" else None
    )

    is_missing = token_table.missing

    def number(value: Any, dtype: Any) -> Any:
        if value.dtype != tf.string:
            return value
        text = tf.strings.strip(value)
        return tf.strings.to_number(tf.where(is_missing(text), "nan", text), dtype)

    numeric = [name for name in features if name not in tables]
    mean = tf.constant([schema.mean[name] for name in numeric], tf.float32)
    std = tf.constant([schema.std[name] for name in numeric], tf.float32)
    fill = missing == "fill" and any(stats[name].missing for name in numeric)
    # Where each feature sits in the matrix: numeric columns are parsed as one
    # (batch, n_numeric) block, so every elementwise step is one op per batch
    # rather than one per column (the per-op cost dominates small batches).
    mixed = len(numeric) != len(features)

    @no_autograph
    def parse(lines: Any) -> Any:
        fields = tf.io.decode_csv(
            lines, defaults, field_delim=delimiter, select_cols=used
        )
        column = {header[i]: field for i, field in zip(used, fields, strict=True)}
        keep = tf.ones_like(lines, dtype=tf.bool) if drops else None
        block = None
        if numeric:
            block = tf.stack(
                [number(column[name], tf.float32) for name in numeric], axis=1
            )
            if drops:
                bad = tf.zeros_like(block, dtype=tf.bool)
                if non_finite == "drop":
                    bad |= tf.math.is_inf(block)
                if missing == "drop":
                    bad |= tf.math.is_nan(block)
                keep &= ~tf.reduce_any(bad, axis=1)
            if fill:
                block = tf.where(tf.math.is_nan(block), mean, block)
            if normalize:
                block = (block - mean) / std
        codes: dict[str, Any] = {}
        for name, table in tables.items():
            text = tf.strings.strip(column[name])
            if drops and missing == "drop":
                keep &= ~is_missing(text)
            codes[name] = table.lookup(text)
        out: Any
        if layout == "dict":
            out = dict(codes)
            if block is not None:
                out.update(zip(numeric, tf.unstack(block, axis=1), strict=True))
            out = {name: out[name] for name in features}
        elif not mixed:
            out = block
        else:
            pieces = []
            for name in features:
                if name in codes:
                    depth = len(schema.categorical[name])
                    pieces.append(tf.one_hot(codes[name], depth, dtype=tf.float32))
                elif block is not None:  # a numeric column of the block
                    j = numeric.index(name)
                    pieces.append(block[:, j : j + 1])
            out = tf.concat(pieces, axis=1)
        if not labels:
            return out, keep
        if label_table is not None:
            text = tf.strings.strip(column[labels[0]])
            if drops:
                keep &= ~is_missing(text)
            return (out, label_table.lookup(text)), keep
        values = [number(column[name], tf.float64) for name in labels]
        if drops:
            for value in values:
                keep &= ~tf.math.is_nan(value) & ~tf.math.is_inf(value)
            values = [tf.where(keep, v, tf.zeros_like(v)) for v in values]
        if len(values) > 1:
            target = tf.cast(tf.stack(values, axis=1), tf.float32)
        else:
            dtype = tf.int64 if schema.label_dtype == "int64" else tf.float32
            target = tf.cast(values[0], dtype)
        return (out, target), keep

    return parse


def _table(vocabulary: Sequence[str]) -> Any:
    """A string -> index table; unknown strings map to ``len(vocabulary)``."""
    keys = tf.constant(list(vocabulary) or ["\0"], tf.string)
    values = tf.range(tf.size(keys, out_type=tf.int64), dtype=tf.int64)
    initializer = tf.lookup.KeyValueTensorInitializer(keys, values)
    return tf.lookup.StaticHashTable(initializer, default_value=len(vocabulary))
