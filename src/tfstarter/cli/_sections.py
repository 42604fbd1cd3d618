"""The config sections of ``tfstarter train`` that are not a library signature.

``model`` takes the arguments of a builder (``tfstarter.models.cnn``, ...),
``trainer`` those of `tfstarter.Trainer` and ``export`` those of
`tfstarter.export.bundle`: the command reads them from the signatures. The
data source, the fit options and the backups are described here, as typed
dataclasses the parser reads its options from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from tfstarter.models._recipes import Schedule

Source = Literal[
    "mnist",
    "fashion_mnist",
    "csv",
    "images",
    "tfrecord",
    "npz",
    "synthetic_regression",
    "synthetic_classification",
]

ColorMode = Literal["rgb", "grayscale", "rgba"]


@dataclass
class DataConfig:
    """Where the data comes from and how it is fed.

    Args:
        source: ``mnist`` or ``fashion_mnist`` (built-in, with their test
            sets); ``csv`` (a file with a header line and a ``label``
            column); ``images`` (a folder with one subfolder per class);
            ``tfrecord`` (a folder written by ``tfs.data.write_tfrecord``);
            ``npz`` (arrays ``x_train``, ``y_train`` and optionally
            ``x_test``, ``y_test``; or ``x``, ``y``);
            ``synthetic_regression`` or ``synthetic_classification``
            (a known linear rule, for first tries).
        path: the file or folder of a csv, images, tfrecord or npz source.
        test_path: a separate test file or folder of the same kind; without
            it ``test_split`` of the data is held out for testing.
        label: the label column of a CSV file.
        task: ``classification``, ``regression``, or ``auto``: classification
            for integer or named labels, regression otherwise.
        limit: use only the first N training samples (a quick try).
        test_limit: use only the first N test samples.
        validation_split: the share of the training samples held out for
            validation (stratified for classes). Default: the recipe's, else
            0.1.
        test_split: the share held out for testing when the source has no
            test set.
        batch_size: samples per batch. Default: the recipe's, else 32.
        normalize: standardize the inputs inside the model with the mean and
            variance of the training split (the builders' ``normalize=``),
            so the saved model takes raw inputs.
        data_dir: where ``mnist/`` and ``fashion-mnist/`` are; default
            ``$TFSTARTER_DATA_DIR``, then the Keras cache.
        image_size: ``[height, width]`` to resize folder images to.
        color_mode: ``rgb``, ``grayscale`` or ``rgba`` for folder images.
        samples: the number of samples of a synthetic source.
        features: the number of features of a synthetic source.
        classes: the number of classes of ``synthetic_classification``.
        noise: the noise of a synthetic source: the standard deviation added
            to regression targets, or the share of flipped labels.
    """

    source: Source = "mnist"
    path: str | None = None
    test_path: str | None = None
    label: str | None = None
    task: Literal["auto", "classification", "regression"] = "auto"
    limit: int | None = None
    test_limit: int | None = None
    validation_split: float | None = None
    test_split: float = 0.2
    batch_size: int | None = None
    normalize: bool = False
    data_dir: str | None = None
    image_size: tuple[int, int] | None = None
    color_mode: ColorMode = "rgb"
    samples: int = 1000
    features: int = 4
    classes: int = 2
    noise: float = 0.0


@dataclass
class EarlyStoppingConfig:
    """Stop when the monitored metric stops improving (`keras.callbacks.EarlyStopping`).

    Args:
        monitor: the metric to watch, e.g. ``val_loss`` or ``val_accuracy``.
        patience: epochs without improvement before stopping.
        min_delta: the smallest change that counts as an improvement.
        restore_best_weights: end with the weights of the best epoch.
    """

    monitor: str = "val_loss"
    patience: int = 3
    min_delta: float = 0.0
    restore_best_weights: bool = True


@dataclass
class FitConfig:
    """How long and on what schedule to train.

    Args:
        epochs: passes over the training data. Default: the recipe's, else
            10.
        schedule: the learning-rate schedule: ``constant``, ``cosine`` (per
            epoch, from the peak down to almost 0) or ``one_cycle`` (per
            batch, a warm-up to the peak, then down to almost 0). Default:
            the recipe's, else ``constant``.
        learning_rate: the schedule's peak rate; ``null`` uses the
            optimizer's rate (``model.init_args.learning_rate``). Default:
            the recipe's.
        warmup: for ``one_cycle``, the share of the batches spent rising to
            the peak. Default: the recipe's, else 0.25.
        shift: shift each training image by up to this many pixels along
            each axis, at random (0: no augmentation). Default: the
            recipe's, else 0.
        flip: mirror each training image left-right, at random (for
            clothing and objects, never for digits or text). Default: the
            recipe's, else ``false``.
        early_stopping: stop early when validation stops improving; ``null``
            trains every epoch.
        tensorboard: write TensorBoard logs to the run's ``tensorboard/``.
        backup_every: write a backup to the run's ``backup/`` at the end of
            every epoch (``epoch``), or every ``N`` batches; ``null``: none.
            ``tfstarter train --resume RUN`` goes on from it after a kill,
            ending exactly where an uninterrupted run would.
    """

    epochs: int | None = None
    schedule: Schedule | None = None
    learning_rate: float | None = None
    warmup: float | None = None
    shift: int | None = None
    flip: bool | None = None
    early_stopping: EarlyStoppingConfig | None = None
    tensorboard: bool = True
    backup_every: Literal["epoch"] | int | None = "epoch"
