"""The custom loop's compiled functions: several steps per call, no retracing.

Each function takes the ``tf.data`` iterator itself (not a batch), so batches
are read inside the graph with the dataset's element spec — batch dimension
``None`` — and a short last batch reuses the same trace. The number of steps
of a call is a tensor argument, so a short last call does not retrace either.
Learning rates are optimizer variables, epochs are Python-side: neither is
part of any signature.

The per-batch step is a ``tf.function`` of its own (``jit_compile`` applies
to it; iterators cannot be XLA-compiled), called from a ``tf.while_loop``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import tensorflow as tf

from tfstarter.training._epoch_iterator import Call


def reduce_per_replica(values: Any, strategy: Any, reduction: str) -> Any:
    """Reduce per-replica results: ``"mean"`` for logs, ``"concat"`` for outputs."""

    def reduce(value: Any) -> Any:
        if not isinstance(value, tf.distribute.DistributedValues):
            return value
        local = strategy.experimental_local_results(value)
        if reduction == "concat":
            return tf.concat(local, axis=0)
        return tf.reduce_mean(tf.stack(local), axis=0)

    return tf.nest.map_structure(reduce, values)


def one_step(
    step: Callable[[Any], Any],
    *,
    jit_compile: bool,
    strategy: Any = None,
    reduction: str = "mean",
) -> Any:
    """``step`` as a ``tf.function`` on one batch, run on every replica.

    Examples:
        >>> f = one_step(lambda batch: {"sum": tf.reduce_sum(batch)}, jit_compile=False)
        >>> float(f(tf.ones(3))["sum"])
        3.0
    """
    compiled = tf.function(
        step, jit_compile=jit_compile, reduce_retracing=True, autograph=False
    )
    if strategy is None:
        return compiled

    def run(data: Any) -> Any:
        outputs = strategy.run(compiled, args=(data,))
        return reduce_per_replica(outputs, strategy, reduction)

    return run


class Functions:
    """The compiled forms of one kind of step, and which one a `Call` runs.

    ``functions(iterator, call)`` runs ``call.steps`` steps on batches of
    ``iterator`` and returns the logs of the last (the concatenated outputs
    for predict), or ``None`` when a call on data of unknown length finds no
    batch left. Three forms, each compiled once:

    - ``many(iterator, steps)``: a ``tf.while_loop`` of ``steps`` steps;
    - ``single(iterator)``: one step, no loop around it;
    - ``rest(optional, iterator, limit)``: for data of unknown length, the
      step on a batch already read (eagerly, as an optional, so the end of
      the data is seen before anything runs), then up to ``limit - 1`` more
      while batches arrive.

    Args:
        one: the per-batch step on one batch (see `one_step`).
        collect: concatenate every step's outputs (predict) instead of
            returning the last step's logs.

    Examples:
        >>> total = tf.Variable(0.0)
        >>> def add(batch):
        ...     total.assign_add(tf.reduce_sum(batch))
        ...     return {"total": total.read_value()}
        >>> functions = Functions(one_step(add, jit_compile=False))
        >>> data = iter(tf.data.Dataset.range(5).map(lambda i: tf.cast(i, "float32")))
        >>> float(functions(data, Call(0, 3, 4, 4))["total"])
        6.0
        >>> float(functions(data, Call(4, 7, None, 4))["total"])
        10.0
        >>> functions(data, Call(8, 11, None, 4)) is None
        True
    """

    def __init__(self, one: Any, *, collect: bool = False) -> None:
        self.one = one
        self._collect = collect
        body = _collect_many if collect else _last_of_many
        self.many = tf.function(body(one), autograph=False)
        self.single = tf.function(lambda iterator: one(iterator.get_next()))
        self.rest = tf.function(
            (_collect_rest if collect else _last_of_rest)(one), autograph=False
        )
        self._constants: dict[int, Any] = {}

    def _constant(self, value: int) -> Any:
        tensor = self._constants.get(value)
        if tensor is None:
            tensor = self._constants[value] = tf.constant(value, tf.int32)
        return tensor

    def __call__(self, iterator: Any, call: Call) -> Any:
        """Run ``call`` on batches of ``iterator`` (see the class)."""
        if call.steps is None:
            optional = iterator.get_next_as_optional()
            if not bool(optional.has_value()):
                return None
            return self.rest(optional, iterator, self._constant(call.limit))
        if call.steps == 1 and not self._collect:
            return self.single(iterator)
        return self.many(iterator, self._constant(call.steps))


def _last_of_many(one: Any) -> Any:
    """Run ``one`` on ``steps`` batches; return the logs of the last."""

    def run(iterator: Any, steps: Any) -> Any:
        def body(i: Any) -> Any:
            one(iterator.get_next())
            return (i + 1,)

        tf.while_loop(lambda i: i < steps - 1, body, (tf.constant(0),))
        return one(iterator.get_next())

    return run


def _last_of_rest(one: Any) -> Any:
    """``one`` on a fetched batch, then on up to ``limit - 1`` more while any come."""

    def run(optional: Any, iterator: Any, limit: Any) -> Any:
        first = one(optional.get_value())
        ahead = _read_ahead(iterator, limit)

        def body(i: Any, _: Any, following: Any) -> Any:
            logs = one(following.get_value())
            return (i + 1, logs, _next_if(iterator, i + 2 < limit, following))

        _, logs, _ = tf.while_loop(
            lambda i, _, following: tf.logical_and(
                i + 1 < limit, following.has_value()
            ),
            body,
            (tf.constant(0), first, ahead),
        )
        return logs

    return run


def _read_ahead(iterator: Any, limit: Any) -> Any:
    """The next batch as an optional if the call may run another step."""
    return _next_if(iterator, limit > 1, None)


def _next_if(iterator: Any, condition: Any, otherwise: Any) -> Any:
    """``iterator.get_next_as_optional()`` where ``condition`` holds.

    Where it does not, ``otherwise`` (an optional already read, which is not
    consumed; an empty one if None), so a call never reads a batch it will
    not run.
    """
    if otherwise is None:
        otherwise = tf.experimental.Optional.empty(iterator.element_spec)
    return tf.cond(condition, iterator.get_next_as_optional, lambda: otherwise)


def _collect_many(one: Any) -> Any:
    """Run ``one`` on ``steps`` batches; return their outputs, concatenated."""

    def run(iterator: Any, steps: Any) -> Any:
        first = one(iterator.get_next())
        arrays = _arrays(first)

        def body(i: Any, *arrays: Any) -> Any:
            outputs = tf.nest.flatten(one(iterator.get_next()))
            return (
                i + 1,
                *(a.write(i, o) for a, o in zip(arrays, outputs, strict=True)),
            )

        _, *arrays = tf.while_loop(
            lambda i, *_: i < steps, body, (tf.constant(1), *arrays)
        )
        return tf.nest.pack_sequence_as(first, [a.concat() for a in arrays])

    return run


def _collect_rest(one: Any) -> Any:
    """Outputs of a fetched batch and of up to ``limit - 1`` more, concatenated."""

    def run(optional: Any, iterator: Any, limit: Any) -> Any:
        first = one(optional.get_value())
        arrays = _arrays(first)
        ahead = _read_ahead(iterator, limit)

        def body(i: Any, following: Any, *arrays: Any) -> Any:
            outputs = tf.nest.flatten(one(following.get_value()))
            written = (a.write(i, o) for a, o in zip(arrays, outputs, strict=True))
            return (i + 1, _next_if(iterator, i + 1 < limit, following), *written)

        _, _, *arrays = tf.while_loop(
            lambda i, following, *_: tf.logical_and(i < limit, following.has_value()),
            body,
            (tf.constant(1), ahead, *arrays),
        )
        return tf.nest.pack_sequence_as(first, [a.concat() for a in arrays])

    return run


def _arrays(first: Any) -> list[Any]:
    return [
        tf.TensorArray(leaf.dtype, size=0, dynamic_size=True, infer_shape=False).write(
            0, leaf
        )
        for leaf in tf.nest.flatten(first)
    ]
