"""How samples become ``tf.train.Example`` records and back, bit for bit.

Every tensor of a sample is stored as one ``bytes`` feature holding its raw
little-endian bytes (strings: one bytes value per element). Dtypes, per-sample
shapes and the nesting of tuples and dicts are kept in a JSON spec beside the
shards, so reading needs no guessing and restores exactly what was written,
for every numeric dtype (``int64`` and ``float64`` included, which the
``int64_list`` and ``float_list`` features would narrow or widen).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import tensorflow as tf

from tfstarter.data._prepare import no_autograph
from tfstarter.errors import ConfigError, CorruptFileError

# Dtypes tf.io.decode_raw reads directly, and unsigned ones it reads through a
# signed type of the same width followed by a bitcast.
_RAW = {
    "bool",
    "bfloat16",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
}
_VIA_SIGNED = {"uint32": "int32", "uint64": "int64"}
SUPPORTED_DTYPES = frozenset(_RAW | set(_VIA_SIGNED) | {"string"})


@dataclass(frozen=True)
class Leaf:
    """One tensor of a sample: its feature key, dtype name and per-sample shape."""

    key: str
    dtype: str
    shape: tuple[int, ...]

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of this leaf."""
        return {
            "kind": "tensor",
            "key": self.key,
            "dtype": self.dtype,
            "shape": list(self.shape),
        }


Structure = Any
"""A `Leaf`, a tuple of structures, or a dict of structures."""


def structure_from_spec(element_spec: Any, path: str = "sample") -> Structure:
    """Build a `Structure` from a ``tf.data`` element spec, naming leaves f0, f1...

    Raises:
        ConfigError: for unknown dims, ragged/sparse parts or unsupported dtypes.

    Examples:
        >>> spec = (tf.TensorSpec((2,), tf.float32), tf.TensorSpec((), tf.int64))
        >>> [leaf.key for leaf in structure_from_spec(spec)]
        ['f0', 'f1']
    """
    counter = iter(range(1 << 30))

    def build(spec: Any, where: str) -> Structure:
        if isinstance(spec, Mapping):
            return {
                str(k): build(v, f"{where}[{k!r}]") for k, v in sorted(spec.items())
            }
        if isinstance(spec, tuple | list):
            return tuple(build(v, f"{where}[{i}]") for i, v in enumerate(spec))
        if not isinstance(spec, tf.TensorSpec):
            raise ConfigError(
                f"`{where}` is a {type(spec).__name__}; only dense tensors (in "
                f"tuples and dicts) can be written to TFRecord. Convert ragged or "
                f"sparse tensors to dense first."
            )
        if spec.shape.rank is None or None in spec.shape.as_list():
            raise ConfigError(
                f"`{where}` has shape {spec.shape} with an unknown dimension; every "
                f"sample must have the same, known shape. If the dataset is batched, "
                f"call .unbatch() first."
            )
        dtype = spec.dtype.name
        if dtype not in SUPPORTED_DTYPES:
            raise ConfigError(
                f"`{where}` has dtype {dtype}, which cannot be stored. Supported: "
                f"{', '.join(sorted(SUPPORTED_DTYPES))}."
            )
        return Leaf(f"f{next(counter)}", dtype, tuple(int(d) for d in spec.shape))

    return build(element_spec, path)


def leaves(structure: Structure) -> list[Leaf]:
    """Return the leaves of ``structure`` in ``tf.nest`` flattening order.

    Examples:
        >>> structure = (Leaf("f0", "int8", ()), {"a": Leaf("f1", "bool", (2,))})
        >>> [leaf.dtype for leaf in leaves(structure)]
        ['int8', 'bool']
    """
    return list(tf.nest.flatten(structure))


def structure_to_json(structure: Structure) -> Any:
    """Return the JSON form of ``structure``.

    Examples:
        >>> structure_to_json((Leaf("f0", "int8", ()),))["items"][0]["dtype"]
        'int8'
    """
    if isinstance(structure, Leaf):
        return structure.to_json()
    if isinstance(structure, dict):
        return {
            "kind": "dict",
            "items": {k: structure_to_json(v) for k, v in structure.items()},
        }
    return {"kind": "tuple", "items": [structure_to_json(v) for v in structure]}


def structure_from_json(data: Any, source: str) -> Structure:
    """Rebuild a structure from its JSON form; ``source`` names the file in errors.

    Raises:
        CorruptFileError: if the JSON does not describe a structure.

    Examples:
        >>> structure_from_json(
        ...     {"kind": "tensor", "key": "f0", "dtype": "int8", "shape": [2]}, "spec"
        ... )
        Leaf(key='f0', dtype='int8', shape=(2,))
    """
    try:
        kind = data["kind"]
        if kind == "tensor":
            dtype = str(data["dtype"])
            if dtype not in SUPPORTED_DTYPES:
                raise ValueError(f"unsupported dtype {dtype!r}")
            return Leaf(str(data["key"]), dtype, tuple(int(d) for d in data["shape"]))
        if kind == "dict":
            return {
                str(k): structure_from_json(v, source) for k, v in data["items"].items()
            }
        if kind == "tuple":
            return tuple(structure_from_json(v, source) for v in data["items"])
        raise ValueError(f"unknown kind {kind!r}")
    except (KeyError, TypeError, ValueError, AttributeError) as err:
        raise CorruptFileError(
            f"{source} does not describe the samples ({err}). Write the data again "
            f"with tfstarter.data.write_tfrecord."
        ) from None


def encode(values: list[npt.NDArray[Any]], leaf_list: list[Leaf]) -> bytes:
    """Serialize one sample (its flattened arrays) into ``tf.train.Example`` bytes.

    Examples:
        >>> data = encode([np.array([1, 2], np.int16)], [Leaf("f0", "int16", (2,))])
        >>> isinstance(data, bytes)
        True
    """
    feature = {}
    for value, leaf in zip(values, leaf_list, strict=True):
        if leaf.dtype == "string":
            items = [
                v if isinstance(v, bytes) else str(v).encode() for v in np.ravel(value)
            ]
        else:
            array = np.ascontiguousarray(value)
            if array.dtype.byteorder == ">":
                array = array.astype(array.dtype.newbyteorder("<"))
            items = [array.tobytes()]
        feature[leaf.key] = tf.train.Feature(bytes_list=tf.train.BytesList(value=items))
    example = tf.train.Example(features=tf.train.Features(feature=feature))
    serialized: bytes = example.SerializeToString()
    return serialized


def decoder(structure: Structure, *, batched: bool) -> Any:
    """Return a function from serialized records to samples (or batches of them).

    With ``batched=True`` the function takes a 1-D string tensor of records
    and parses them all with one ``tf.io.parse_example`` and one
    ``tf.io.decode_raw`` per tensor.

    Examples:
        >>> leaf = Leaf("f0", "int16", (2,))
        >>> record = encode([np.array([1, 2], np.int16)], [leaf])
        >>> decoder(leaf, batched=False)(tf.constant(record)).numpy().tolist()
        [1, 2]
    """
    leaf_list = leaves(structure)
    features = {
        leaf.key: tf.io.FixedLenFeature(
            leaf.shape if leaf.dtype == "string" else [], tf.string
        )
        for leaf in leaf_list
    }

    @no_autograph
    def decode(records: Any) -> Any:
        parsed = (tf.io.parse_example if batched else tf.io.parse_single_example)(
            records, features
        )
        tensors = []
        for leaf in leaf_list:
            raw = parsed[leaf.key]
            if leaf.dtype == "string":
                tensors.append(raw)
                continue
            signed = _VIA_SIGNED.get(leaf.dtype, leaf.dtype)
            tensor = tf.io.decode_raw(
                raw, tf.dtypes.as_dtype(signed), little_endian=True
            )
            if signed != leaf.dtype:
                tensor = tf.bitcast(tensor, tf.dtypes.as_dtype(leaf.dtype))
            # An explicit batch size (not -1) also works for zero-size samples.
            shape = [tf.shape(raw)[0], *leaf.shape] if batched else list(leaf.shape)
            tensors.append(tf.reshape(tensor, shape))
        return tf.nest.pack_sequence_as(structure, tensors)

    return decode
