"""The NaN guard: stop at the first step whose loss, gradients or weights go bad.

With ``on_non_finite="raise"`` (the default) the shared step checks, in the
graph, every batch's loss and gradients before the update and the weights
after it. A batch with a NaN or Inf in any of them is not applied: its
update is skipped, the weights the forward pass or the update changed are
put back as they were before the step (see `NonFiniteWatch.update`), and
every later step of the same compiled call is skipped too. The loop then
raises a `TrainingError` naming the epoch, the batch, what went bad and the
first variable concerned. So the model keeps the weights of the last finite
step, in both loops, whatever the CPU's kernels do with a NaN or an Inf (a
NaN input can leave the loss finite on one CPU and make it NaN on another;
its gradients are NaN on both).

Under a `keras.optimizers.LossScaleOptimizer` (``mixed_float16``) non-finite
*scaled* gradients are normal: the optimizer skips that update and lowers
the scale. There only the loss and the weights are checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfstarter.errors import TrainingError
from tfstarter.training import _compat

_WHAT = ("loss", "gradient", "weight")

TRIPPED_LOG = "_tfstarter_non_finite"
"""The key of the guard's flag in a train step's logs (popped before any hook).

Why a log and not a read of the watch's variables after each call: an eager
read of a variable costs about 0.12 ms on a 2-core CPU, a tenth of a small
model's step at one step per call; the flag comes back with the call's
outputs at no cost.
"""


def non_finite_error(
    *, epoch: int, batch: int, what: str, value: float, variable: str | None
) -> TrainingError:
    """The error raised when a batch makes the loss, a gradient or a weight bad.

    Examples:
        >>> print(
        ...     non_finite_error(
        ...         epoch=2, batch=17, what="gradient", value=0.5, variable="d/kernel"
        ...     )
        ... )  # doctest: +NORMALIZE_WHITESPACE
        training stopped at epoch 3, batch 17 (0-based batch index within the
        epoch): the gradient of `d/kernel` became NaN or Inf (the loss was 0.5).
        The model keeps the weights of the last finite step. Check the inputs
        and targets for NaN/Inf, lower the learning rate, or clip the gradients
        (e.g. clipping=GradientClipping('global_norm', 1.0)); pass
        on_non_finite='ignore' to go on regardless.
    """
    if what == "loss":
        found = f"the loss became {value}"
    else:
        found = f"the {what} of `{variable}` became NaN or Inf (the loss was {value})"
    return TrainingError(
        f"training stopped at epoch {epoch + 1}, batch {batch} (0-based batch "
        f"index within the epoch): {found}. The model keeps the weights of the "
        f"last finite step. Check the inputs and targets for NaN/Inf, lower the "
        f"learning rate, or clip the gradients (e.g. "
        f"clipping=GradientClipping('global_norm', 1.0)); pass "
        f"on_non_finite='ignore' to go on regardless."
    )


def elsewhere_error(*, epoch: int) -> TrainingError:
    """The error raised on a worker whose replicas were fine when another's was not.

    Examples:
        >>> print(elsewhere_error(epoch=0))  # doctest: +NORMALIZE_WHITESPACE
        training stopped at epoch 1: a batch on another worker made the loss, a
        gradient or a weight NaN or Inf (that worker's error names the batch and
        what went bad). The model keeps the weights of the last finite step.
        Check that worker's inputs and targets for NaN/Inf, lower the learning
        rate or clip the gradients; pass on_non_finite='ignore' to go on
        regardless.
    """
    return TrainingError(
        f"training stopped at epoch {epoch + 1}: a batch on another worker made "
        f"the loss, a gradient or a weight NaN or Inf (that worker's error names "
        f"the batch and what went bad). The model keeps the weights of the last "
        f"finite step. Check that worker's inputs and targets for NaN/Inf, lower "
        f"the learning rate or clip the gradients; pass on_non_finite='ignore' to "
        f"go on regardless."
    )


def _exact_flags(tensors: Sequence[Any]) -> Any:
    """One boolean per tensor: whether every element is finite (None: True).

    Examples:
        >>> _exact_flags([tf.ones(2), None, tf.constant([float("nan")])]).numpy()
        array([ True,  True, False])
    """
    flags = []
    for given in tensors:
        tensor = _floating(given)
        if tensor is None:
            flags.append(tf.constant(True))
        else:
            flags.append(tf.reduce_all(tf.math.is_finite(tensor)))
    return tf.stack(flags) if flags else tf.ones([0], tf.bool)


def _all_finite(tensors: Sequence[Any]) -> Any:
    """Whether every element of every tensor is finite (None and integers: yes).

    Why not ``is_finite`` on every element: on a CPU that test (and the
    ``all`` after it) is not vectorised. On the CNN of
    ``benchmarks/trainer.py`` it took 3.4 ms a step over the gradients and
    the weights; a sum per tensor takes 1.4 ms. NaN and Inf propagate
    through a sum, so when the sum of all the tensors' sums is finite, every
    value is. A non-finite sum of finite values (an overflow) is possible,
    so where the sum is not finite the exact test decides instead, on that
    rare step only. Half-precision tensors, whose sums overflow all the
    time, are always tested exactly. One scalar for all the tensors keeps
    the ops per step few: at one step per call each op's dispatch counts.

    Examples:
        >>> big = tf.fill([4], 3e38)
        >>> (
        ...     bool(_all_finite([tf.ones(3), big])),
        ...     bool(_all_finite([big, [1.0, float("inf")]])),
        ... )
        (True, False)
    """
    tensors = [t for t in (_floating(given) for given in tensors) if t is not None]
    if not tensors:
        return tf.constant(True)
    sums = [
        tf.cast(tf.reduce_sum(t), tf.float32)
        for t in tensors
        if t.dtype in (tf.float32, tf.float64)
    ]
    exact = [
        tf.reduce_all(tf.math.is_finite(t))
        for t in tensors
        if t.dtype not in (tf.float32, tf.float64)
    ]
    quick = [tf.math.is_finite(tf.add_n(sums))] if sums else []
    fast = (
        quick[0] if len(quick + exact) == 1 else tf.reduce_all(tf.stack(quick + exact))
    )
    return tf.cond(fast, lambda: fast, lambda: tf.reduce_all(_exact_flags(tensors)))


def _floating(given: Any) -> Any:
    """``given`` as a floating-point tensor, or None (absent or not floating)."""
    if given is None:
        return None
    values = given.values if isinstance(given, tf.IndexedSlices) else given
    tensor = tf.convert_to_tensor(values)
    return tensor if tensor.dtype.is_floating else None


def _first_false(flags: Any) -> Any:
    return tf.argmin(tf.cast(flags, tf.int32), output_type=tf.int64)


def _nothing() -> Any:
    return tf.constant(False)


class NonFiniteWatch:
    """In-graph record of the first bad batch of an epoch, and the weights kept.

    The shared step calls `before` at the start of every batch and `update`
    (`allows`, the update where allowed, `after`) with its loss and
    gradients, or `update_compiled` where the update is XLA-compiled on its
    own, and returns `flag` among its logs; the loops `reset` it at each
    epoch, `take` the flag from each train call's logs, and read `found` only
    when it is set.

    Args:
        variables: the model's weights (trainable and not), put back as they
            were before the step when a batch made any of them bad.
        check_gradients: check the gradients too (not under loss scaling).

    Examples:
        >>> w = keras.Variable([1.0, 2.0], name="w")
        >>> watch = NonFiniteWatch([w])
        >>> verdicts = []
        >>> def apply(allowed):
        ...     verdicts.append(bool(allowed))
        ...     w.assign([float("nan"), 0.0])  # what a bad update would do
        >>> loss, gradients = tf.constant(0.3), [tf.constant([0.1, float("nan")])]
        >>> watch.update(loss, gradients, watch.before(), apply)
        >>> verdicts, w.numpy()
        ([False], array([1., 2.], dtype=float32))
        >>> watch.take({"loss": 0.3, TRIPPED_LOG: watch.flag()})
        True
        >>> watch.found()
        (0, 'gradient', 0, 0.3...)
    """

    def __init__(
        self, variables: Sequence[Any], *, check_gradients: bool = True
    ) -> None:
        self.variables = list(variables)
        self.check_gradients = check_gradients
        options = {
            "trainable": False,
            "synchronization": tf.VariableSynchronization.ON_READ,
            "aggregation": tf.VariableAggregation.ONLY_FIRST_REPLICA,
        }
        self._batch = tf.Variable(tf.constant(0, tf.int64), **options)
        self._first = tf.Variable(tf.constant(-1, tf.int64), **options)
        self._what = tf.Variable(tf.constant(0, tf.int64), **options)
        self._variable = tf.Variable(tf.constant(0, tf.int64), **options)
        self._value = tf.Variable(tf.constant(0.0, tf.float32), **options)
        self._reported = False

    def variable_name(self, index: int, kind: str) -> str:
        """The path of the ``index``-th variable of a kind (gradient: trainable)."""
        pool = (
            [v for v in self.variables if v.trainable]
            if kind == "gradient"
            else self.variables
        )
        variable = pool[index] if 0 <= index < len(pool) else None
        return str(getattr(variable, "path", getattr(variable, "name", "?")))

    def before(self) -> list[Any]:
        """Keep what the forward pass may change (inside the step, before it).

        Returns what `update` and `after` take back, one entry per variable:
        the values of the weights the optimizer does not update (a batch
        normalization's moving statistics, say), read as tensors, and None for
        the trainable ones, which the forward pass leaves alone and `update`
        keeps just before the update (`hold`). Under XLA every weight is read
        here.

        Why reads: a read tensor keeps its value whatever later writes the
        variable (TensorFlow copies the buffer before an in-place write while
        a reader holds it), and a variable that is only ever assigned a new
        value (as the moving statistics are) needs no copy at all.
        """
        if _compat.in_xla_context():
            return [tf.convert_to_tensor(variable) for variable in self.variables]
        return [
            None if variable.trainable else tf.convert_to_tensor(variable)
            for variable in self.variables
        ]

    def update(
        self, loss: Any, gradients: Sequence[Any], kept: list[Any], apply: Any
    ) -> None:
        """Run the batch's update where `allows` says so, then `after`.

        Args:
            loss: the batch's loss (unscaled).
            gradients: its gradients (as the update will apply them).
            kept: what `before` returned.
            apply: called with the verdict (a boolean tensor); applies the
                gradients where it is true.

        The trainable weights are kept by a read just before the update
        (`hold`), with or without XLA. XLA gives the updated weights their
        own buffers, and putting the old ones back is a select. Without XLA
        the read shares the weight's buffer until the update writes it;
        TensorFlow then copies the buffer (copy on write), so the read keeps
        the old values and putting them back is an assignment in a
        ``tf.cond``. The Trainer's XLA-compiled update takes
        `update_compiled` instead.

        Why not an explicit copy into a variable of its own per weight (what
        the guard did until 2026-12-02): it kept a second copy of every
        trainable weight in memory, and its two ops per weight made the
        custom loop without XLA (``jit_compile=False``, batch 32, the MLP of
        ``benchmarks/trainer.py``) about 5% slower; the copy on write costs
        the same bytes with no op of its own.
        """
        kept = self.hold(kept)
        apply(self.allows(loss, gradients))
        self.after(loss, kept)

    def update_compiled(
        self, loss: Any, gradients: Sequence[Any], kept: list[Any], compiled: Any
    ) -> None:
        """`update`, with the update and `after` in one XLA-compiled function.

        The verdict (`allows`) is taken in the graph; ``compiled`` (no
        arguments) runs only where it allows, and must `hold` ``kept``, apply
        the gradients and call `after` with what `hold` returned, all inside
        one ``tf.function(jit_compile=True)``. Where it does not allow, the
        update is skipped and `skipped` puts back what the forward pass
        changed.

        Why the verdict outside the compiled function: inside it, skipping
        the update takes a conditional, and XLA copies every operand a
        conditional writes (each weight and both of Adam's moments, a step).
        On the CNN of ``benchmarks/trainer.py`` (custom loop, batch 32) that
        cost a tenth of the step, as much as a select of the optimizer's
        state. A conditional in the graph around the call of the compiled
        function passes the variables by handle and copies nothing; the
        update then runs in place.

        Args:
            loss: the batch's loss (unscaled).
            gradients: its gradients (as the update will apply them).
            kept: what `before` returned.
            compiled: runs the update and `after` (see above).
        """

        def run() -> Any:
            compiled()
            return tf.constant(True)

        def skip() -> Any:
            self.skipped(kept)
            return tf.constant(False)

        tf.cond(self.allows(loss, gradients), run, skip)

    def hold(self, kept: list[Any]) -> list[Any]:
        """What `before` returned, with the trainable weights read.

        Call it just before the update (inside the compiled function, where
        the update is XLA-compiled): the read keeps the old values (see
        `update`), and `after` puts them back if the batch went bad.
        """
        return [
            tf.convert_to_tensor(variable) if old is None else old
            for old, variable in zip(kept, self.variables, strict=True)
        ]

    def skipped(self, kept: list[Any]) -> None:
        """End a batch whose update did not run (`update_compiled`).

        Its batch, or an earlier one of the call, went bad (`allows`
        recorded which): put back what the forward pass changed (the
        weights `before` read; the trainable ones are untouched) and count
        the batch.
        """
        for old, variable in zip(kept, self.variables, strict=True):
            if old is not None:
                variable.assign(old)
        self._batch.assign_add(1)

    def allows(self, loss: Any, gradients: Sequence[Any]) -> Any:
        """Whether this batch's update may run: all finite, nothing bad before.

        On the usual step this is one finiteness test and two reads; what
        went bad, and where, is worked out (and recorded) only on a bad one.
        """
        loss = tf.cast(loss, tf.float32)
        checked = list(gradients) if self.check_gradients else []
        good = _all_finite([loss, *checked])
        clean = self._first < 0
        newly_bad = tf.logical_and(clean, tf.logical_not(good))

        def record() -> Any:
            loss_ok = tf.math.is_finite(loss)
            if checked:
                index = tf.where(loss_ok, _first_false(_exact_flags(checked)), 0)
                what = tf.where(loss_ok, tf.constant(1, tf.int64), 0)
            else:
                index = what = tf.constant(0, tf.int64)
            self._note(what, index, loss)
            return tf.constant(True)

        tf.cond(newly_bad, record, _nothing)
        return tf.logical_and(clean, good)

    def after(self, loss: Any, kept: list[Any]) -> None:
        """Check the weights; put every weight back if this batch went bad.

        `update` calls it; a step with no weights to train calls it alone.

        Args:
            loss: the batch's loss, for the message.
            kept: what `hold` returned (every weight's value before the step).
        """
        value = tf.cast(loss, tf.float32)
        weights_ok = _all_finite(self.variables)
        clean = self._first < 0
        newly_bad = tf.logical_and(clean, tf.logical_not(weights_ok))
        # Once a batch of the epoch went bad, every later step of the call is
        # skipped, and whatever its forward pass changed is put back too.
        bad_now = tf.logical_or(tf.logical_not(clean), newly_bad)

        def record() -> Any:
            index = _first_false(_exact_flags(self.variables))
            self._note(tf.constant(2, tf.int64), index, value)
            return tf.constant(True)

        tf.cond(newly_bad, record, _nothing)
        if _compat.in_xla_context():
            for old, variable in zip(kept, self.variables, strict=True):
                variable.assign(tf.where(bad_now, old, variable))
        else:

            def restore() -> Any:
                for old, variable in zip(kept, self.variables, strict=True):
                    variable.assign(old)
                return tf.constant(True)

            tf.cond(bad_now, restore, _nothing)
        self._batch.assign_add(1)

    def flag(self) -> Any:
        """1.0 once a batch of this epoch went bad, else 0.0 (read in the step).

        The step returns it as its `TRIPPED_LOG` log, a float so that any
        strategy can average it over the replicas. Under a strategy it
        counts the replicas, on every worker, whose record is set: one
        replica's bad batch must stop every replica and worker at the same
        call (each replica keeps its own record, and the loops average the
        logs over this worker's replicas only).
        """
        flag = tf.cast(self._first >= 0, tf.float32)
        if (
            tf.distribute.has_strategy()
            and not tf.distribute.in_cross_replica_context()
        ):
            context = tf.distribute.get_replica_context()
            flag = context.all_reduce(tf.distribute.ReduceOp.SUM, flag)
        return flag

    def take(self, logs: dict[str, Any]) -> bool:
        """Pop the flag from a call's logs; whether a batch of the epoch went bad.

        The loops call it on every train call's logs before a hook sees them;
        `tripped` then answers from it. Logs without the flag (a model with
        its own ``train_step``) count as finite.
        """
        flag = logs.pop(TRIPPED_LOG, None)
        # NumPy, not a TensorFlow comparison: no eager op on every call.
        self._reported = flag is not None and bool(np.max(np.asarray(flag)) > 0)
        return self._reported

    def _note(self, what: Any, index: Any, loss: Any) -> None:
        """Record the current batch as the epoch's first bad one."""
        self._first.assign(self._batch)
        self._what.assign(what)
        self._variable.assign(index)
        self._value.assign(tf.cast(loss, tf.float32))

    def reset(self, batch: int = 0) -> None:
        """Start counting batches from ``batch`` (0 at the start of an epoch)."""
        self._batch.assign(batch)
        self._first.assign(-1)
        self._reported = False

    def tripped(self) -> bool:
        """Whether the last call `take` saw reported a bad batch of this epoch."""
        return self._reported

    def found(self) -> tuple[int, str, int, float] | None:
        """``(batch, what, variable index, loss)`` of the first bad batch, or None.

        Under a strategy each of this worker's replicas keeps its own record
        (a replica's batch is its share of the global batch); the earliest
        one set is returned.
        """
        firsts = [int(first.numpy()) for first in _replicas(self._first)]
        bad = [(first, replica) for replica, first in enumerate(firsts) if first >= 0]
        if not bad:
            return None
        first, replica = min(bad)
        return (
            first,
            _WHAT[int(_replicas(self._what)[replica].numpy())],
            int(_replicas(self._variable)[replica].numpy()),
            float(_replicas(self._value)[replica].numpy()),
        )

    def check(self, epoch: int) -> None:
        """Raise `TrainingError` if a batch of this epoch went bad.

        A bad batch of another worker (the flag `take` saw is global) raises
        too, so that every worker stops at the same call.
        """
        found = self.found()
        if found is None:
            if self._reported:
                raise elsewhere_error(epoch=epoch)
            return
        batch, what, index, value = found
        raise non_finite_error(
            epoch=epoch,
            batch=batch,
            what=what,
            value=value,
            variable=None if what == "loss" else self.variable_name(index, what),
        )


def _replicas(variable: Any) -> tuple[Any, ...]:
    """The per-replica parts of a watch variable on this worker (itself if none)."""
    values = getattr(variable, "values", None)
    return tuple(values) if isinstance(values, (tuple, list)) else (variable,)


class NonFiniteGuard(keras.callbacks.Callback):  # type: ignore[misc]
    """Raise the watch's `TrainingError` from ``model.fit`` after the bad call.

    The fit loop adds it after the user's callbacks (the custom loop checks
    the watch inline). It does not make the loops run one step per call: the
    watch records the exact batch.

    Args:
        watch: the watch the shared step writes into.
    """

    batch_hooks_per_call = True

    def __init__(self, watch: NonFiniteWatch) -> None:
        super().__init__()
        self._watch = watch
        self._epoch = 0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Reset the watch and remember the epoch for the message."""
        self._epoch = epoch
        self._watch.reset()

    def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
        """Raise if a batch of the call that just ran went bad."""
        if self._watch.tripped():
            self._watch.check(self._epoch)
