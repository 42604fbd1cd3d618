"""Training: the `Trainer`, its options, and a callback base class.

`Trainer` runs Keras ``model.fit`` (``loop="fit"``) or tfstarter's compiled
``tf.GradientTape`` loop (``loop="custom"``). Both run the same per-batch
step and drive the same `keras.callbacks.Callback` objects with the same
hooks and ``logs``; the custom loop adds hooks that see the gradients
(`Callback`) and runs several steps per compiled call.

Examples:
    >>> import keras
    >>> import tfstarter as tfs
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    >>> trainer = tfs.Trainer(
    ...     model,
    ...     loop="custom",
    ...     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    ...     metrics=["accuracy"],
    ...     clipping=tfs.training.GradientClipping("global_norm", 1.0),
    ... )
    >>> x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    >>> y = np.arange(32) % 3
    >>> history = trainer.fit(x, y, epochs=2, verbose=0)
    >>> sorted(history.history)
    ['accuracy', 'loss']
"""

from __future__ import annotations

from tfstarter.training._callbacks import Callback
from tfstarter.training._lr_finder import LearningRateFinding, find_learning_rate
from tfstarter.training._options import (
    AUTO_STEPS_PER_EXECUTION,
    GradientClipping,
    TrainerOptions,
)
from tfstarter.training._strategy import auto_strategy
from tfstarter.training._trainer import Trainer
from tfstarter.training._xla import XlaStatus

__all__ = [
    "AUTO_STEPS_PER_EXECUTION",
    "Callback",
    "GradientClipping",
    "LearningRateFinding",
    "Trainer",
    "TrainerOptions",
    "XlaStatus",
    "auto_strategy",
    "find_learning_rate",
]
