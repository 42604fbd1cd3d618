"""What a traced step's graph holds that matters for XLA: random and slow ops."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

_RANDOM_OP_PREFIXES = (
    "StatelessTruncated",
    "StatelessMultinomial",
    "StatelessParameterized",
    "StatelessShuffle",
    "StatefulUniform",
    "StatefulStandard",
    "StatefulTruncated",
)
_RANDOM_OPS = frozenset(
    {"TruncatedNormal", "Multinomial", "ParameterizedTruncatedNormal"}
)


def is_random_op(op_type: str) -> bool:
    """Whether a TensorFlow op type draws random numbers.

    Examples:
        >>> is_random_op("StatelessRandomUniformV2"), is_random_op("StatelessWhile")
        (True, False)
    """
    return (
        "Random" in op_type
        or "Rng" in op_type
        or op_type.startswith(_RANDOM_OP_PREFIXES)
        or op_type in _RANDOM_OPS
    )


def op_types(concrete_function: Any) -> set[str]:
    """Every op type in a traced function and in every function it calls.

    Examples:
        >>> import tensorflow as tf
        >>> f = tf.function(lambda x: x + tf.random.uniform(tf.shape(x)))
        >>> "RandomUniform" in op_types(f.get_concrete_function(tf.TensorSpec([2])))
        True
    """
    graph_def = concrete_function.graph.as_graph_def()
    nodes: Iterable[Any] = list(graph_def.node) + [
        node for function in graph_def.library.function for node in function.node_def
    ]
    return {node.op for node in nodes}


def random_ops(types: Iterable[str]) -> list[str]:
    """The random op types among ``types``, sorted.

    Examples:
        >>> random_ops({"MatMul", "RandomUniform"})
        ['RandomUniform']
    """
    return sorted(t for t in types if is_random_op(t))
