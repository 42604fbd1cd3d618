"""The optimizer's weight update, XLA-compiled on its own (``jit_compile="auto"``).

Why our own code: Keras compiles either the whole train step with XLA or
nothing, and leaves XLA off on a machine without a GPU. Compiling the whole
step costs one compile per batch shape (a short last batch is a second one)
and draws dropout masks from XLA's random-number generator, so results differ
from a run without XLA. The weight update has none of these costs: it is
elementwise over variables of fixed shapes (one compile per model, whatever
the batch), has no random numbers, and is where an unfused graph is most
wasteful: Keras' Adam makes about ten separate passes over every weight, XLA
makes one. ``benchmarks/trainer.py`` measures what it gains (the "XLA-compiled
update" pairs).

The update is compiled only where that is known to be safe: one of Keras' own
optimizers (a `keras.optimizers.LossScaleOptimizer` around one, too; not a
``MultiOptimizer``), no `tf.distribute` strategy, TensorFlow op determinism
off (Keras turns XLA off under it), a platform where Keras uses XLA, and dense
gradients. A step with a sparse gradient (`tf.IndexedSlices`, e.g. from an
``Embedding``: XLA would compile again for every new number of rows) or a
missing one takes Keras' update instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import tensorflow as tf

from tfstarter.training import _compat

if TYPE_CHECKING:
    from tfstarter.training._non_finite import NonFiniteWatch


def xla_update_unavailable(optimizer: Any, strategy: Any = None) -> str | None:
    """Why the update of ``optimizer`` is not XLA-compiled (None: it is).

    Examples:
        >>> import keras
        >>> class Mine(keras.optimizers.SGD):
        ...     pass
        >>> print(xla_update_unavailable(Mine()))
        the optimizer (Mine) is not one of Keras' own
        >>> strategy = tf.distribute.get_strategy()
        >>> print(xla_update_unavailable(keras.optimizers.SGD(), strategy))
        the step runs under a tf.distribute strategy
    """
    if type(optimizer).__name__ == "MultiOptimizer":
        # It picks the optimizer of each variable when it is built, from a map
        # or a function: optimizers of the user's own could end up inside.
        return "a MultiOptimizer's parts are chosen when it is built"
    inner = getattr(optimizer, "inner_optimizer", None)
    for candidate in (optimizer, inner):
        if candidate is not None and not _compat.is_keras_optimizer(candidate):
            name = type(candidate).__name__
            return f"the optimizer ({name}) is not one of Keras' own"
    if strategy is not None:
        return "the step runs under a tf.distribute strategy"
    return _compat.xla_environment_reason()


class XlaUpdate:
    """Applies gradients with the optimizer's update compiled by XLA.

    Call it while a step is traced; it falls back to the optimizer's plain
    ``apply_gradients`` for a step it cannot compile (see the module).

    Args:
        optimizer: the model's Keras optimizer.

    Examples:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> model.optimizer.build(model.trainable_variables)
        >>> update = XlaUpdate(model.optimizer)
        >>> grads = [tf.ones_like(v) for v in model.trainable_variables]
        >>> update.apply(grads, model.trainable_variables)
        True
        >>> update.trace_count, int(model.optimizer.iterations)
        (1, 1)
    """

    def __init__(self, optimizer: Any) -> None:
        self.optimizer = optimizer
        self.trace_count = 0
        self._functions: dict[tuple[Any, ...], Any] = {}

    def accepts(self, gradients: Sequence[Any]) -> bool:
        """Whether these gradients can go through the compiled update."""
        return bool(self.optimizer.built) and all(
            isinstance(gradient, tf.Tensor) for gradient in gradients
        )

    def apply(self, gradients: Sequence[Any], variables: Sequence[Any]) -> bool:
        """Apply ``gradients`` to ``variables``; return whether XLA ran the update."""
        if not self.accepts(gradients):
            self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
            return False
        key = tuple(id(variable) for variable in variables)
        function = self._function(key, lambda: self._compiled(list(variables)))
        function(list(gradients))
        return True

    def apply_watched(
        self,
        gradients: Sequence[Any],
        variables: Sequence[Any],
        *,
        watch: NonFiniteWatch,
        loss: Any,
        kept: list[Any],
    ) -> bool:
        """The NaN guard's update with this update: `NonFiniteWatch.update_compiled`.

        The verdict on the loss and the gradients is taken in the graph, and
        the compiled function runs only where it allows; the weight check, its
        record and the put-back of the weights run in it with the update: the
        old weights are held without a copy, and the check and the put-back
        become a few compiled kernels instead of many small graph ops (see
        `NonFiniteWatch.update_compiled` for why the verdict comes first).
        Without this, at one step per call on the MLP of
        ``benchmarks/trainer.py``, the guard's separate ops (a copy of every
        weight, the sums, the conditional put-back) cost about a seventh of
        the step.

        Returns:
            Whether it ran; False (nothing done) where the update cannot be
            compiled (see `accepts`) or the step is already XLA-compiled
            whole, and the caller runs the guard around `apply`.
        """
        if not self.accepts(gradients) or _compat.in_xla_context():
            return False
        key = ("watched", id(watch), *(id(variable) for variable in variables))
        function = self._function(
            key, lambda: self._compiled_watched(list(variables), watch)
        )
        watch.update_compiled(
            loss, gradients, kept, lambda: function(list(gradients), loss, kept)
        )
        return True

    def _function(self, key: tuple[Any, ...], make: Any) -> Any:
        """The compiled function under ``key``, made on first use."""
        function = self._functions.get(key)
        if function is None:
            function = self._functions[key] = make()
        return function

    def _compiled_watched(self, variables: list[Any], watch: NonFiniteWatch) -> Any:
        def update(gradients: list[Any], loss: Any, kept: list[Any]) -> None:
            self.trace_count += 1
            held = watch.hold(kept)
            self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
            watch.after(loss, held)

        return tf.function(update, jit_compile=True, autograph=False)

    def _compiled(self, variables: list[Any]) -> Any:
        # The variables are captured, not passed: Keras variables cannot be
        # tf.function arguments, and a fixed set keeps one trace.
        def update(gradients: list[Any]) -> None:
            self.trace_count += 1
            self.optimizer.apply_gradients(zip(gradients, variables, strict=True))

        return tf.function(update, jit_compile=True, autograph=False)
