"""How an epoch is cut into compiled calls of several steps each."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import keras

from tfstarter.training._callbacks import overrides
from tfstarter.training._non_finite import NonFiniteGuard
from tfstarter.training._options import AUTO_STEPS_PER_EXECUTION


@dataclass(frozen=True)
class Execution:
    """One compiled call: batches ``begin..end`` of the epoch (both included).

    Attributes:
        begin: index of the first batch in the epoch.
        end: index of the last batch; the hooks' ``batch`` argument.
        steps: how many batches the call runs (``end - begin + 1``).

    Examples:
        >>> Execution(begin=4, end=7, steps=4)
        Execution(begin=4, end=7, steps=4)
    """

    begin: int
    end: int
    steps: int


def plan(num_batches: int | None, steps_per_execution: int) -> Iterator[Execution]:
    """Cut an epoch of ``num_batches`` batches into calls of at most ``n`` steps.

    With an unknown number of batches (``None``) the calls go on until the
    data runs out; the loop stops them.

    The last call of an epoch may be short; its ``end`` is the index of the
    last batch it really runs. (Keras ``fit`` reports ``begin +
    steps_per_execution - 1`` there, past the end of the epoch; the two agree
    whenever ``steps_per_execution`` divides the number of batches.)

    Examples:
        >>> [(e.begin, e.end, e.steps) for e in plan(10, 4)]
        [(0, 3, 4), (4, 7, 4), (8, 9, 2)]
        >>> [e.begin for e in itertools.islice(plan(None, 3), 3)]
        [0, 3, 6]
    """
    if num_batches is None:
        for begin in itertools.count(0, steps_per_execution):
            yield Execution(begin, begin + steps_per_execution - 1, steps_per_execution)
        return
    for begin in range(0, num_batches, steps_per_execution):
        steps = min(steps_per_execution, num_batches - begin)
        yield Execution(begin, begin + steps - 1, steps)


def _epoch_wise(callback: Any) -> bool:
    """Whether a stock Keras callback only acts per epoch, as configured.

    These callbacks override the batch hooks but, with per-epoch settings,
    only count batches there; Keras ``fit`` itself calls them once per call
    under ``steps_per_execution``, which is what they then get.
    """
    if isinstance(
        callback, keras.callbacks.ModelCheckpoint | keras.callbacks.BackupAndRestore
    ):
        return getattr(callback, "save_freq", None) == "epoch"
    if isinstance(callback, keras.callbacks.TensorBoard):
        return callback.update_freq == "epoch" and not getattr(
            callback, "_should_trace", True
        )
    return False


def batch_hooks_heard(callbacks: Sequence[Any], hooks: Sequence[str]) -> bool:
    """Whether any callback would notice the per-batch ``hooks`` being called.

    Keras' progress bar does not count: it is told the number of batches and
    is updated after every compiled call, so with several steps per call it
    moves in larger jumps but ends the same (Keras ``fit`` does the same with
    ``steps_per_execution``). Nor do `keras.callbacks.ModelCheckpoint` and
    `keras.callbacks.BackupAndRestore` saving per epoch, or
    `keras.callbacks.TensorBoard` logging per epoch without profiling. Nor
    does tfstarter's NaN guard: it finds the exact batch from a record the
    step keeps.

    Examples:
        >>> import keras
        >>> batch_hooks_heard(
        ...     [keras.callbacks.History(), keras.callbacks.ProgbarLogger()],
        ...     ("on_train_batch_end",),
        ... )
        False
    """
    for callback in callbacks:
        if isinstance(callback, keras.callbacks.ProgbarLogger | NonFiniteGuard):
            continue
        if _epoch_wise(callback):
            continue
        if any(overrides(callback, hook) for hook in hooks):
            return True
    return False


def resolve_steps_per_execution(option: int | str, *, heard: bool) -> int:
    """The number of steps per compiled call for an option and its listeners.

    Examples:
        >>> resolve_steps_per_execution("auto", heard=False)
        32
        >>> resolve_steps_per_execution("auto", heard=True)
        1
        >>> resolve_steps_per_execution(4, heard=True)
        4
    """
    if option == "auto":
        return 1 if heard else AUTO_STEPS_PER_EXECUTION
    return int(option)
