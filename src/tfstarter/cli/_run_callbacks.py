"""The callbacks of a run, and the `Trainer` options that suit them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import keras

from tfstarter.cli._data import RunData
from tfstarter.cli._epoch_log import EpochExtras
from tfstarter.cli._parsers import TRAINER_FROM_MODEL
from tfstarter.cli._progress import Progress
from tfstarter.cli._recipe import run_recipe
from tfstarter.cli._run_folder import RunFolder
from tfstarter.cli._signature_call import config_kwargs


def trainer_options(
    config: Any, callbacks: Sequence[keras.callbacks.Callback] = ()
) -> dict[str, Any]:
    """Return the `Trainer` keyword arguments of a config.

    ``steps_per_execution="auto"`` is decided as the Trainer would decide it
    without the progress line: one step per compiled call if another of
    ``callbacks`` listens to the batch hooks (a per-batch learning-rate
    schedule), else several. The progress line itself is content with one
    update per compiled call, as Keras' progress bar is, so it must not cost
    the fast path.
    """
    import tfstarter as tfs
    from tfstarter.training._callbacks import TRAIN_BATCH_HOOKS
    from tfstarter.training._executions import batch_hooks_heard

    options = config_kwargs(
        tfs.Trainer, config.trainer.as_dict(), skip=TRAINER_FROM_MODEL
    )
    if options.get("steps_per_execution") == "auto":
        others = [c for c in callbacks if not isinstance(c, Progress)]
        heard = batch_hooks_heard(others, TRAIN_BATCH_HOOKS)
        options["steps_per_execution"] = (
            1 if heard else tfs.training.AUTO_STEPS_PER_EXECUTION
        )
    return options


def run_callbacks(
    config: Any, folder: RunFolder, data: RunData, *, quiet: bool
) -> list[keras.callbacks.Callback]:
    """Return the callbacks of a run, in order.

    The recipe's schedule, `EpochExtras` (learning rate and epoch time into
    the logs), ``CSVLogger`` (``metrics.csv``), ``TensorBoard``, early
    stopping if configured, and the progress line.
    """
    callbacks: list[keras.callbacks.Callback] = [
        *run_recipe(config).callbacks(),
        EpochExtras(),
        keras.callbacks.CSVLogger(str(folder.metrics)),
    ]
    if config["fit.tensorboard"]:
        callbacks.append(
            keras.callbacks.TensorBoard(
                log_dir=str(folder.tensorboard), write_graph=False, profile_batch=0
            )
        )
    stopping = config["fit.early_stopping"]
    if stopping is not None:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=stopping.monitor,
                patience=stopping.patience,
                min_delta=stopping.min_delta,
                restore_best_weights=stopping.restore_best_weights,
            )
        )
    callbacks.append(
        Progress(
            batch_size=config["data.batch_size"],
            samples=len(data.x_train),
            live=not quiet,
        )
    )
    return callbacks
