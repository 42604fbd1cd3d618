"""The callbacks of a run, and the `Trainer` options that suit them."""

from __future__ import annotations

from typing import Any

import keras

from tfstarter.cli._data import RunData
from tfstarter.cli._epoch_log import EpochExtras
from tfstarter.cli._progress import Progress
from tfstarter.cli._recipe import run_recipe
from tfstarter.cli._run_folder import RunFolder
from tfstarter.cli._signature_call import config_kwargs


def trainer_options(config: Any) -> dict[str, Any]:
    """Return the `Trainer` keyword arguments of a config's ``trainer`` section.

    The section holds the fields of `tfstarter.training.TrainerOptions`, with
    their defaults written out in the resolved config.

    The progress line says it is content with one update per compiled call
    (``batch_hooks_per_call``), as Keras' progress bar is, so under
    ``steps_per_execution="auto"`` the Trainer keeps its fast path.
    """
    import tfstarter as tfs

    return config_kwargs(
        tfs.training.TrainerOptions, config.trainer.as_dict(), skip=frozenset()
    )


def run_callbacks(
    config: Any, folder: RunFolder, data: RunData, *, quiet: bool, resume: bool = False
) -> list[keras.callbacks.Callback]:
    """Return the callbacks of a run, in order.

    The recipe's schedule, `EpochExtras` (learning rate and epoch time into
    the logs), ``CSVLogger`` (``metrics.csv``), ``TensorBoard``, early
    stopping if configured, and the progress line.
    """
    callbacks: list[keras.callbacks.Callback] = [
        *run_recipe(config).callbacks(),
        EpochExtras(),
        # A resumed run goes on writing the rows of the epochs it trains.
        keras.callbacks.CSVLogger(str(folder.metrics), append=resume),
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
