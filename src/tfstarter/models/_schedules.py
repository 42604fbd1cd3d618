"""Learning-rate schedules that recipes apply through callbacks.

Both work with Keras ``model.fit`` and with every `tfs.Trainer` loop, since
they only use the callback hooks and ``optimizer.learning_rate``, and both
log the rate as ``learning_rate`` at the end of every epoch.

* `CosineOverEpochs` (for `keras.callbacks.LearningRateScheduler`): one rate
  per epoch, decaying from the optimizer's rate.
* `OneCycle`: one rate per batch, warming up from a small rate to a peak and
  annealing to almost nothing (Smith's one-cycle policy, as in fastai's
  ``fit_one_cycle``): a large peak trains fast, the warm-up keeps the first
  steps stable, and the long anneal settles the weights.

Why our own code: Keras' schedules (``keras.optimizers.schedules``) replace
the optimizer's learning-rate variable with a function of its iteration
count, fixed when the model is compiled; a callback lets a recipe bring its
schedule to a model that is compiled already, sized to the data at hand.
"""

from __future__ import annotations

import math
from typing import Any

import keras

from tfstarter._checks import check_number_in_range, check_positive_int
from tfstarter.errors import ConfigError

START_DIVISOR = 25.0
"""One-cycle starts at ``peak / START_DIVISOR`` (fastai's default)."""

END_DIVISOR = 1e4
"""One-cycle ends at ``peak / END_DIVISOR``."""


class CosineOverEpochs:
    """A schedule for `keras.callbacks.LearningRateScheduler`: cosine decay per epoch.

    The first epoch runs at ``base``, or the optimizer's learning rate when
    training starts if ``base`` is None; epoch ``i`` of ``epochs`` at
    ``0.5 * (1 + cos(pi * i / epochs))`` times that. Each instance remembers
    the rate and the first epoch of the first ``fit`` it serves, so use a
    fresh one (`Recipe.callbacks`) per call.

    Examples:
        >>> schedule = CosineOverEpochs(4)
        >>> [round(schedule(epoch, 0.01), 5) for epoch in range(4)]
        [0.01, 0.00854, 0.005, 0.00146]
        >>> CosineOverEpochs(4, base=0.1)(0, 0.01)
        0.1
    """

    def __init__(self, epochs: int, *, base: float | None = None) -> None:
        self.epochs = check_positive_int("epochs", epochs)
        self.base = base
        self._start: tuple[int, float] | None = None

    def backup_state(self) -> tuple[int, float] | None:
        """The first epoch and base rate, for `tfs.Trainer` backups.

        A resumed run's optimizer holds the last epoch's rate, not the base.
        """
        return self._start

    def restore_state(self, state: tuple[int, float] | None) -> None:
        """Take back the first epoch and base rate a backup was written with."""
        self._start = state

    def __call__(self, epoch: int, learning_rate: float) -> float:
        """Return the learning rate for ``epoch`` (0-based)."""
        if self._start is None:
            base = self.base if self.base is not None else float(learning_rate)
            self._start = (epoch, base)
        first, base = self._start
        progress = min(max(epoch - first, 0), self.epochs) / self.epochs
        return base * 0.5 * (1.0 + math.cos(math.pi * progress))


def one_cycle_rate(progress: float, *, peak: float, warmup: float) -> float:
    """The one-cycle learning rate at ``progress`` (0 to 1) through training.

    Rises along a half cosine from ``peak / 25`` to ``peak`` over the first
    ``warmup`` of training, then falls along a half cosine to
    ``peak / 1e4`` at the end.

    Examples:
        >>> [round(one_cycle_rate(p, peak=1.0, warmup=0.25), 6) for p in (0, 0.25, 1)]
        [0.04, 1.0, 0.0001]
        >>> round(one_cycle_rate(0.625, peak=1.0, warmup=0.25), 3)
        0.5
    """
    progress = min(max(progress, 0.0), 1.0)
    start, end = peak / START_DIVISOR, peak / END_DIVISOR
    if warmup > 0.0 and progress < warmup:
        high, low, fraction = peak, start, progress / warmup
    else:
        high, low = end, peak
        fraction = (progress - warmup) / (1.0 - warmup) if warmup < 1.0 else 1.0
    return low + (high - low) * 0.5 * (1.0 - math.cos(math.pi * fraction))


class OneCycle(keras.callbacks.Callback):  # type: ignore[misc]
    """Set a one-cycle learning rate before every batch.

    The cycle spans the whole ``fit`` call: ``epochs * steps`` batches as
    ``fit`` announces them to callbacks (``self.params``). The rate depends
    only on the epoch and batch index, so a run resumed at ``initial_epoch``
    continues the same cycle (and a `tfs.Trainer` backup keeps the peak).
    The peak is ``peak`` if given, else the optimizer's learning rate when
    this callback first sees training start.

    Listening to every batch, it makes a `tfs.Trainer` with
    ``steps_per_execution="auto"`` run one batch per compiled call; with an
    explicit ``steps_per_execution=n`` the rate is set once per ``n``
    batches, as Keras calls batch hooks then.

    Args:
        peak: the highest learning rate, or ``None`` for the optimizer's.
        warmup: the fraction of the batches spent rising to the peak, in
            ``[0, 1)``.

    Raises:
        ConfigError: for ``warmup`` outside ``[0, 1)`` or a non-positive
            ``peak``; at the start of training, if ``fit`` does not know how
            many batches an epoch has (pass ``steps_per_epoch``).

    Examples:
        >>> import keras
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
        >>> x = np.ones((64, 1), "float32")
        >>> history = model.fit(
        ...     x, x, batch_size=16, epochs=2, verbose=0, callbacks=[OneCycle()]
        ... )
        >>> [f"{rate:.2e}" for rate in history.history["learning_rate"]]
        ['8.67e-02', '1.00e-05']
    """

    def __init__(self, peak: float | None = None, *, warmup: float = 0.25) -> None:
        super().__init__()
        if peak is not None:
            peak = check_number_in_range(
                "peak", peak, low=0.0, high=math.inf, low_inclusive=False
            )
        self.peak = peak
        self.warmup = check_number_in_range("warmup", warmup, low=0.0, high=1.0)
        self._steps = 0
        self._total = 0
        self._epoch = 0
        self._peak: float | None = peak

    def backup_state(self) -> dict[str, float | None]:
        """The peak read from the optimizer, for `tfs.Trainer` backups.

        A resumed run's optimizer holds the last rate set, not the peak.
        """
        return {"peak": self._peak}

    def restore_state(self, state: dict[str, float | None]) -> None:
        """Take back the peak of the run a backup was written in."""
        self._peak = state["peak"]

    def on_train_begin(self, logs: Any = None) -> None:
        """Read the length of the cycle and the peak."""
        steps, epochs = self.params.get("steps"), self.params.get("epochs")
        if not steps or not epochs:
            raise ConfigError(
                f"OneCycle needs the number of batches per epoch, but fit does not "
                f"know it (steps={steps}). Pass steps_per_epoch=..., or a dataset "
                f"of known length (tfs.data pipelines are)."
            )
        self._steps, self._total = int(steps), int(steps) * int(epochs)
        if self._peak is None:
            self._peak = float(keras.ops.convert_to_numpy(self._optimizer_rate()))

    def on_train_batch_begin(self, batch: int, logs: Any = None) -> None:
        """Set the rate for this batch."""
        self.model.optimizer.learning_rate = self.rate(self._epoch, batch)

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        """Remember the epoch (batch indices restart in each)."""
        self._epoch = epoch

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        """Log the rate of the epoch's last batch as ``learning_rate``."""
        if logs is not None:
            logs["learning_rate"] = float(
                keras.ops.convert_to_numpy(self._optimizer_rate())
            )

    def rate(self, epoch: int, batch: int) -> float:
        """The rate of batch ``batch`` of epoch ``epoch`` (both 0-based)."""
        assert self._peak is not None, "call on_train_begin first"
        progress = (epoch * self._steps + batch) / max(self._total - 1, 1)
        return one_cycle_rate(progress, peak=self._peak, warmup=self.warmup)

    def _optimizer_rate(self) -> Any:
        return self.model.optimizer.learning_rate
