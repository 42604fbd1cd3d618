"""Gradient clipping, done by the model's Keras optimizer.

Keras optimizers clip (``clipvalue``, ``clipnorm``, ``global_clipnorm``) after
unscaling a mixed-precision loss scale and after averaging accumulated
gradients, i.e. exactly on the update that is applied; clipping in the step
instead would clip scaled or partial gradients. So the Trainer sets the
optimizer's own option rather than clipping by hand.
"""

from __future__ import annotations

from typing import Any

from tfstarter.errors import ConfigError
from tfstarter.training._options import GradientClipping

CLIP_ATTRIBUTES = ("clipvalue", "clipnorm", "global_clipnorm")


def base_optimizer(optimizer: Any) -> Any:
    """The optimizer that applies the updates (a `LossScaleOptimizer`'s inner one).

    Examples:
        >>> import keras
        >>> sgd = keras.optimizers.SGD()
        >>> base_optimizer(keras.optimizers.LossScaleOptimizer(sgd)) is sgd
        True
    """
    return getattr(optimizer, "inner_optimizer", optimizer)


def configure_clipping(optimizer: Any, clipping: GradientClipping | None) -> None:
    """Make ``optimizer`` clip as ``clipping`` says.

    Raises:
        ConfigError: if the optimizer already clips in another way.

    Examples:
        >>> import keras
        >>> sgd = keras.optimizers.SGD()
        >>> configure_clipping(sgd, GradientClipping("norm", 2.0))
        >>> sgd.clipnorm
        2.0
    """
    if clipping is None:
        return
    target = base_optimizer(optimizer)
    current = {
        name: getattr(target, name, None)
        for name in CLIP_ATTRIBUTES
        if getattr(target, name, None)
    }
    wanted = {clipping.optimizer_argument: clipping.threshold}
    if current and current != wanted:
        raise ConfigError(
            f"`clipping={clipping!r}` conflicts with the optimizer's own clipping "
            f"{current}. Clip in one place: drop clipping=, or create the optimizer "
            f"without {', '.join(current)}."
        )
    setattr(target, clipping.optimizer_argument, clipping.threshold)
