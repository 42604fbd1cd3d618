"""Gradient accumulation, done by the model's Keras optimizer.

Keras optimizers accumulate (``gradient_accumulation_steps``): every N-th
``apply`` they update the weights with the mean of the last N gradients —
after loss-scale unscaling, before clipping — and count ``iterations`` in
updates, so learning-rate schedules see optimizer updates, not batches. With
a mean-reduced loss and equal batches that is the update of one batch N times
larger. The Trainer switches it on rather than re-implementing it (which would
also have to re-implement mixed-precision unscaling).
"""

from __future__ import annotations

from typing import Any

from tfstarter.errors import ConfigError
from tfstarter.training._clipping import base_optimizer


def configure_accumulation(optimizer: Any, steps: int) -> None:
    """Make ``optimizer`` apply the mean gradient of every ``steps`` batches.

    Raises:
        ConfigError: if the optimizer accumulates over another number of steps,
            or was built (it has been used) without accumulation.

    Examples:
        >>> import keras
        >>> adam = keras.optimizers.Adam()
        >>> configure_accumulation(adam, 4)
        >>> adam.gradient_accumulation_steps
        4
    """
    target = base_optimizer(optimizer)
    current = getattr(target, "gradient_accumulation_steps", None)
    if steps in (1, current):
        return
    if current:
        raise ConfigError(
            f"`gradient_accumulation_steps={steps}` conflicts with the optimizer's "
            f"own gradient_accumulation_steps={current}. Set it in one place."
        )
    if target.built:
        raise ConfigError(
            f"`gradient_accumulation_steps={steps}` needs an optimizer that has not "
            f"been used yet: this {type(target).__name__} already holds state for "
            f"the model's variables. Compile the model with a fresh optimizer, or "
            f"create it with gradient_accumulation_steps={steps}."
        )
    target.gradient_accumulation_steps = steps
