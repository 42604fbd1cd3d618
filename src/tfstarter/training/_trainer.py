"""`Trainer`: one front door to ``model.fit`` and to tfstarter's compiled loop."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfstarter._checks import (
    check_non_negative_int,
    check_number_in_range,
    check_positive_int,
    describe,
)
from tfstarter.errors import ArgumentTypeError, ConfigError
from tfstarter.training import _compat
from tfstarter.training._accumulation import configure_accumulation
from tfstarter.training._callbacks import check_callbacks
from tfstarter.training._clipping import configure_clipping
from tfstarter.training._custom_loop import CustomLoop
from tfstarter.training._fit_loop import FitLoop
from tfstarter.training._inputs import (
    check_element_spec,
    check_verbose,
    epoch_batches,
    infer_classes,
    to_dataset,
)
from tfstarter.training._model import check_model, prepare_model
from tfstarter.training._options import (
    GradientClipping,
    JitCompile,
    Loop,
    NonFinitePolicy,
    StepsPerExecution,
    TrainerOptions,
)
from tfstarter.training._session import Engines, Session
from tfstarter.training._validation import check_validation_freq
from tfstarter.training._xla_status import XlaStatus, xla_status


class Trainer:
    """Train, evaluate and predict with a Keras model, in one of two loops.

    ``loop="fit"`` runs Keras ``model.fit`` / ``evaluate`` / ``predict``.
    ``loop="custom"`` runs tfstarter's own loop: a ``tf.GradientTape`` step
    compiled with ``tf.function``, reading batches inside the graph, several
    steps per call. Both run the same per-batch step (the model's compiled
    loss, optimizer and metrics), call any `keras.callbacks.Callback` with the
    same hooks in the same order with the same ``logs``, and return the same
    `keras.callbacks.History`.

    Args:
        model: a `keras.Model`, compiled, or uncompiled with ``loss=`` given.
        loop: ``"fit"`` or ``"custom"``.
        loss: compile the model with this loss (keeping its optimizer and
            metrics unless given too).
        optimizer: compile the model with this optimizer (default Adam for an
            uncompiled model).
        metrics: compile the model with these metrics.
        steps_per_execution: batches per compiled call, or ``"auto"`` (see
            `TrainerOptions`).
        jit_compile: ``True`` XLA-compiles the whole per-batch step;
            ``"auto"`` (default) the optimizer's weight update, where that
            is safe, and in the custom loop the whole step where a timed
            trial finds it faster (see `xla`); ``False`` turns XLA off (see
            `TrainerOptions`).
        clipping: a `GradientClipping`, or ``None``.
        gradient_accumulation_steps: update the weights once every this many
            batches, with their mean gradient.
        on_non_finite: ``"raise"`` (a `TrainingError` saying where the loss
            became NaN/Inf) or ``"ignore"``.
        strategy: a `tf.distribute.Strategy` to run under. The model must be
            created and compiled inside ``strategy.scope()``; a model created
            there is run under its strategy even without this argument.

    Raises:
        ArgumentTypeError: if ``model`` is not a `keras.Model` or an option has
            the wrong type.
        ConfigError: for an unknown ``loop``, a model without a loss, a
            ``strategy`` the model was not built under, ``jit_compile=True``
            where Keras would not use XLA, or options that conflict with the
            optimizer's own settings.

    Examples:
        >>> import keras
        >>> x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
        >>> y = x @ np.array([[1.0], [-2.0], [0.5]], "float32")
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> trainer = tfs.Trainer(
        ...     model, loop="custom", loss="mse", optimizer=keras.optimizers.SGD(0.1)
        ... )
        >>> history = trainer.fit((x, y), epochs=20, batch_size=16, verbose=0)
        >>> history.history["loss"][-1] < 0.01
        True
        >>> sorted(trainer.evaluate((x, y), verbose=0))
        ['loss']
        >>> trainer.predict(x[:2], verbose=0).shape
        (2, 1)
    """

    def __init__(
        self,
        model: keras.Model,
        loop: Loop = "fit",
        *,
        loss: Any = None,
        optimizer: Any = None,
        metrics: Any = None,
        steps_per_execution: StepsPerExecution = "auto",
        jit_compile: JitCompile = "auto",
        clipping: GradientClipping | None = None,
        gradient_accumulation_steps: int = 1,
        on_non_finite: NonFinitePolicy = "raise",
        strategy: tf.distribute.Strategy | None = None,
    ) -> None:
        model = check_model(model)
        self._options = TrainerOptions(
            loop=loop,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
            clipping=clipping,
            gradient_accumulation_steps=gradient_accumulation_steps,
            on_non_finite=on_non_finite,
        )
        self._strategy = _resolve_strategy(model, strategy)
        if (
            self._strategy is not None
            and loop == "fit"
            and steps_per_execution not in ("auto", 1)
        ):
            raise ConfigError(
                f"`steps_per_execution={steps_per_execution}` with loop='fit' under "
                f"a tf.distribute strategy: Keras' model.fit fails there with more "
                f"than one step per call. Use loop='custom' (which runs several "
                f"steps per call under a strategy), or steps_per_execution=1."
            )
        if jit_compile is True:
            reason = _compat.jit_unsupported_reason(model)
            if reason is not None:
                raise ConfigError(
                    f"`jit_compile=True` cannot be honoured: {reason}. Pass "
                    f"jit_compile=False."
                )
        with self._scope():
            prepare_model(model, loss=loss, optimizer=optimizer, metrics=metrics)
            configure_clipping(model.optimizer, clipping)
            configure_accumulation(model.optimizer, gradient_accumulation_steps)
        self._model = model
        self._engines = Engines(model, self._options, self._strategy)
        self._loop: FitLoop | CustomLoop = (
            FitLoop(model, self._options, self._strategy)
            if loop == "fit"
            else CustomLoop(model, self._options, self._strategy)
        )

    @property
    def model(self) -> keras.Model:
        """The model being trained (the same object that was passed in)."""
        return self._model

    @property
    def loop(self) -> Loop:
        """``"fit"`` or ``"custom"``."""
        return self._options.loop

    @property
    def options(self) -> TrainerOptions:
        """The validated options."""
        return self._options

    @property
    def strategy(self) -> tf.distribute.Strategy | None:
        """The distribution strategy the loops run under, if any."""
        return self._strategy

    @property
    def trace_counts(self) -> dict[str, int]:
        """How many times the per-batch step was traced, per kind of step.

        Keys ``"train"``, ``"test"``, ``"predict"``, and ``"update"``: the
        traces of the XLA-compiled weight update of ``jit_compile="auto"`` (0
        where the update is not compiled on its own). Each is 1 after any
        number of epochs and calls with the same input signature (a short last
        batch, a changed learning rate and a new epoch do not retrace). In the
        fit loop Keras traces ``predict`` once more for a short last batch.
        Under a ``MirroredStrategy`` each replica traces the step once. The
        custom loop has one compiled variant per way of calling the step
        (several steps per call, one step per call, a dataset of unknown
        length), and each variant that runs traces it once: a validation pass
        run one step per call followed by an ``evaluate`` run several steps
        per call shows ``"test": 2``. The whole step under XLA, once the
        ``jit_compile="auto"`` trial has traced it (see `xla`), is one more
        variant: ``"train": 2``.

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
            >>> trainer = tfs.Trainer(model, "custom", loss="mse", jit_compile=False)
            >>> x, y = np.ones((10, 2), "float32"), np.ones((10, 1), "float32")
            >>> _ = trainer.fit((x, y), batch_size=4, epochs=3, verbose=0)
            >>> trainer.trace_counts
            {'train': 1, 'test': 0, 'predict': 0, 'update': 0}
        """
        return self._engines.trace_counts()

    @property
    def xla(self) -> XlaStatus:
        """What the train step compiles with XLA, and why.

        Under ``jit_compile="auto"`` the custom loop, in a ``fit`` call with
        at least half a minute of training left, times a few calls of the
        whole step compiled by XLA against the plain step and keeps the
        faster (see the training guide); this reports the outcome and the
        times measured.

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
            >>> trainer = tfs.Trainer(model, "custom", loss="mse", jit_compile=False)
            >>> trainer.xla.whole_step, trainer.xla.reason
            (False, 'jit_compile=False')
        """
        return xla_status(self._options, self._engines)

    def _scope(self) -> Any:
        if self._strategy is None:
            return contextlib.nullcontext()
        return self._strategy.scope()

    def _dataset(
        self,
        x: Any,
        y: Any,
        *,
        role: str,
        batch_size: int | None,
        shuffle: bool | None,
        seed: int | None,
        needs_targets: bool,
    ) -> tf.data.Dataset:
        dataset = to_dataset(
            x,
            y,
            role=role,
            batch_size=batch_size,
            shuffle=shuffle,
            seed=seed,
            classes=infer_classes(self._model) if needs_targets else None,
        )
        check_element_spec(self._model, dataset, role=role, needs_targets=needs_targets)
        return dataset

    def _needs_targets(self) -> bool:
        return getattr(self._model, "loss", None) is not None

    def _build(self, dataset: tf.data.Dataset) -> None:
        """Create every variable before anything is traced."""
        with self._scope():
            _compat.build_from_spec(self._model, dataset.element_spec)

    def fit(
        self,
        x: Any,
        y: Any = None,
        *,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
        validation_data: Any = None,
        validation_split: float = 0.0,
        validation_freq: int | Sequence[int] = 1,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        shuffle: bool | None = None,
        seed: int | None = None,
    ) -> keras.callbacks.History:
        """Train the model.

        Args:
            x: a batched ``tf.data.Dataset`` of ``(x, y)`` (or ``(x, y,
                sample_weight)``), an array (or dict of arrays) of inputs, or
                an ``(x, y)`` tuple of arrays.
            y: the targets when ``x`` is an array.
            batch_size: batch size for arrays (default 32).
            epochs: train until this epoch (counting from 0, as in ``fit``).
            verbose: 0 (silent), 1 (progress bar), 2 (one line per epoch) or
                ``"auto"`` (1), as in ``fit``.
            callbacks: `keras.callbacks.Callback` objects (or `Callback`).
            validation_data: data evaluated at the end of epochs, in any form
                ``x`` takes.
            validation_split: for arrays, the fraction of the *last* samples
                held out for validation (before shuffling), as in ``fit``.
            validation_freq: validate every this many epochs, or at these
                1-based epochs.
            initial_epoch: the epoch to start at (to resume a run).
            steps_per_epoch: batches per epoch; the data is then read as one
                stream that wraps around, so no epoch is cut short.
            shuffle: reshuffle arrays every epoch (default True for arrays;
                a dataset shuffles in its own pipeline).
            seed: the shuffle seed for arrays.

        Returns:
            The `keras.callbacks.History` (also ``model.history``): a list of
            per-epoch values for ``loss``, every metric, ``val_*`` and
            ``learning_rate`` when a callback logs it.

        Raises:
            ArgumentTypeError: for data, callbacks or options of the wrong type.
            ConfigError: for conflicting or out-of-range options.
            DataError: for data that does not fit the model, or fails the
                checks of `tfstarter.data.from_arrays`.
            TrainingError: when the loss becomes NaN or Inf (unless
                ``on_non_finite="ignore"``).

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
            >>> trainer = tfs.Trainer(model, "custom", loss="mse")
            >>> x = np.arange(8, dtype="float32").reshape(8, 1)
            >>> history = trainer.fit(
            ...     x, 2 * x, epochs=2, validation_split=0.25, verbose=0, seed=0
            ... )
            >>> sorted(history.history)
            ['loss', 'val_loss']
        """
        user_callbacks = check_callbacks(callbacks)
        verbose = check_verbose(verbose)
        epochs = check_non_negative_int("epochs", epochs)
        initial_epoch = check_non_negative_int("initial_epoch", initial_epoch)
        if steps_per_epoch is not None:
            steps_per_epoch = check_positive_int("steps_per_epoch", steps_per_epoch)
        validation_freq = check_validation_freq(validation_freq)
        if validation_split:
            check_number_in_range(
                "validation_split",
                validation_split,
                low=0.0,
                high=1.0,
                low_inclusive=False,
            )
            if validation_data is not None:
                raise ConfigError(
                    "`validation_split` and `validation_data` are both given; pass "
                    "one of them."
                )
            (x, y), validation_data = _split_last(x, y, validation_split)
        needs_targets = self._needs_targets()
        dataset = self._dataset(
            x,
            y,
            role="x",
            batch_size=batch_size,
            shuffle=True
            if shuffle is None and not isinstance(x, tf.data.Dataset)
            else shuffle,
            seed=seed,
            needs_targets=needs_targets,
        )
        validation = None
        if validation_data is not None:
            validation = self._dataset(
                validation_data,
                None,
                role="validation_data",
                batch_size=None
                if isinstance(validation_data, tf.data.Dataset)
                else batch_size,
                shuffle=None,
                seed=None,
                needs_targets=needs_targets,
            )
            epoch_batches(validation, None, role="validation_data")
        self._build(dataset)
        session = Session.open(self._engines, user_callbacks, training=True)
        with self._scope():
            return self._loop.fit(
                session,
                dataset,
                epochs=epochs,
                initial_epoch=initial_epoch,
                steps_per_epoch=steps_per_epoch,
                validation=validation,
                validation_freq=validation_freq,
                verbose=verbose,
            )

    def evaluate(
        self,
        x: Any,
        y: Any = None,
        *,
        batch_size: int | None = None,
        verbose: Any = "auto",
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
    ) -> dict[str, float]:
        """Compute the loss and metrics on data, without updating the model.

        Args:
            x: data in any form `fit` takes.
            y: the targets when ``x`` is an array.
            batch_size: batch size for arrays (default 32).
            verbose: 0, 1 or ``"auto"`` (progress bar), as in ``evaluate``.
            callbacks: callbacks for the ``on_test_*`` hooks.

        Returns:
            ``{"loss": ..., "<metric>": ...}`` as Python floats, keys sorted,
            as ``model.evaluate(return_dict=True)``.

        Raises:
            ArgumentTypeError: for data or callbacks of the wrong type.
            ConfigError: for ``batch_size`` given with a dataset, or an
                endless dataset.
            DataError: for data that does not fit the model.

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
            >>> trainer = tfs.Trainer(model, loss="mse", metrics=["mae"])
            >>> x = np.ones((4, 1), "float32")
            >>> sorted(trainer.evaluate(x, x, verbose=0))
            ['loss', 'mae']
        """
        user_callbacks = check_callbacks(callbacks)
        verbose = check_verbose(verbose)
        dataset = self._dataset(
            x,
            y,
            role="x",
            batch_size=batch_size,
            shuffle=None,
            seed=None,
            needs_targets=self._needs_targets(),
        )
        self._build(dataset)
        session = Session.open(self._engines, user_callbacks, training=False)
        with self._scope():
            return self._loop.evaluate(session, dataset, verbose=verbose)

    def predict(
        self,
        x: Any,
        *,
        batch_size: int | None = None,
        verbose: Any = "auto",
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
    ) -> Any:
        """Run the model on inputs and return its outputs as NumPy arrays.

        Args:
            x: a ``tf.data.Dataset`` (of inputs, or of ``(x, y)`` whose
                targets are ignored) or an array (or dict of arrays).
            batch_size: batch size for arrays (default 32).
            verbose: 0, 1 or ``"auto"`` (progress bar), as in ``predict``.
            callbacks: callbacks for the ``on_predict_*`` hooks.

        Returns:
            The outputs, one row per input sample, in the structure of the
            model's outputs.

        Raises:
            ArgumentTypeError: for data or callbacks of the wrong type.
            ConfigError: for ``batch_size`` given with a dataset, or an
                endless dataset.
            DataError: for data that does not fit the model.

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
            >>> trainer = tfs.Trainer(model, "custom", loss="mse")
            >>> trainer.predict(np.zeros((5, 2), "float32"), verbose=0).shape
            (5, 3)
        """
        user_callbacks = check_callbacks(callbacks)
        verbose = check_verbose(verbose)
        if isinstance(x, tuple):
            raise ArgumentTypeError(
                f"`x` for predict must be the inputs alone, got a tuple of "
                f"{len(x)} items. Pass x, not (x, y)."
            )
        dataset = self._dataset(
            x,
            None,
            role="x",
            batch_size=batch_size,
            shuffle=None,
            seed=None,
            needs_targets=False,
        )
        session = Session.open(self._engines, user_callbacks, training=False)
        with self._scope():
            return self._loop.predict(session, dataset, verbose=verbose)

    def __repr__(self) -> str:
        return f"Trainer(model={self._model.name!r}, loop={self.loop!r})"


def _resolve_strategy(
    model: keras.Model, strategy: object
) -> tf.distribute.Strategy | None:
    """The strategy to run under: the given one, or the one the model was built in."""
    built_in = getattr(model, "_distribute_strategy", None)
    if strategy is None:
        return built_in
    if not isinstance(strategy, tf.distribute.Strategy):
        raise ArgumentTypeError(
            f"`strategy` must be a tf.distribute.Strategy, got {describe(strategy)} "
            f"of type {type(strategy).__name__}."
        )
    if built_in is not strategy:
        raise ConfigError(
            f"`strategy` ({type(strategy).__name__}) is not the strategy `model` "
            f"was created under ({type(built_in).__name__ if built_in else 'none'}). "
            f"Create and compile the model inside `with strategy.scope():`."
        )
    return strategy


def _split_last(
    x: Any, y: Any, fraction: float
) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
    """Hold out the last ``fraction`` of the samples, as ``fit`` does."""
    if isinstance(x, tf.data.Dataset):
        raise ConfigError(
            "`validation_split` needs arrays; `x` is a tf.data.Dataset. Split it "
            "with tfs.data.split(...) or pass validation_data=."
        )
    if isinstance(x, tuple) and y is None and len(x) == 2:
        x, y = x
    rows = len(next(iter(x.values()))) if isinstance(x, Mapping) else len(x)
    cut = math.floor(rows * (1.0 - fraction))
    if cut == 0:  # floor() always leaves at least one validation sample
        raise ConfigError(
            f"`validation_split={fraction}` of {rows} samples leaves no training "
            f"samples; pass a smaller fraction or more data."
        )

    def head(a: Any) -> Any:
        return (
            {k: np.asarray(v)[:cut] for k, v in a.items()}
            if isinstance(a, Mapping)
            else np.asarray(a)[:cut]
        )

    def tail(a: Any) -> Any:
        return (
            {k: np.asarray(v)[cut:] for k, v in a.items()}
            if isinstance(a, Mapping)
            else np.asarray(a)[cut:]
        )

    if y is None:
        return (head(x), None), (tail(x), None)
    return (head(x), head(y)), (tail(x), tail(y))
