"""The learning-rate range test: a short sweep that suggests a learning rate.

The test (Leslie Smith's, made popular by fastai's ``lr_find``) trains for a
few dozen batches while the learning rate grows exponentially from tiny to
huge, records the loss of every batch, and stops once the loss blows up. The
loss first stays flat (the rate is too small to matter), then falls, then
rises again (too large); a good rate lies on the falling stretch, well below
the minimum.

The sweep runs on the model's own variables and puts every one of them back
afterwards, so the model is left exactly as it was: its weights (batch-norm
statistics and dropout seeds included), its optimizer's variables (moments,
``iterations``, the learning rate) and its metrics' state are restored bit
for bit. It uses only public APIs: ``fit`` (the `Trainer`'s, or Keras'
``model.fit``) with a callback that sets the rate before each batch, where
every "epoch" is one batch, so each logged loss is that batch's own loss.

Why our own code: Keras has no range test; fastai's is for PyTorch.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import keras
import numpy as np
import tensorflow as tf

from tfstarter._atomic import staged
from tfstarter._checks import (
    check_number_in_range,
    check_one_of,
    check_positive_int,
    check_seed,
    describe,
)
from tfstarter.errors import ArgumentTypeError, ConfigError, TrainingError

if TYPE_CHECKING:
    from tfstarter.training._trainer import Trainer

Suggest = Literal["minimum", "steepest"]
"""How the suggestion is read off the smoothed loss curve: ``"minimum"`` is a
tenth of the rate at the lowest loss, ``"steepest"`` the rate where the loss
falls fastest (before the minimum)."""

SUGGEST_METHODS: tuple[Suggest, ...] = ("minimum", "steepest")

MIN_STEPS = 5
"""The fewest batches a sweep may be asked to run."""


@dataclass(frozen=True)
class LearningRateFinding:
    """What a learning-rate range test measured, and the rate it suggests.

    Attributes:
        rates: the learning rate of each batch of the sweep, increasing.
        losses: the training loss of each batch (one per rate).
        smoothed: ``losses`` smoothed without lag (an exponential moving
            average run forwards, then backwards), which the suggestion
            reads; NaN for the batches where the loss had blown up.
        suggestion: the suggested learning rate.
        method: how ``suggestion`` was read off ``smoothed`` (see `Suggest`).
        diverged: whether the sweep stopped early because the loss blew up
            (rose above ``divergence`` times its lowest value, or became NaN
            or Inf).

    Examples:
        >>> finding = LearningRateFinding(
        ...     rates=(1e-3, 1e-2, 1e-1, 1.0),
        ...     losses=(2.0, 1.5, 0.5, 9.0),
        ...     smoothed=(2.0, 1.5, 0.5, 9.0),
        ...     suggestion=1e-2,
        ...     method="minimum",
        ...     diverged=True,
        ... )
        >>> finding
        LearningRateFinding(suggestion=0.01, method='minimum', steps=4, diverged=True)
        >>> finding.lowest_loss_rate
        0.1
    """

    rates: tuple[float, ...] = field(repr=False)
    losses: tuple[float, ...] = field(repr=False)
    smoothed: tuple[float, ...] = field(repr=False)
    suggestion: float
    method: Suggest
    diverged: bool

    def __repr__(self) -> str:
        return (
            f"LearningRateFinding(suggestion={self.suggestion:.3g}, "
            f"method={self.method!r}, steps={len(self.rates)}, "
            f"diverged={self.diverged})"
        )

    @property
    def lowest_loss_rate(self) -> float:
        """The rate at which the smoothed loss was lowest."""
        finite = [
            (loss, rate)
            for loss, rate in zip(self.smoothed, self.rates, strict=True)
            if math.isfinite(loss)
        ]
        return min(finite)[1]

    def plot(self, path: str | Path) -> Path:
        """Save a PNG of loss against learning rate (log scale) to ``path``.

        Shows each batch's loss, the smoothed curve and the suggestion. The
        file is written atomically (a reader never sees half of it).

        Args:
            path: where to write the PNG (its folder is created).

        Returns:
            The path written.

        Raises:
            ImportError: if matplotlib is not installed
                (``pip install matplotlib``).

        Examples:
            >>> import tempfile
            >>> finding = LearningRateFinding(
            ...     rates=(1e-3, 1e-2, 1e-1),
            ...     losses=(2.0, 1.0, 3.0),
            ...     smoothed=(2.0, 1.0, 3.0),
            ...     suggestion=1e-3,
            ...     method="minimum",
            ...     diverged=False,
            ... )
            >>> finding.plot(Path(tempfile.mkdtemp()) / "lr.png").stat().st_size > 0
            True
        """
        try:
            from matplotlib.figure import Figure
        except ImportError as err:
            raise ImportError(
                f"LearningRateFinding.plot needs matplotlib: pip install matplotlib "
                f"(it could not be imported: {err})."
            ) from err
        target = Path(path)
        figure = Figure(figsize=(6.0, 4.0), layout="constrained")
        axes = figure.add_subplot()
        axes.plot(self.rates, self.losses, color="#1f77b4", alpha=0.3, label="batch")
        axes.plot(self.rates, self.smoothed, color="#1f77b4", label="smoothed")
        axes.axvline(
            self.suggestion,
            color="#2ca02c",
            linestyle="--",
            label=f"suggestion {self.suggestion:.2g} ({self.method})",
        )
        axes.set_xscale("log")
        usable = [
            loss
            for loss, smooth in zip(self.losses, self.smoothed, strict=True)
            if math.isfinite(smooth)
        ]
        if usable:
            low, high = min(usable), max(usable[0], self.smoothed[0])
            span = max(high - low, 1e-12)
            axes.set_ylim(low - 0.05 * span, high + 0.5 * span)
        axes.set_xlabel("learning rate")
        axes.set_ylabel("training loss")
        axes.set_title("Learning-rate range test")
        axes.legend()
        with staged(target, kind="file", overwrite=True) as temporary:
            figure.savefig(temporary, format="png", dpi=110)
        return target


class _Sweep(keras.callbacks.Callback):  # type: ignore[misc]
    """Sets the rate before each one-batch epoch and records that batch's loss."""

    def __init__(
        self, rates: Sequence[float], smoothing: float, divergence: float
    ) -> None:
        super().__init__()
        self.rates = list(rates)
        self.smoothing = smoothing
        self.divergence = divergence
        self.losses: list[float] = []
        self.smoothed: list[float] = []
        self.diverged = False
        self.usable = 0
        self._average = 0.0

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.model.optimizer.learning_rate = self.rates[epoch]

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        self.record(float((logs or {}).get("loss", math.nan)))

    def record(self, loss: float) -> None:
        """Add one batch's loss; stop the sweep if it is not finite or blew up."""
        self.losses.append(loss)
        if not math.isfinite(loss):
            self.smoothed.append(math.nan)
            self._stop()
            return
        self._average = self.smoothing * self._average + (1 - self.smoothing) * loss
        smoothed = self._average / (1 - self.smoothing ** len(self.losses))
        self.smoothed.append(smoothed)
        if smoothed > self.divergence * min(self.smoothed):
            self._stop()
            return
        self.usable = len(self.losses)

    def _stop(self) -> None:
        self.diverged = True
        if self.model is not None:
            self.model.stop_training = True


def _state_variables(model: keras.Model) -> list[Any]:
    """Every variable a training step can change: model, optimizer, metrics."""
    optimizer = model.optimizer
    found: list[Any] = [
        *model.variables,
        *optimizer.variables,
        *getattr(getattr(optimizer, "inner_optimizer", None), "variables", []),
        *model.metrics_variables,
    ]
    unique: dict[int, Any] = {}
    for variable in found:
        unique.setdefault(id(variable), variable)
    return list(unique.values())


@contextlib.contextmanager
def _restored(model: keras.Model, strategy: Any) -> Iterator[None]:
    """Put every variable of ``model``, its optimizer and metrics back afterwards."""
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        if not model.optimizer.built:
            # Build the optimizer as fit would, so its slots start from (and
            # are restored to) their initial values.
            model.optimizer.build(model.trainable_variables)
    saved = [
        (variable, np.array(variable.numpy())) for variable in _state_variables(model)
    ]
    metrics_before = {id(v) for v in model.metrics_variables}
    history = model.__dict__.get("history", None)
    has_history = "history" in model.__dict__
    stop_training = getattr(model, "stop_training", False)
    try:
        yield
    finally:
        with scope:
            for variable, value in saved:
                variable.assign(value)
        for metric in model.metrics:
            if any(id(v) not in metrics_before for v in metric.variables):
                metric.reset_state()  # built during the sweep: back to empty
        if has_history:
            model.history = history
        model.stop_training = stop_training


def _resolve(trainer_or_model: object) -> tuple[keras.Model, Any]:
    """Return ``(model, trainer or None)`` for what the caller passed."""
    if isinstance(trainer_or_model, keras.Model):
        model, trainer = trainer_or_model, None
    else:
        model = getattr(trainer_or_model, "model", None)
        if not (
            isinstance(model, keras.Model)
            and callable(getattr(trainer_or_model, "fit", None))
        ):
            raise ArgumentTypeError(
                f"`trainer_or_model` must be a tfs.Trainer or a keras.Model, got "
                f"{describe(trainer_or_model)} of type "
                f"{type(trainer_or_model).__name__}."
            )
        trainer = trainer_or_model
    if (
        getattr(model, "optimizer", None) is None
        or getattr(model, "loss", None) is None
    ):
        raise ConfigError(
            f"model {model.name!r} is not compiled with a loss and an optimizer; "
            f"the range test trains it. Compile it first (every tfs.models builder "
            f"does), or pass a tfs.Trainer."
        )
    if not model.built:
        raise ConfigError(
            f"model {model.name!r} is not built yet, so its variables do not exist "
            f"and cannot be saved and restored. Give it an Input (or call it on a "
            f"batch) before the range test."
        )
    if not isinstance(model.optimizer.learning_rate, keras.Variable):
        raise ConfigError(
            f"the optimizer of model {model.name!r} follows a learning-rate "
            f"schedule, so the range test cannot set its rate. Run "
            f"the test on a model compiled with a float learning rate (the "
            f"builders' default) and pass the rate it finds to your schedule."
        )
    return model, trainer


def _stream(
    data: object, *, batch_size: int | None, seed: int | None
) -> tf.data.Dataset:
    """Return ``data`` as an endless dataset of batches."""
    if isinstance(data, tf.data.Dataset):
        if batch_size is not None:
            raise ConfigError(
                f"`batch_size`={batch_size} was given with a tf.data.Dataset, which "
                f"is batched already. Drop batch_size, or pass (x, y) arrays."
            )
        return data.repeat()
    if isinstance(data, tuple) and len(data) == 2:
        from tfstarter.data import from_arrays

        x, y = data
        return from_arrays(
            x, y, batch_size=batch_size or 32, shuffle=True, seed=seed
        ).repeat()
    raise ArgumentTypeError(
        f"`data` must be a tf.data.Dataset of (x, y) batches or an (x, y) tuple of "
        f"arrays, got {describe(data)} of type {type(data).__name__}."
    )


def zero_phase(values: Sequence[float], smoothing: float) -> list[float]:
    """Smooth ``values`` without lag: a bias-corrected EMA forwards, then backwards.

    A one-way moving average lags: with ``smoothing=0.98`` its curve trails
    the losses by about 50 batches, which on a sweep of 100 batches over 8
    decades is 4 decades of learning rate. Running it both ways cancels the
    lag.

    Examples:
        >>> smooth = zero_phase([1.0, 1.0, 4.0, 1.0, 1.0], 0.5)
        >>> [round(v, 2) for v in smooth], smooth.index(max(smooth))
        ([1.29, 1.59, 2.26, 1.66, 1.39], 2)
        >>> zero_phase([3.0, 1.0], 0.0)
        [3.0, 1.0]
    """

    def forwards(series: Sequence[float]) -> list[float]:
        average, out = 0.0, []
        for count, value in enumerate(series, start=1):
            average = smoothing * average + (1 - smoothing) * value
            out.append(average / (1 - smoothing**count))
        return out

    return forwards(forwards(values)[::-1])[::-1]


def _suggest(
    rates: Sequence[float], smoothed: Sequence[float], method: Suggest
) -> float:
    """Read the suggested rate off the smoothed loss curve."""
    values = np.array(smoothed, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(values))
    lowest = int(finite[np.argmin(values[finite])])
    if method == "minimum" or lowest < 2:
        return float(rates[lowest]) / 10.0
    logs = np.log(np.asarray(rates[: lowest + 1], dtype=np.float64))
    slopes = np.gradient(values[: lowest + 1], logs)
    return float(rates[int(np.argmin(slopes))])


def find_learning_rate(
    trainer_or_model: Trainer | keras.Model,
    data: Any,
    *,
    start: float = 1e-7,
    stop: float = 10.0,
    steps: int = 100,
    batch_size: int | None = None,
    seed: int | None = 0,
    smoothing: float = 0.9,
    divergence: float = 4.0,
    suggest: Suggest = "minimum",
) -> LearningRateFinding:
    """Run a learning-rate range test and suggest a learning rate.

    Trains for up to ``steps`` batches with the learning rate growing
    exponentially from ``start`` to ``stop``, one batch per rate, and stops
    early when the smoothed loss rises above ``divergence`` times its lowest
    value (or becomes NaN or Inf). Then every variable of the model, its
    optimizer and its metrics is put back: the model is left exactly as it
    was (an optimizer that had not been built yet is built, with its initial
    values). With a `Trainer` the sweep runs in the trainer's own loop.

    The suggestion is a starting point: for a constant rate or the peak of a
    one-cycle schedule, try it and a few times larger.

    Args:
        trainer_or_model: a `Trainer`, or a compiled and built `keras.Model`
            whose optimizer has a float learning rate.
        data: training batches: a `tf.data.Dataset` of ``(x, y)`` batches,
            or an ``(x, y)`` tuple of arrays (shuffled with ``seed``). It is
            repeated as needed.
        start: the first (smallest) learning rate.
        stop: the largest learning rate, reached at the last step.
        steps: the number of batches (and rates) in a full sweep.
        batch_size: the batch size for arrays (default 32).
        seed: the shuffle seed for arrays.
        smoothing: the factor of the exponential moving average of the loss,
            in ``[0, 1)``; 0 for none. The stop rule runs it forwards (as the
            sweep goes); the curve and the suggestion forwards and backwards,
            which cancels its lag.
        divergence: stop when the (forwards) smoothed loss exceeds this many
            times its lowest value.
        suggest: how to read the suggestion off the curve (see `Suggest`).

    Returns:
        A `LearningRateFinding` with the rates, losses and the suggestion;
        ``finding.plot(path)`` draws them.

    Raises:
        ArgumentTypeError: for a ``trainer_or_model`` or ``data`` of the wrong
            type.
        ConfigError: for out-of-range settings, a model that is not compiled
            or built, or an optimizer whose rate follows a schedule.
        TrainingError: if not a single batch gave a finite loss (start lower).

    Examples:
        >>> import keras
        >>> keras.utils.set_random_seed(0)
        >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        >>> model.compile(
        ...     optimizer=keras.optimizers.SGD(),
        ...     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        ... )
        >>> x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
        >>> y = (x[:, 0] > 0).astype("int64")
        >>> before = [w.copy() for w in model.get_weights()]
        >>> finding = find_learning_rate(model, (x, y), steps=40, start=1e-4, stop=1e2)
        >>> 1e-4 < finding.suggestion < 1e2
        True
        >>> all((a == b).all() for a, b in zip(before, model.get_weights()))
        True
    """
    model, trainer = _resolve(trainer_or_model)
    start = check_number_in_range(
        "start", start, low=0.0, high=math.inf, low_inclusive=False
    )
    stop = check_number_in_range(
        "stop", stop, low=0.0, high=math.inf, low_inclusive=False
    )
    if stop <= start:
        raise ConfigError(
            f"`stop` must be larger than `start`, got start={start} and stop={stop}. "
            f"A typical sweep runs from 1e-7 to 10."
        )
    steps = check_positive_int("steps", steps)
    if steps < MIN_STEPS:
        raise ConfigError(
            f"`steps` must be at least {MIN_STEPS}, got {steps}. A sweep needs a "
            f"few dozen batches to show a curve; 100 is typical."
        )
    if batch_size is not None:
        batch_size = check_positive_int("batch_size", batch_size)
    seed = check_seed(seed)
    smoothing = check_number_in_range("smoothing", smoothing, low=0.0, high=1.0)
    divergence = check_number_in_range(
        "divergence", divergence, low=1.0, high=math.inf, low_inclusive=False
    )
    suggest = check_one_of("suggest", suggest, SUGGEST_METHODS)

    stream = _stream(data, batch_size=batch_size, seed=seed)
    rates = np.geomspace(start, stop, steps).tolist()
    sweep = _Sweep(rates, smoothing, divergence)
    fit_kwargs: dict[str, Any] = {
        "epochs": steps,
        "steps_per_epoch": 1,
        "verbose": 0,
        "callbacks": [sweep],
    }
    strategy = getattr(trainer, "strategy", None) if trainer is not None else None
    with _restored(model, strategy):
        try:
            if trainer is not None:
                trainer.fit(stream, **fit_kwargs)
            else:
                model.fit(stream, shuffle=False, **fit_kwargs)
        except TrainingError:
            # The trainer refuses a NaN/Inf loss: the sweep has diverged.
            sweep.record(math.nan)
    done = len(sweep.losses)
    if sweep.usable == 0:
        raise TrainingError(
            f"the range test got no finite loss in {done} batch(es) from "
            f"learning rate {start:g}: the loss is NaN or Inf from the start. Check "
            f"the data and the model, or pass a smaller `start`."
        )
    smoothed = zero_phase(sweep.losses[: sweep.usable], smoothing)
    smoothed += [math.nan] * (done - sweep.usable)
    return LearningRateFinding(
        rates=tuple(rates[:done]),
        losses=tuple(sweep.losses),
        smoothed=tuple(smoothed),
        suggestion=_suggest(rates[:done], smoothed, suggest),
        method=suggest,
        diverged=sweep.diverged,
    )
