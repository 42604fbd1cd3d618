"""What the Trainer accepts as data, turned into one batched ``tf.data.Dataset``.

Everything ``model.fit`` takes is accepted, with the same meaning:

- a ``tf.data.Dataset`` passes through (``class_weight`` is applied as a map);
- arrays — NumPy, tensors, ragged and sparse tensors, pandas — alone or in
  nested lists, tuples and dicts for multi-input and multi-output models,
  with ``None`` for optional inputs, plus ``sample_weight`` and
  ``class_weight``: checked here (same number of rows everywhere, no NaN or
  Inf unless ``non_finite="drop"``, no strings, no complex numbers), then
  batched by `tfstarter.data`'s pipeline, whose shuffle is seeded and draws a
  new order every epoch;
- Python generators, ``keras.utils.PyDataset`` and whatever else Keras has an
  adapter for go through Keras' own adapter (its length is kept when known).

Both loops then read the same dataset, batch for batch. Where tfstarter
differs from ``fit`` on purpose (a tuple ``x`` without ``y``, options that
do nothing for a dataset), the training guide's "Coming from model.fit"
table says so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfstarter._checks import (
    NonFiniteData,
    as_arrays,
    check_finite,
    check_one_of,
    describe,
)
from tfstarter.data._prepare import Plan, no_autograph, prepare
from tfstarter.errors import ArgumentTypeError, ConfigError, DataError
from tfstarter.training import _compat

DEFAULT_BATCH_SIZE = 32


def _is_scalar_list(value: object) -> bool:
    """A (nested) list of plain numbers: one array, not a structure of arrays."""
    if not isinstance(value, list) or not value:
        return False
    leaves = tf.nest.flatten(value)
    return all(isinstance(v, int | float | bool | np.number) for v in leaves)


def _is_array(value: object) -> bool:
    return (
        value is None
        or isinstance(value, np.ndarray | tf.Tensor | tf.RaggedTensor | tf.SparseTensor)
        or (hasattr(value, "__array__") and not isinstance(value, tf.data.Dataset))
    )


def _normalise(value: Any) -> Any:
    """Scalar lists become arrays; other structures keep their shape."""
    if _is_scalar_list(value):
        return np.asarray(value)
    if isinstance(value, Mapping):
        return {k: _normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_normalise(v) for v in value)
    return value


def is_arrays(structure: Any) -> bool:
    """Whether every leaf of ``structure`` is an array (or None).

    Examples:
        >>> is_arrays((np.zeros(3), [np.ones(3), None]))
        True
        >>> is_arrays((i for i in range(3)))
        False
    """
    if isinstance(structure, tf.data.Dataset):
        return False
    try:
        leaves = tf.nest.flatten(structure)
    except TypeError:
        return False
    return all(_is_array(leaf) for leaf in leaves)


def split_tuple(
    x: Any, y: Any, sample_weight: Any, *, role: str
) -> tuple[Any, Any, Any]:
    """Read a tuple ``x`` given without ``y`` as ``(x, y[, sample_weight])``.

    As ``validation_data`` is read in ``fit``. (Keras reads a tuple ``x`` as
    the inputs of a multi-input model: pass those as a list, or give ``y``.)

    Examples:
        >>> split_tuple((1, 2), None, None, role="x")
        (1, 2, None)
    """
    if isinstance(x, tuple) and y is None and sample_weight is None:
        if len(x) in (2, 3):
            return (*x, None) if len(x) == 2 else x
        if len(x) == 1:
            return x[0], None, None
        raise ConfigError(
            f"`{role}` is a tuple of {len(x)} items; pass (x, y) or "
            f"(x, y, sample_weight), or the inputs of a multi-input model as a "
            f"list."
        )
    return x, y, sample_weight


def to_dataset(
    x: Any,
    y: Any = None,
    *,
    sample_weight: Any = None,
    class_weight: Mapping[int, float] | None = None,
    role: str = "x",
    batch_size: int | None = None,
    shuffle: bool = False,
    seed: int | None = None,
    non_finite: NonFiniteData = "raise",
    steps: int | None = None,
    check_arrays: Callable[[Any, Any], None] | None = None,
) -> tf.data.Dataset:
    """Turn what ``fit`` accepts into a batched ``tf.data.Dataset``.

    Args:
        x: the inputs: a dataset, arrays (any structure), a generator, a
            ``keras.utils.PyDataset``...
        y: the targets, for arrays.
        sample_weight: per-sample weights, for arrays.
        class_weight: a weight per class, applied to the targets' classes.
        role: the argument name used in messages.
        batch_size: batch size for arrays (default 32).
        shuffle: reshuffle arrays every epoch (seeded).
        seed: the shuffle seed.
        non_finite: ``"raise"`` or ``"drop"`` rows with NaN or Inf (arrays).
        steps: steps per epoch, passed to Keras' adapters.
        check_arrays: for arrays, called with ``(x, y)`` once the rows with
            NaN or Inf are handled.

    Raises:
        ArgumentTypeError: for data no adapter takes.
        ConfigError: for arguments that do not apply to the data given.
        DataError: for arrays that fail the checks.

    Examples:
        >>> ds = to_dataset(np.zeros((5, 2), "float32"), np.zeros(5), batch_size=2)
        >>> int(ds.cardinality())
        3
    """
    check_one_of("non_finite", non_finite, ("raise", "drop"))
    if isinstance(x, tf.data.Dataset):
        for name, value in (
            ("y", y),
            ("sample_weight", sample_weight),
            ("batch_size", batch_size),
        ):
            if value is not None:
                raise ConfigError(
                    f"`{name}` must not be given when `{role}` is a "
                    f"tf.data.Dataset (got {name}={describe(value)}): the dataset "
                    f"yields batches of (x, y[, sample_weight]) already. Drop "
                    f"{name}=, or pass arrays instead."
                )
        if shuffle:
            raise ConfigError(
                f"`shuffle=True` does nothing for a tf.data.Dataset `{role}`: "
                f"shuffle in the pipeline (e.g. tfs.data.from_arrays(..., "
                f"shuffle=True, seed=0)), or pass arrays."
            )
        if class_weight is not None:
            return x.map(_class_weight_map(class_weight))
        return x
    x, y, sample_weight = (_normalise(v) for v in (x, y, sample_weight))
    if x is None:
        raise DataError(
            f"`{role}` is None; pass the data (arrays, a tf.data.Dataset, a "
            f"generator or a keras.utils.PyDataset)."
        )
    if is_arrays((x, y, sample_weight)):
        return _from_arrays(
            (x, y, sample_weight),
            role=role,
            batch_size=DEFAULT_BATCH_SIZE if batch_size is None else batch_size,
            shuffle=shuffle,
            seed=seed,
            class_weight=class_weight,
            non_finite=non_finite,
            check_targets=check_arrays,
        )
    return _from_keras_adapter(
        x,
        y,
        sample_weight,
        role=role,
        batch_size=batch_size,
        shuffle=shuffle,
        class_weight=class_weight,
        steps=steps,
    )


def _from_keras_adapter(
    x: Any,
    y: Any,
    sample_weight: Any,
    *,
    role: str,
    batch_size: int | None,
    shuffle: bool,
    class_weight: Any,
    steps: int | None,
) -> tf.data.Dataset:
    try:
        adapter = _compat.data_adapter(
            x=x,
            y=y,
            sample_weight=sample_weight,
            batch_size=batch_size,
            steps_per_epoch=steps,
            shuffle=shuffle,
            class_weight=class_weight,
        )
    except ValueError as error:
        if "Unrecognized data type" not in str(error):
            raise
        # A ValueError, as Keras raises for the same input.
        hint = (
            " It is an iterator but not a generator: wrap it, "
            "(batch for batch in iterator)."
            if hasattr(x, "__next__")
            else ""
        )
        raise DataError(
            f"`{role}` must be a tf.data.Dataset, arrays (alone or in lists, "
            f"tuples or dicts), a generator or a keras.utils.PyDataset, got "
            f"{describe(x)} of type {type(x).__name__}.{hint}"
        ) from None
    dataset = adapter.get_tf_dataset()
    batches = adapter.num_batches
    if batches is not None and int(dataset.cardinality()) < 0:
        dataset = dataset.apply(tf.data.experimental.assert_cardinality(batches))
    return dataset


def _class_weight_map(class_weight: Mapping[int, float]) -> Any:
    """A dataset map adding per-sample weights from the targets' classes."""
    classes = sorted(class_weight)
    table = np.zeros(max(classes) + 1, "float32")
    for cls, weight in class_weight.items():
        table[cls] = weight
    weights = tf.constant(table)

    @no_autograph
    def apply(*data: Any) -> Any:
        x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(
            data if len(data) > 1 else data[0]
        )
        labels = tf.reshape(y, [tf.shape(y)[0], -1])
        index = (
            tf.argmax(labels, axis=-1)
            if labels.shape[-1] not in (None, 1)
            else tf.reshape(labels, [-1])
        )
        per_sample = tf.gather(weights, tf.cast(index, tf.int64))
        if sample_weight is not None:
            per_sample = per_sample * tf.cast(sample_weight, per_sample.dtype)
        return x, y, per_sample

    return apply


def _rows(leaf: Any) -> int:
    if isinstance(leaf, tf.SparseTensor):
        return int(leaf.dense_shape[0])
    if isinstance(leaf, tf.RaggedTensor):
        return int(leaf.nrows())
    return int(np.shape(leaf)[0]) if np.ndim(leaf) else 0


def _dense(leaf: Any, name: str) -> Any:
    """A NumPy array for array-likes (tensors kept), checked for content.

    Text and complex numbers are checked against the model by the caller's
    ``check_arrays`` (`tfstarter.data._labels`): a model may take strings.
    """
    if leaf is None or isinstance(leaf, tf.RaggedTensor | tf.SparseTensor):
        return leaf
    # The library's one array rule: no Python objects, no ragged nesting.
    array = as_arrays(name, leaf.numpy() if isinstance(leaf, tf.Tensor) else leaf)
    if array.ndim == 0:
        raise DataError(
            f"`{name}` is a single value ({describe(array)}), not one row per "
            f"sample; pass an array with a first (sample) dimension."
        )
    return array


def _paths(structure: Any, role: str) -> list[str]:
    names = ["x", "y", "sample_weight"]
    paths: list[str] = []
    del role  # the Trainer names the argument (`validation_data`) itself
    for name, part in zip(names, structure, strict=True):
        label = name
        flat = tf.nest.flatten(part)
        if len(flat) == 1 and not isinstance(part, list | tuple | Mapping):
            paths.append(label)
            continue
        for path, _ in _flatten_with_paths(part):
            paths.append(f"{label}{path}")
    return paths


def _flatten_with_paths(structure: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(structure, Mapping):
        items: list[tuple[str, Any]] = []
        for key in sorted(structure):
            items += _flatten_with_paths(structure[key], f"{prefix}[{key!r}]")
        return items
    if isinstance(structure, list | tuple):
        items = []
        for index, value in enumerate(structure):
            items += _flatten_with_paths(value, f"{prefix}[{index}]")
        return items
    return [(prefix, structure)]


def _from_arrays(
    structure: tuple[Any, Any, Any],
    *,
    role: str,
    batch_size: int,
    shuffle: bool,
    seed: int | None,
    class_weight: Mapping[int, float] | None,
    non_finite: NonFiniteData,
    check_targets: Callable[[Any, Any], None] | None = None,
) -> tf.data.Dataset:
    """Check arrays and batch them with tfstarter's seeded pipeline.

    ``check_targets(x, y)`` is called once the rows with NaN or Inf are
    refused or dropped (the model's own checks of features and labels).
    """
    x, y, sample_weight = structure
    if class_weight is not None:
        if y is None or isinstance(y, list | tuple | Mapping):
            raise ConfigError(
                "`class_weight` needs one target array (one label per sample), "
                f"got y={'None' if y is None else type(y).__name__}. Pass "
                f"sample_weight= for several outputs."
            )
        if sample_weight is not None:
            raise ConfigError(
                "`sample_weight` and `class_weight` are both given; pass one "
                "(multiply them into sample_weight= for both)."
            )
        sample_weight = _compat.class_weight_to_sample_weights(
            np.asarray(y), dict(class_weight)
        )
    names = _paths((x, y, sample_weight), role)
    leaves = tf.nest.flatten((x, y, sample_weight))
    leaves = [_dense(leaf, name) for leaf, name in zip(leaves, names, strict=True)]
    present = [
        (n, leaf) for n, leaf in zip(names, leaves, strict=True) if leaf is not None
    ]
    if not present:
        raise DataError(f"`{role}` holds no arrays; pass the data to train on.")
    rows = {name: _rows(leaf) for name, leaf in present}
    count = rows[present[0][0]]
    for name, n in rows.items():
        if n != count:
            raise DataError(
                f"`{present[0][0]}` has {count} samples but `{name}` has {n}. "
                f"Pass one row per sample everywhere."
            )
    if count == 0:
        raise DataError(
            f"`{present[0][0]}` is empty (0 samples). Pass at least one sample."
        )
    keep = np.ones(count, bool)
    for name, leaf in present:
        if isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f":
            # The rule of tfstarter.data, with the hint to give the Trainer.
            try:
                keep &= check_finite(name, leaf, policy=non_finite)
            except DataError as error:
                raise DataError(
                    str(error).replace(
                        "pass non_finite='drop'",
                        "pass non_finite='drop' to Trainer.fit / evaluate",
                    )
                ) from None
    if not keep.all():
        if not keep.any():
            raise DataError(
                "every row holds NaN or Inf; nothing would be left after dropping them."
            )
        index = np.flatnonzero(keep)
        leaves = [_take(leaf, index) for leaf in leaves]
        count = int(keep.sum())
    if check_targets is not None:
        checked = tf.nest.pack_sequence_as((x, y, sample_weight), leaves)
        check_targets(checked[0], checked[1])
    tensors = [_tensor(leaf) for leaf in leaves]
    packed = tf.nest.pack_sequence_as((x, y, sample_weight), tensors)
    element = (
        packed[:1]
        if packed[1] is None and packed[2] is None
        else (packed[:2] if packed[2] is None else packed)
    )
    # As Keras' array adapter does: tf.data would read a list of arrays as
    # one stacked tensor, so the inputs of a multi-input model (and the
    # targets of a multi-output one) given as lists become tuples.
    element = keras.tree.lists_to_tuples(element)

    @no_autograph
    def gather(index: Any) -> Any:
        return tf.nest.map_structure(lambda t: _gather(t, index), element)

    plan = Plan(
        batch_size=batch_size,
        shuffle=shuffle,
        seed=seed,
        shuffle_buffer=count,
        batch_fn=gather,
        cardinality=count,
        index_handles=True,
    )
    return prepare(tf.data.Dataset.range(count), plan)


def _take(leaf: Any, index: Any) -> Any:
    if leaf is None:
        return None
    if isinstance(leaf, tf.RaggedTensor | tf.SparseTensor):
        return _gather(leaf, tf.constant(index, tf.int64))
    return leaf[index]


def _tensor(leaf: Any) -> Any:
    if leaf is None or isinstance(leaf, tf.RaggedTensor):
        return leaf
    if isinstance(leaf, tf.SparseTensor):
        return tf.sparse.reorder(leaf)
    return tf.convert_to_tensor(leaf)


def _gather(tensor: Any, index: Any) -> Any:
    """Rows ``index`` of a dense, ragged or sparse tensor."""
    if tensor is None:
        return None
    if isinstance(tensor, tf.SparseTensor):
        rows = tensor.indices[:, 0]
        nrows = tensor.dense_shape[0]
        values = tf.RaggedTensor.from_value_rowids(tensor.values, rows, nrows=nrows)
        columns = tf.RaggedTensor.from_value_rowids(
            tensor.indices[:, 1:], rows, nrows=nrows
        )
        picked_values = tf.gather(values, index)
        picked_columns = tf.gather(columns, index)
        new_rows = picked_values.value_rowids()
        indices = tf.concat(
            [tf.expand_dims(new_rows, 1), picked_columns.flat_values], axis=1
        )
        shape = tf.concat(
            [tf.shape(index, out_type=tf.int64), tensor.dense_shape[1:]], axis=0
        )
        return tf.SparseTensor(indices, picked_values.flat_values, shape)
    return tf.gather(tensor, index)


def check_dataset_length(
    dataset: tf.data.Dataset, steps: int | None, *, role: str = "x"
) -> None:
    """Refuse data that would never end, or is empty (Keras would hang or fail).

    Raises:
        ConfigError: for an endless dataset without a step count.
        DataError: for an empty one.

    Examples:
        >>> check_dataset_length(tf.data.Dataset.range(3).repeat(), None)
        Traceback (most recent call last):
        ...
        tfstarter.errors.ConfigError: `x` is an endless dataset ...
    """
    cardinality = int(dataset.cardinality())
    if steps is None and cardinality == tf.data.INFINITE_CARDINALITY:
        raise ConfigError(
            f"`{role}` is an endless dataset (it repeats), so it never ends. "
            f"Pass steps_per_epoch=N to fit (steps=N to evaluate or predict), or "
            f"take a finite part (dataset.take(N))."
        )
    if cardinality == 0:
        raise DataError(f"`{role}` is an empty dataset (0 batches); pass some data.")


def _structure_of(spec: Any) -> tuple[Any, Any]:
    """Split a dataset element spec into its input part and its target part."""
    if isinstance(spec, tuple):
        if len(spec) == 1:
            return spec[0], None
        return spec[0], spec[1]
    return spec, None


def model_input_specs(model: Any) -> list[Any] | None:
    """The Keras input tensors of ``model`` when it has them, else None."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        return None
    if not inputs:
        return None
    return list(inputs)


def _shape_text(shape: Sequence[int | None]) -> str:
    return (
        "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"
    )


def check_element_spec(
    model: Any, dataset: tf.data.Dataset, *, role: str, needs_targets: bool
) -> None:
    """Check that ``dataset`` yields what ``model`` takes.

    Raises:
        DataError: when the dataset yields no targets but a loss needs them,
            when it looks unbatched, or when an input's shape does not match
            the model's.

    Examples:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> ds = tf.data.Dataset.from_tensor_slices(np.zeros((4, 2), "float32"))
        >>> check_element_spec(model, ds.batch(2), role="x", needs_targets=False)
        Traceback (most recent call last):
        ...
        tfstarter.errors.DataError: `x` yields inputs of shape (None, 2) ...
    """
    x_spec, y_spec = _structure_of(dataset.element_spec)
    if needs_targets and y_spec is None:
        raise DataError(
            f"`{role}` yields only inputs ({_describe_spec(x_spec)}), but the "
            f"model's loss needs targets. Make the dataset yield (x, y) pairs, "
            f"e.g. tf.data.Dataset.from_tensor_slices((x, y)).batch(32)."
        )
    inputs = model_input_specs(model)
    if inputs is None:
        return
    given = tf.nest.flatten(x_spec)
    optional = any(spec is None or not isinstance(spec, tf.TypeSpec) for spec in given)
    optional = optional or any(
        type(spec).__name__ == "NoneTensorSpec" for spec in given
    )
    if optional:
        return  # None for optional inputs: Keras matches them by structure.
    if len(given) != len(inputs):
        raise DataError(
            f"`{role}` yields {len(given)} input tensor(s) "
            f"({_describe_spec(x_spec)}) but the model takes {len(inputs)} "
            f"({', '.join(_shape_text(i.shape) for i in inputs)}). Pass one "
            f"array per model input (a tuple or list `x` holds one array per "
            f"input; to predict, pass x alone, not (x, y))."
        )
    for spec, expected in zip(given, inputs, strict=True):
        if not isinstance(spec, tf.TensorSpec):
            continue
        actual = tuple(spec.shape.as_list()) if spec.shape.rank is not None else None
        wanted = tuple(expected.shape)
        if actual is None or _compatible(actual, wanted):
            continue
        hint = (
            " It looks unbatched: call .batch(32) on the dataset."
            if len(actual) == len(wanted) - 1 and _compatible((None, *actual), wanted)
            else " Reshape the data (or the model's Input) so they agree."
        )
        raise DataError(
            f"`{role}` yields inputs of shape {_shape_text(actual)} but the model "
            f"expects {_shape_text(wanted)} (None = any size).{hint}"
        )


def _compatible(actual: Sequence[int | None], wanted: Sequence[int | None]) -> bool:
    if len(actual) != len(wanted):
        return False
    return all(
        a is None or w is None or a == w for a, w in zip(actual, wanted, strict=True)
    )


def _describe_spec(spec: Any) -> str:
    parts = [
        f"shape {_shape_text(s.shape.as_list())} {s.dtype.name}"
        if isinstance(s, tf.TensorSpec) and s.shape.rank is not None
        else type(s).__name__
        for s in tf.nest.flatten(spec)
    ]
    return ", ".join(parts)


def infer_classes(model: Any) -> int | None:
    """The number of classes when the loss takes integer labels, else None.

    A sparse categorical cross-entropy on an output of ``n`` units needs
    labels in ``[0, n)``; knowing it lets arrays be checked up front.

    Examples:
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
        >>> model.compile(loss=keras.losses.SparseCategoricalCrossentropy())
        >>> infer_classes(model)
        4
    """
    loss = getattr(model, "loss", None)
    sparse = isinstance(loss, keras.losses.SparseCategoricalCrossentropy) or (
        isinstance(loss, str) and loss == "sparse_categorical_crossentropy"
    )
    if not sparse:
        return None
    try:
        outputs = model.outputs
    except (AttributeError, ValueError):
        return None
    if not outputs or len(outputs) != 1:
        return None
    units = outputs[0].shape[-1]
    return int(units) if units is not None and units > 1 else None


def check_verbose(verbose: object) -> Any:
    """Return ``verbose`` if it is ``"auto"``, 0, 1 or 2, as for ``fit``.

    Examples:
        >>> check_verbose("auto"), check_verbose(2)
        ('auto', 2)
    """
    if isinstance(verbose, bool):
        raise ArgumentTypeError(
            f"`verbose` must be 'auto', 0, 1 or 2, got {verbose}. Pass verbose=1 "
            f"for a progress bar, 0 for silence."
        )
    return check_one_of("verbose", verbose, ("auto", 0, 1, 2))
