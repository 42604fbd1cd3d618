"""tfstarter's callback base class, and the check of a ``callbacks`` argument.

Any `keras.callbacks.Callback` works with the `Trainer`, in both loops, with
the hooks and ``logs`` of ``model.fit``. `Callback` adds hooks that only a
loop running its own step can offer: the gradients of the last step and their
global norm. It is still a Keras callback, so it can be passed to
``model.fit`` too (where the extra hooks are simply never called).
"""

from __future__ import annotations

import keras
import numpy as np
import numpy.typing as npt

from tfstarter._checks import describe
from tfstarter.errors import ArgumentTypeError
from tfstarter.training import _compat


class Callback(keras.callbacks.Callback):  # type: ignore[misc]
    """A `keras.callbacks.Callback` with hooks that see the gradients.

    Subclass it like any Keras callback; override `on_gradient_norm` or
    `on_gradients` to see the gradients of training. The `Trainer` records
    them only when a callback overrides one of these hooks, so the hooks cost
    nothing otherwise. Both are called once per compiled call (after
    ``on_train_batch_end`` of that call's last batch, with the same ``batch``
    index), with the gradients of that last batch: unscaled (mixed-precision
    loss scaling removed), before clipping and before accumulation. Both loops
    offer them; a callback that overrides one forces
    ``steps_per_execution="auto"`` to 1 so it sees every batch.

    Under a distribution strategy the values are those of the first replica.

    Attributes:
        batch_hooks_per_call: ``False`` (default): a callback whose batch
            hooks do something makes ``steps_per_execution="auto"`` run one
            step per compiled call, so it sees every batch, as under
            ``model.fit``. Set it to ``True`` on a callback that is content
            with one call of its batch hooks per compiled call (with the
            index of the call's last batch, as Keras calls them under
            ``steps_per_execution``): a progress display, a counter of calls.
            Any Keras callback may carry this attribute.

    Examples:
        >>> class NormLogger(Callback):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.norms = []
        ...
        ...     def on_gradient_norm(self, batch, norm):
        ...         self.norms.append(norm)
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> x, y = np.ones((8, 2), "float32"), np.zeros((8, 1), "float32")
        >>> logger = NormLogger()
        >>> trainer = tfs.Trainer(model, loop="custom")
        >>> _ = trainer.fit((x, y), batch_size=4, verbose=0, callbacks=[logger])
        >>> len(logger.norms)
        2
    """

    batch_hooks_per_call: bool = False

    @_compat.keras_default
    def on_gradient_norm(self, batch: int, norm: float) -> None:
        """Called with the global L2 norm of the last batch's gradients.

        Args:
            batch: the index of the batch in the epoch, as in
                ``on_train_batch_end``.
            norm: ``sqrt(sum of squares of every gradient element)``.
        """

    @_compat.keras_default
    def on_gradients(
        self, batch: int, gradients: dict[str, npt.NDArray[np.float32]]
    ) -> None:
        """Called with the last batch's gradients, keyed by variable path.

        Args:
            batch: the index of the batch in the epoch, as in
                ``on_train_batch_end``.
            gradients: one float32 array per trainable variable, keyed by the
                variable's ``path`` (e.g. ``"dense/kernel"``).
        """


def check_callbacks(callbacks: object) -> list[keras.callbacks.Callback]:
    """Return ``callbacks`` as a list after checking each one is a Keras callback.

    Raises:
        ArgumentTypeError: if ``callbacks`` is not a list/tuple, or an element
            is not a `keras.callbacks.Callback`.

    Examples:
        >>> len(check_callbacks([keras.callbacks.History()]))
        1
        >>> check_callbacks(None)
        []
    """
    if callbacks is None:
        return []
    if isinstance(callbacks, keras.callbacks.Callback):
        raise ArgumentTypeError(
            f"`callbacks` must be a list of callbacks, got a single "
            f"{type(callbacks).__name__}. Pass callbacks=[callback]."
        )
    if not isinstance(callbacks, list | tuple):
        raise ArgumentTypeError(
            f"`callbacks` must be a list of keras.callbacks.Callback, got "
            f"{describe(callbacks)} of type {type(callbacks).__name__}."
        )
    for index, callback in enumerate(callbacks):
        if not isinstance(callback, keras.callbacks.Callback):
            hint = (
                f" It is a class: pass an instance, e.g. {callback.__name__}()."
                if isinstance(callback, type)
                else " Subclass keras.callbacks.Callback (or tfs.training.Callback)"
                " and override the hooks you need."
            )
            raise ArgumentTypeError(
                f"`callbacks[{index}]` must be a keras.callbacks.Callback, got "
                f"{describe(callback)} of type {type(callback).__name__}.{hint}"
            )
    return list(callbacks)
