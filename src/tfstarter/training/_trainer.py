"""`Trainer`: one front door to ``model.fit`` and to tfstarter's compiled loop.

It checks what it is given, turns the data into one ``tf.data.Dataset``
(``_data.py``), builds the model's variables, and hands the call to the loop
with a `Run` from the engine: the fit loop (``_fit_loop.py``) or the custom
loop (``_custom_loop.py``). Everything else lives in those parts.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfstarter._checks import (
    NonFiniteData,
    check_bool,
    check_model,
    check_non_negative_int,
    check_number_in_range,
    check_positive_int,
    check_seed,
    describe,
)
from tfstarter.data._labels import (
    check_features,
    check_targets,
    checked_dataset,
    data_error_from,
)
from tfstarter.errors import ArgumentTypeError, ConfigError, DataError, TfstarterError
from tfstarter.training import _compat
from tfstarter.training._accumulation import configure_accumulation
from tfstarter.training._backup import RunBackup, fingerprint
from tfstarter.training._backup_plan import BackupEvery, BackupPlan
from tfstarter.training._callbacks import check_callbacks
from tfstarter.training._clipping import configure_clipping
from tfstarter.training._custom_loop import CustomLoop
from tfstarter.training._data import (
    check_dataset_length,
    check_element_spec,
    check_verbose,
    is_arrays,
    split_tuple,
    to_dataset,
)
from tfstarter.training._engine import Engine
from tfstarter.training._fit_loop import FitLoop
from tfstarter.training._lr_finder import LearningRateFinding, find_learning_rate
from tfstarter.training._model import prepare_model, require_loss
from tfstarter.training._options import (
    GradientClipping,
    JitCompile,
    Loop,
    OnNonFinite,
    StepsPerExecution,
    TrainerOptions,
)
from tfstarter.training._preemption import catching_signals
from tfstarter.training._validation import check_validation_freq
from tfstarter.training._xla import XlaStatus

_OPTION_NAMES = (
    "loop",
    "steps_per_execution",
    "jit_compile",
    "clipping",
    "gradient_accumulation_steps",
    "on_non_finite",
)


class Trainer:
    """Train, evaluate and predict with a Keras model, in one of two loops.

    ``loop="fit"`` runs Keras ``model.fit`` / ``evaluate`` / ``predict``.
    ``loop="custom"`` runs tfstarter's own loop: a ``tf.GradientTape`` step
    compiled with ``tf.function``, reading batches inside the graph, several
    steps per call where no callback can notice. Both run the same per-batch
    step (the model's compiled loss, optimizer and metrics), accept what
    ``model.fit`` accepts with its meaning, call any
    `keras.callbacks.Callback` with the hooks, indices and ``logs`` of
    ``model.fit``, and return the same `keras.callbacks.History`.

    Args:
        model: a `keras.Model`; compiled, or uncompiled with ``loss=`` given
            (an uncompiled model can still `predict`).
        loop: ``"fit"`` or ``"custom"`` (default ``"fit"``).
        options: a `TrainerOptions`; or give its fields as the keywords below
            (not both).
        loss: compile the model with this loss (keeping its optimizer and
            metrics unless given too).
        optimizer: compile the model with this optimizer (default Adam for an
            uncompiled model).
        metrics: compile the model with these metrics.
        steps_per_execution: batches per compiled call, or ``"auto"``.
        jit_compile: ``"auto"``, ``"autotune"``, ``True`` or ``False``.
        clipping: a `GradientClipping`, or ``None``.
        gradient_accumulation_steps: update the weights once every this many
            batches, with their mean gradient.
        on_non_finite: ``"raise"`` or ``"ignore"``.
        strategy: a `tf.distribute.Strategy` to run under. The model must be
            created and compiled inside ``strategy.scope()``; a model created
            there is run under its strategy even without this argument.

    The options are described in `TrainerOptions`.

    Raises:
        ArgumentTypeError: if ``model`` is not a `keras.Model` or an option has
            the wrong type.
        ConfigError: for an unknown ``loop``, options given twice, a
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
        >>> history = trainer.fit(x, y, epochs=20, batch_size=16, verbose=0)
        >>> history.history["loss"][-1] < 0.01
        True
        >>> sorted(trainer.evaluate(x, y, verbose=0))
        ['loss']
        >>> trainer.predict(x[:2], verbose=0).shape
        (2, 1)
    """

    def __init__(
        self,
        model: keras.Model,
        loop: Loop | None = None,
        *,
        options: TrainerOptions | None = None,
        loss: Any = None,
        optimizer: Any = None,
        metrics: Any = None,
        steps_per_execution: StepsPerExecution | None = None,
        jit_compile: JitCompile | None = None,
        clipping: GradientClipping | None = None,
        gradient_accumulation_steps: int | None = None,
        on_non_finite: OnNonFinite | None = None,
        strategy: tf.distribute.Strategy | None = None,
    ) -> None:
        model = check_model(model)
        self._options = _options(
            options,
            loop=loop,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
            clipping=clipping,
            gradient_accumulation_steps=gradient_accumulation_steps,
            on_non_finite=on_non_finite,
        )
        opts = self._options
        self._strategy = _resolve_strategy(model, strategy)
        if (
            self._strategy is not None
            and opts.loop == "fit"
            and opts.steps_per_execution not in ("auto", 1)
        ):
            raise ConfigError(
                f"`steps_per_execution={opts.steps_per_execution}` with loop='fit' "
                f"under a tf.distribute strategy: Keras' model.fit fails there with "
                f"more than one step per call. Use loop='custom' (which runs "
                f"several steps per call under a strategy), or "
                f"steps_per_execution=1."
            )
        if opts.jit_compile is True:
            reason = _compat.jit_unsupported_reason(model)
            if reason is not None:
                raise ConfigError(
                    f"`jit_compile=True` cannot be honoured: {reason}. Pass "
                    f"jit_compile=False."
                )
        self._engine = Engine(model, opts, self._strategy)
        with self._engine.scope():
            prepare_model(model, loss=loss, optimizer=optimizer, metrics=metrics)
            if model.compiled:
                configure_clipping(model.optimizer, opts.clipping)
                configure_accumulation(
                    model.optimizer, opts.gradient_accumulation_steps
                )
            elif opts.clipping is not None or opts.gradient_accumulation_steps != 1:
                raise ConfigError(
                    "`clipping` and `gradient_accumulation_steps` configure the "
                    "model's optimizer, but `model` is not compiled. Pass loss= "
                    "(and optionally optimizer=) to the Trainer, or compile the "
                    "model first."
                )
        self._model = model
        self._loop: FitLoop | CustomLoop = (
            FitLoop(self._engine) if opts.loop == "fit" else CustomLoop(self._engine)
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
        (several steps per call, one step per call, data of unknown length),
        and each variant that runs traces it once. The whole step under XLA,
        once chosen (see `xla`), is one more variant: ``"train": 2``.

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
            >>> trainer = tfs.Trainer(model, "custom", loss="mse", jit_compile=False)
            >>> x, y = np.ones((10, 2), "float32"), np.ones((10, 1), "float32")
            >>> _ = trainer.fit(x, y, batch_size=4, epochs=3, verbose=0)
            >>> trainer.trace_counts
            {'train': 1, 'test': 0, 'predict': 0, 'update': 0}
        """
        return self._engine.trace_counts()

    @property
    def xla(self) -> XlaStatus:
        """What the train step compiles with XLA, and why.

        Under ``jit_compile="auto"`` the custom loop decides on whole-step XLA
        from the step's ops, in the first ``fit`` call long enough to pay for
        the compile (see the training guide); this reports the outcome.

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
            >>> trainer = tfs.Trainer(model, "custom", loss="mse", jit_compile=False)
            >>> trainer.xla.whole_step, trainer.xla.reason
            (False, 'jit_compile=False')
        """
        return self._engine.xla.status()

    def _dataset(
        self,
        x: Any,
        y: Any = None,
        *,
        role: str,
        needs_targets: bool,
        steps: int | None,
        **options: Any,
    ) -> tf.data.Dataset:
        """``to_dataset``, with the data checked against the model first.

        Arrays are checked up front (features by dtype, targets against the
        model's head); a dataset's targets are checked batch by batch, in
        the graph, as it is read.
        """
        model = self._model
        arrays = is_arrays((x, y, options.get("sample_weight")))

        def check(features: Any, targets: Any) -> None:
            check_features(model, features, name="x")
            if needs_targets and not isinstance(targets, list | tuple):
                check_targets(model, targets, name="y")

        try:
            dataset = to_dataset(
                x, y, role=role, steps=steps, check_arrays=check, **options
            )
        except TfstarterError as error:
            if role == "x":
                raise
            raise type(error)(f"in `{role}`: {error}") from None
        check_dataset_length(dataset, steps, role=role)
        check_element_spec(model, dataset, role=role, needs_targets=needs_targets)
        if not arrays and needs_targets:
            dataset = checked_dataset(model, dataset, name=role)
        return dataset

    def _needs_targets(self) -> bool:
        return getattr(self._model, "loss", None) is not None

    def fit(
        self,
        x: Any = None,
        y: Any = None,
        *,
        batch_size: int | None = None,
        epochs: int = 1,
        verbose: Any = "auto",
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
        validation_split: float = 0.0,
        validation_data: Any = None,
        shuffle: bool | None = None,
        class_weight: Mapping[int, float] | None = None,
        sample_weight: Any = None,
        initial_epoch: int = 0,
        steps_per_epoch: int | None = None,
        validation_steps: int | None = None,
        validation_batch_size: int | None = None,
        validation_freq: int | Sequence[int] = 1,
        seed: int | None = None,
        non_finite: NonFiniteData = "raise",
        backup_dir: str | os.PathLike[str] | None = None,
        backup_every: BackupEvery = "epoch",
        keep_backup: bool = False,
    ) -> keras.callbacks.History:
        """Train the model; the arguments of ``model.fit``, with its meaning.

        Args:
            x: the inputs: a ``tf.data.Dataset`` of ``(x, y[, sample_weight])``
                batches, arrays (alone, or in lists/tuples/dicts for several
                inputs; ragged and sparse tensors; ``None`` for optional
                inputs), a Python generator or a ``keras.utils.PyDataset`` —
                or an ``(x, y[, sample_weight])`` tuple of arrays.
            y: the targets, for arrays (same structures as ``x``).
            batch_size: batch size for arrays (default 32).
            epochs: train until this epoch (counting from 0, as in ``fit``).
            verbose: 0 (silent), 1 (progress bar), 2 (one line per epoch) or
                ``"auto"`` (1), as in ``fit``.
            callbacks: `keras.callbacks.Callback` objects (or `Callback`).
            validation_split: for arrays, the fraction of the *last* samples
                held out for validation (before shuffling), as in ``fit``.
            validation_data: data evaluated at the end of epochs: a dataset,
                or an ``(x, y[, sample_weight])`` tuple.
            shuffle: reshuffle arrays every epoch (default True for arrays,
                seeded by ``seed``); a ``tf.data.Dataset`` shuffles in its own
                pipeline.
            class_weight: a weight per class index, multiplied into the loss
                of each sample of that class.
            sample_weight: a weight per sample, for arrays.
            initial_epoch: the epoch to start at (to resume a run).
            steps_per_epoch: batches per epoch; as in ``fit``, one iterator
                then carries over from epoch to epoch, and an epoch ends
                early (with Keras' warning) when finite data runs out.
            validation_steps: batches per validation (default: all).
            validation_batch_size: batch size of validation arrays (default
                ``batch_size``).
            validation_freq: validate every this many epochs, or at these
                1-based epochs.
            seed: the shuffle seed for arrays (default: drawn from the global
                seed, `keras.utils.set_random_seed`).
            non_finite: what to do with array rows holding NaN or Inf:
                ``"raise"`` a `DataError` (default) or ``"drop"`` them.
            backup_dir: a folder for backups of this run. If it holds one,
                training goes on from it exactly where it was (epoch, batch,
                every variable, random generators, data order, callbacks'
                state, History): kill the run at any time and run the same
                command again. SIGTERM and SIGINT then write a backup before
                they stop the run. See the training guide.
            backup_every: ``"epoch"`` (default) or ``N``: a backup every ``N``
                batches (at the end of the compiled call that reaches it).
            keep_backup: keep the backup folder once training has finished
                (by default it is removed then).

        Returns:
            The `keras.callbacks.History` (also ``model.history``).

        Raises:
            ArgumentTypeError: for callbacks or options of the wrong type.
            ConfigError: for conflicting or out-of-range options, or a model
                with no loss.
            DataError: for data that does not fit the model, or fails the
                checks (lengths, NaN/Inf, text).
            TrainingError: when a step makes the loss, a gradient or a weight
                NaN or Inf (unless ``on_non_finite="ignore"``).

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
            >>> trainer = tfs.Trainer(model, "custom", loss="mse")
            >>> x = np.linspace(0, 1, 40, dtype="float32").reshape(-1, 1)
            >>> history = trainer.fit(
            ...     x, 2 * x, validation_split=0.25, epochs=2, verbose=0
            ... )
            >>> sorted(history.history)
            ['loss', 'val_loss']
        """
        user_callbacks = check_callbacks(callbacks)
        verbose = check_verbose(verbose)
        epochs = check_non_negative_int("epochs", epochs)
        initial_epoch = check_non_negative_int("initial_epoch", initial_epoch)
        if initial_epoch >= epochs:
            raise ConfigError(
                f"`epochs` ({epochs}) must be larger than `initial_epoch` "
                f"({initial_epoch}), or nothing trains: `epochs` is the index of "
                f"the epoch to stop before, not a count. To train "
                f"{max(epochs, 1)} epoch(s) from epoch {initial_epoch}, pass "
                f"epochs={initial_epoch + max(epochs, 1)}."
            )
        steps_per_epoch = _optional_positive("steps_per_epoch", steps_per_epoch)
        seed = check_seed(seed)
        validation_steps = _optional_positive("validation_steps", validation_steps)
        validation_freq = check_validation_freq(validation_freq)
        x, y, sample_weight = split_tuple(x, y, sample_weight, role="x")
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
            (x, y, sample_weight), validation_data = _split_last(
                x, y, sample_weight, validation_split
            )
        needs_targets = self._needs_targets()
        if seed is None and is_arrays((x, y, sample_weight)):
            # Drawn from NumPy's global generator, which
            # keras.utils.set_random_seed seeds: a seeded script repeats.
            seed = int(np.random.randint(2**31 - 1))
        dataset = self._dataset(
            x,
            y,
            role="x",
            needs_targets=needs_targets,
            steps=steps_per_epoch,
            sample_weight=sample_weight,
            class_weight=class_weight,
            batch_size=batch_size,
            shuffle=_default_shuffle(x, y, sample_weight)
            if shuffle is None
            else shuffle,
            seed=seed,
            non_finite=non_finite,
        )
        validation = None
        if validation_data is not None:
            val_x, val_y, val_weight = split_tuple(
                validation_data, None, None, role="validation_data"
            )
            validation = self._dataset(
                val_x,
                val_y,
                role="validation_data",
                needs_targets=needs_targets,
                steps=validation_steps,
                sample_weight=val_weight,
                batch_size=None
                if isinstance(val_x, tf.data.Dataset)
                else validation_batch_size or batch_size,
                non_finite=non_finite,
            )
        self._engine.build(dataset.element_spec)
        require_loss(self._model, action="fit", element_spec=dataset.element_spec)
        run = self._engine.run(user_callbacks, training=True)
        backups = (
            None
            if backup_dir is None
            else self._backups(
                backup_dir,
                backup_every,
                keep_backup,
                dataset=dataset,
                steps_per_epoch=steps_per_epoch,
            )
        )
        with (
            self._engine.scope(),
            _data_errors(),
            catching_signals(backups is not None) as preemption,
        ):
            if backups is not None:
                backups.preemption = preemption
            history = self._loop.fit(
                run,
                dataset,
                epochs=epochs,
                initial_epoch=initial_epoch,
                steps_per_epoch=steps_per_epoch,
                validation=validation,
                validation_steps=validation_steps,
                validation_freq=validation_freq,
                verbose=verbose,
                backups=backups,
            )
        if backups is not None:
            backups.finished()
        return history

    def _backups(
        self,
        directory: str | os.PathLike[str],
        every: object,
        keep: object,
        *,
        dataset: tf.data.Dataset,
        steps_per_epoch: int | None,
    ) -> BackupPlan:
        """The backup plan of a ``fit`` with ``backup_dir``, checked."""
        if every != "epoch":
            every = check_positive_int("backup_every", every)
        keep = check_bool("keep_backup", keep)
        if int(dataset.cardinality()) == tf.data.UNKNOWN_CARDINALITY:
            raise ConfigError(
                "`backup_dir` needs training data of known length, to put the "
                "data stream back where it was; this one's length is unknown (a "
                "generator, or a filtered dataset). Declare it with "
                "dataset.apply(tf.data.experimental.assert_cardinality(n))."
            )
        if self.loop == "fit" and steps_per_epoch is not None:
            raise ConfigError(
                "`backup_dir` with `steps_per_epoch` in loop='fit': Keras' "
                "model.fit carries its data iterator from epoch to epoch and "
                "cannot start it again part-way. Use loop='custom' (which resumes "
                "such runs exactly), or drop steps_per_epoch."
            )
        backup = RunBackup(
            directory,
            model=self._model,
            identity=fingerprint(self._model, dataset.element_spec, steps_per_epoch),
            strategy=self._strategy,
        )
        return BackupPlan(backup, every, keep=keep)

    def evaluate(
        self,
        x: Any = None,
        y: Any = None,
        *,
        batch_size: int | None = None,
        verbose: Any = "auto",
        sample_weight: Any = None,
        steps: int | None = None,
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
        return_dict: bool = True,
        non_finite: NonFiniteData = "raise",
    ) -> Any:
        """Compute the loss and metrics on data, without updating the model.

        Args:
            x: data in any form `fit` takes.
            y: the targets, for arrays.
            batch_size: batch size for arrays (default 32).
            verbose: 0, 1 or ``"auto"`` (progress bar), as in ``evaluate``.
            sample_weight: a weight per sample, for arrays.
            steps: batches to evaluate (default: all).
            callbacks: callbacks for the ``on_test_*`` hooks.
            return_dict: return ``{"loss": ..., "<metric>": ...}`` (default,
                where Keras defaults to a list), else Keras' list.
            non_finite: ``"raise"`` or ``"drop"`` array rows with NaN or Inf.

        Returns:
            The results as Python floats: a dict with sorted keys, or (with
            ``return_dict=False``) ``model.evaluate``'s list.

        Raises:
            ArgumentTypeError: for callbacks of the wrong type.
            ConfigError: for ``batch_size`` given with a dataset, an endless
                dataset without ``steps``, or a model with no loss.
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
        steps = _optional_positive("steps", steps)
        x, y, sample_weight = split_tuple(x, y, sample_weight, role="x")
        dataset = self._dataset(
            x,
            y,
            role="x",
            needs_targets=self._needs_targets(),
            steps=steps,
            sample_weight=sample_weight,
            batch_size=batch_size,
            non_finite=non_finite,
        )
        self._engine.build(dataset.element_spec)
        require_loss(self._model, action="evaluate", element_spec=dataset.element_spec)
        run = self._engine.run(user_callbacks, training=False)
        with self._engine.scope(), _data_errors():
            results = self._loop.evaluate(run, dataset, steps=steps, verbose=verbose)
        if return_dict:
            return dict(sorted(results.items()))
        return _compat.flatten_metrics_in_order(self._model, results)

    def predict(
        self,
        x: Any,
        *,
        batch_size: int | None = None,
        verbose: Any = "auto",
        steps: int | None = None,
        callbacks: Sequence[keras.callbacks.Callback] | None = None,
    ) -> Any:
        """Run the model on inputs and return its outputs as NumPy arrays.

        Args:
            x: the inputs in any form `fit` takes (a dataset may also yield
                ``(x, y)``: the targets are ignored). A tuple is the inputs
                of a multi-input model, as in ``model.predict``.
            batch_size: batch size for arrays (default 32).
            verbose: 0, 1 or ``"auto"`` (progress bar), as in ``predict``.
            steps: batches to predict on (default: all).
            callbacks: callbacks for the ``on_predict_*`` hooks.

        Returns:
            The outputs, one row per input sample, in the structure of the
            model's outputs.

        Raises:
            ArgumentTypeError: for callbacks of the wrong type.
            ConfigError: for ``batch_size`` given with a dataset, or an
                endless dataset without ``steps``.
            DataError: for data that does not fit the model.

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(3)])
            >>> trainer = tfs.Trainer(model, "custom")
            >>> trainer.predict(np.zeros((5, 2), "float32"), verbose=0).shape
            (5, 3)
        """
        user_callbacks = check_callbacks(callbacks)
        verbose = check_verbose(verbose)
        steps = _optional_positive("steps", steps)
        dataset = self._dataset(
            x, role="x", needs_targets=False, steps=steps, batch_size=batch_size
        )
        run = self._engine.run(user_callbacks, training=False)
        with self._engine.scope(), _data_errors():
            return self._loop.predict(run, dataset, steps=steps, verbose=verbose)

    def find_learning_rate(self, data: Any, **options: Any) -> LearningRateFinding:
        """Run the learning-rate range test in this trainer's loop.

        The model and its optimizer are left exactly as they were. The
        options are those of `tfstarter.training.find_learning_rate`.

        Args:
            data: training batches: a ``tf.data.Dataset`` of ``(x, y)`` or an
                ``(x, y)`` tuple of arrays.
            **options: ``start``, ``stop``, ``steps``, ``batch_size``,
                ``seed``, ``smoothing``, ``divergence``, ``suggest``.

        Returns:
            The `LearningRateFinding`: rates, losses and a suggested rate.

        Examples:
            >>> import keras
            >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
            >>> trainer = tfs.Trainer(model, "custom", loss="mse", optimizer="sgd")
            >>> x = np.random.default_rng(0).normal(size=(64, 2)).astype("float32")
            >>> finding = trainer.find_learning_rate((x, x[:, :1]), steps=20)
            >>> finding.suggestion > 0
            True
        """
        return find_learning_rate(self, data, **options)

    def __repr__(self) -> str:
        return f"Trainer(model={self._model.name!r}, loop={self.loop!r})"


@contextlib.contextmanager
def _data_errors() -> Iterator[None]:
    """Turn a TensorFlow error met while reading data into tfstarter's own.

    A failed per-batch label check, or a corrupt TFRecord shard, surfaces as
    a TensorFlow error from deep inside a compiled call; this names the
    batch or the file instead (see `tfstarter.data`).
    """
    try:
        yield
    except tf.errors.OpError as error:
        replacement = data_error_from(error)
        if replacement is None:
            raise
        raise replacement from error


def _options(options: TrainerOptions | None, **given: Any) -> TrainerOptions:
    """The Trainer's options: ``options=``, or the keywords, not both."""
    given = {name: value for name, value in given.items() if value is not None}
    if options is None:
        return TrainerOptions(**given)
    if not isinstance(options, TrainerOptions):
        raise ArgumentTypeError(
            f"`options` must be a TrainerOptions, got {describe(options)} of type "
            f"{type(options).__name__}. Pass options=TrainerOptions(...)."
        )
    clashes = [name for name, value in given.items() if getattr(options, name) != value]
    if clashes:
        raise ConfigError(
            f"{', '.join(f'`{n}`' for n in clashes)} given both as keyword and in "
            f"`options` with different values; set each in one place."
        )
    return options


def _default_shuffle(x: Any, y: Any, sample_weight: Any) -> bool:
    """``fit``'s ``shuffle=True`` default, where it does something.

    Arrays are reshuffled every epoch and a ``keras.utils.PyDataset``'s batch
    order too, as in ``fit``; a dataset or a generator cannot be reshuffled
    (Keras warns that it ignores the default there).
    """
    return is_arrays((x, y, sample_weight)) or isinstance(x, keras.utils.PyDataset)


def _optional_positive(name: str, value: int | None) -> int | None:
    return None if value is None else check_positive_int(name, value)


def _resolve_strategy(
    model: keras.Model, strategy: object
) -> tf.distribute.Strategy | None:
    """The strategy to run under: the given one, or the one the model was built in.

    The default strategy (what `auto_strategy` returns on one machine) goes
    with a model built outside any scope: the Trainer then runs plainly.
    """
    built_in = _compat.strategy_of(model)
    if strategy is None:
        return built_in
    if not isinstance(strategy, tf.distribute.Strategy):
        raise ArgumentTypeError(
            f"`strategy` must be a tf.distribute.Strategy, got {describe(strategy)} "
            f"of type {type(strategy).__name__}."
        )
    default = (
        not tf.distribute.has_strategy() and strategy is tf.distribute.get_strategy()
    )
    if built_in is None and default:
        return None  # the default strategy, as auto_strategy() gives on one machine
    if built_in is not strategy:
        raise ConfigError(
            f"`strategy` ({type(strategy).__name__}) is not the strategy `model` "
            f"was created under ({type(built_in).__name__ if built_in else 'none'}). "
            f"Create and compile the model inside `with strategy.scope():`."
        )
    return strategy


def _split_last(
    x: Any, y: Any, sample_weight: Any, fraction: float
) -> tuple[tuple[Any, Any, Any], tuple[Any, Any, Any]]:
    """Hold out the last ``fraction`` of the samples, as ``fit`` does."""
    if not is_arrays((x, y, sample_weight)):
        raise ConfigError(
            f"`validation_split` needs arrays; `x` is {type(x).__name__}. Split "
            f"the data with tfs.data.split(...) and pass validation_data=."
        )
    first = next(leaf for leaf in tf.nest.flatten(x) if leaf is not None)
    rows = int(np.shape(first)[0])
    if math.floor(rows * (1.0 - fraction)) == 0:
        raise ConfigError(
            f"`validation_split={fraction}` of {rows} samples leaves no training "
            f"samples; pass a smaller fraction or more data."
        )
    try:
        train, validation = _compat.train_validation_split(
            (x, y, sample_weight), validation_split=fraction
        )
    except ValueError as error:
        raise DataError(f"`validation_split={fraction}`: {error}") from None
    return tuple(train), tuple(validation)
