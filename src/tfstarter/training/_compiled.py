"""The custom loop's compiled functions: several steps per call, no retracing.

Each function takes the ``tf.data`` iterator itself (not a batch), so batches
are read inside the graph with the dataset's element spec — batch dimension
``None`` — and a short last batch reuses the same trace. The number of steps
per call is a tensor argument, so a short last call does not retrace either.
Learning rates are optimizer variables, epochs are Python-side: neither is
part of any signature.

The per-batch step is a ``tf.function`` of its own (``jit_compile`` applies to
it; iterators cannot be XLA-compiled), called from a ``tf.while_loop``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import tensorflow as tf

from tfstarter.training._step import Step


def _distributed(function: Any, strategy: Any, reduction: str) -> Any:
    """Run ``function`` on every replica and reduce the per-replica results."""
    if strategy is None:
        return function

    def run(data: Any) -> Any:
        outputs = strategy.run(function, args=(data,))
        return reduce_per_replica(outputs, strategy, reduction)

    return run


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


class Functions(NamedTuple):
    """The three compiled forms of one kind of step (train, test or predict).

    Attributes:
        many: ``(iterator, steps)`` → runs ``steps`` batches in one call.
        single: ``(iterator)`` → runs one batch, without a loop around it.
        next: ``(optional)`` → runs one batch already fetched as an optional.
    """

    many: Any
    single: Any
    next: Any


class CompiledSteps:
    """``train``, ``test`` and ``predict`` over an iterator, ``steps`` at a time.

    For a dataset of unknown length, the ``next`` form of each `Functions`
    (``training``, ``testing``, ``predicting``) takes one
    ``tf.experimental.Optional`` batch (read eagerly, so the end of the data
    is seen before anything runs): a batch that fails to arrive inside a
    compiled call could leave a step half-applied.

    Args:
        step: the shared per-batch computation.
        jit_compile: XLA-compile the per-batch step.
        strategy: a `tf.distribute.Strategy`, or ``None``.

    Examples:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> compiled = CompiledSteps(Step(model), jit_compile=False)
        >>> data = tf.data.Dataset.from_tensors((tf.ones((4, 2)), tf.ones((4, 1))))
        >>> logs = compiled.train(iter(data.repeat(3)), tf.constant(3))
        >>> int(model.optimizer.iterations)
        3
    """

    def __init__(self, step: Step, *, jit_compile: bool, strategy: Any = None) -> None:
        self.step = step
        self.strategy = strategy
        options = {
            "jit_compile": jit_compile,
            "reduce_retracing": True,
            "autograph": False,
        }
        self._train_one = _distributed(
            tf.function(step.train, **options), strategy, "mean"
        )
        self._test_one = _distributed(
            tf.function(step.test, **options), strategy, "mean"
        )
        self._predict_one = _distributed(
            tf.function(step.predict, **options), strategy, "concat"
        )
        self.train = tf.function(self._many(self._train_one), autograph=False)
        self.test = tf.function(self._many(self._test_one), autograph=False)
        self.predict = tf.function(self._predict_many, autograph=False)
        self._options = options
        self._training_xla: Functions | None = None
        self.training = self._forms(self.train, self._train_one)
        self.testing = self._forms(self.test, self._test_one)
        self.predicting = self._forms(self.predict, self._predict_one)

    @property
    def training_xla(self) -> Functions:
        """The train forms with the whole step XLA-compiled (made on first use).

        ``jit_compile="auto"`` tries them against `training` (see `XlaTrial`).
        Their traces count as the step's ``"train"`` traces, like every form's.
        """
        if self._training_xla is None:
            one = _distributed(
                tf.function(self.step.train, **{**self._options, "jit_compile": True}),
                self.strategy,
                "mean",
            )
            self._training_xla = self._forms(
                tf.function(self._many(one), autograph=False), one
            )
        return self._training_xla

    @classmethod
    def _forms(cls, many: Any, one: Any) -> Functions:
        """``many`` with the two one-batch forms of ``one``, each compiled.

        One step per call needs no loop (and no step count) around the step.
        """
        return Functions(
            many,
            tf.function(cls._single(one), autograph=False),
            tf.function(cls._next(one), autograph=False),
        )

    @staticmethod
    def _many(one: Any) -> Any:
        """Run ``one`` on ``steps`` batches; return the logs of the last."""

        def run(iterator: Any, steps: Any) -> Any:
            def body(i: Any) -> Any:
                one(iterator.get_next())
                return (i + 1,)

            tf.while_loop(lambda i: i < steps - 1, body, (tf.constant(0),))
            return one(iterator.get_next())

        return run

    @staticmethod
    def _single(one: Any) -> Any:
        """Run ``one`` on the next batch of an iterator."""

        def run(iterator: Any) -> Any:
            return one(iterator.get_next())

        return run

    @staticmethod
    def _next(one: Any) -> Any:
        """Run ``one`` on the batch held by an optional."""

        def run(optional: Any) -> Any:
            return one(optional.get_value())

        return run

    def _predict_many(self, iterator: Any, steps: Any) -> Any:
        """Predict on ``steps`` batches; return their outputs, concatenated."""
        first = self._predict_one(iterator.get_next())
        leaves = tf.nest.flatten(first)
        arrays = [
            tf.TensorArray(
                leaf.dtype, size=0, dynamic_size=True, infer_shape=False
            ).write(0, leaf)
            for leaf in leaves
        ]

        def body(i: Any, *arrays: Any) -> Any:
            outputs = tf.nest.flatten(self._predict_one(iterator.get_next()))
            return (
                i + 1,
                *(a.write(i, o) for a, o in zip(arrays, outputs, strict=True)),
            )

        _, *arrays = tf.while_loop(
            lambda i, *_: i < steps, body, (tf.constant(1), *arrays)
        )
        return tf.nest.pack_sequence_as(first, [array.concat() for array in arrays])
