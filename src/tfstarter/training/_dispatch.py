"""Callback dispatch: who listens to which hook, and the `CallbackList` a loop drives.

Both loops drive Keras' own `keras.callbacks.CallbackList` (which adds the
`History` and the progress bar exactly as ``fit`` does), so every callback
gets the hooks of ``model.fit`` in its order. What the loops decide here is
whether several steps may run in one compiled call: only where no callback
could notice, because each call reports one batch.

The rule: a callback listens to a hook unless the hook is Keras' class-level
no-op (the base `keras.callbacks.Callback` method, which Keras marks as its
default), the callback is a stock one audited below, or it says it is content
with one call of its batch hooks per compiled call (``batch_hooks_per_call =
True``: a progress display, say; see `tfstarter.training.Callback`). A hook
assigned on the instance (as `keras.callbacks.LambdaCallback` does), a
subclass override and a class that makes its attributes dynamically
(``__getattr__`` or ``__getattribute__``) all count as listening.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import keras

from tfstarter.training import _compat

TRAIN_BATCH_HOOKS = (
    "on_train_batch_begin",
    "on_train_batch_end",
    "on_batch_begin",
    "on_batch_end",
)
TEST_BATCH_HOOKS = ("on_test_batch_begin", "on_test_batch_end")
PREDICT_BATCH_HOOKS = ("on_predict_batch_begin", "on_predict_batch_end")


def _dynamic(callback: Any) -> bool:
    """Whether the callback's class makes attributes at lookup time."""
    cls: Any = type(callback)
    return bool(
        cls.__getattribute__ is not object.__getattribute__
        or getattr(cls, "__getattr__", None) is not None
    )


def listens(callback: Any, hook: str) -> bool:
    """Whether ``callback`` does anything when ``hook`` is called.

    Examples:
        >>> listens(keras.callbacks.History(), "on_epoch_end")
        True
        >>> listens(keras.callbacks.History(), "on_train_batch_end")
        False
        >>> lam = keras.callbacks.LambdaCallback(on_train_batch_end=print)
        >>> listens(lam, "on_train_batch_end"), listens(lam, "on_epoch_end")
        (True, False)
    """
    if _dynamic(callback):
        return True
    if hook in vars(callback):
        return True
    method = getattr(type(callback), hook, None)
    if method is None:
        return False
    return not _compat.is_keras_default(method)


def _audited_quiet(callback: Any) -> bool:
    """Whether a stock callback only acts per epoch, as configured.

    These override the batch hooks but, as configured, only count batches
    there (``model.fit`` calls them once per compiled call under
    ``steps_per_execution``, and they end the epoch the same). The progress
    bar is told the number of batches and updated after every call: it moves
    in larger jumps but ends the same, as in ``fit`` with
    ``steps_per_execution``.
    """
    if type(callback) is keras.callbacks.ProgbarLogger:
        return True
    if type(callback) in (
        keras.callbacks.ModelCheckpoint,
        keras.callbacks.BackupAndRestore,
    ):
        return getattr(callback, "save_freq", None) == "epoch"
    if type(callback) is keras.callbacks.TensorBoard:
        return callback.update_freq == "epoch" and not getattr(
            callback, "_should_trace", True
        )
    return bool(getattr(callback, "batch_hooks_per_call", False))


def batch_hooks_heard(callbacks: Iterable[Any], hooks: Sequence[str]) -> bool:
    """Whether any callback would notice the per-batch ``hooks`` being called.

    Audited stock callbacks (the progress bar; `keras.callbacks.ModelCheckpoint`
    and `keras.callbacks.BackupAndRestore` saving per epoch;
    `keras.callbacks.TensorBoard` logging per epoch without profiling) and
    tfstarter's own internal callbacks do not count; any other callback that
    listens to one of ``hooks`` does.

    Examples:
        >>> batch_hooks_heard(
        ...     [keras.callbacks.History(), keras.callbacks.ProgbarLogger()],
        ...     TRAIN_BATCH_HOOKS,
        ... )
        False
        >>> batch_hooks_heard([keras.callbacks.TerminateOnNaN()], TRAIN_BATCH_HOOKS)
        True
    """
    return any(
        not _audited_quiet(callback) and any(listens(callback, h) for h in hooks)
        for callback in callbacks
    )


def callback_list(
    callbacks: Sequence[Any],
    model: Any,
    *,
    verbose: Any,
    steps: int | None,
    epochs: int = 1,
    history: bool = False,
) -> keras.callbacks.CallbackList:
    """Wrap ``callbacks`` in Keras' own `CallbackList`, as ``fit`` & co do.

    Examples:
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> cbs = callback_list([], model, verbose=0, steps=3, history=True)
        >>> [type(c).__name__ for c in cbs.callbacks]
        ['History']
    """
    return keras.callbacks.CallbackList(
        list(callbacks),
        add_history=history,
        add_progbar=verbose != 0,
        verbose=verbose,
        epochs=epochs,
        steps=steps,
        model=model,
    )
