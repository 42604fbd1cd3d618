"""Backups: the whole state of a run, so that a killed run resumes exactly.

Why our own code: `keras.callbacks.BackupAndRestore` writes the weights, the
optimizer and ``{epoch, batch}``, but never reads ``batch`` (an interrupted
epoch restarts at batch 0 and its batches are trained twice), keeps no
random-generator or data-order state, and rewrites its file in place (a kill
while it writes leaves a backup that can no longer be read). A `RunBackup`
holds everything an uninterrupted run would go on with:

- the model's variables (weights, batch-norm statistics, the dropout layers'
  seed-generator states), the optimizer's (``iterations``, slots, the
  learning rate) and the metrics' running state;
- Keras' global seed generator, NumPy's and Python's global generators;
- where the run is: the epoch, the batches of it already trained, how many
  iterators of the training data were made and how far the current one was
  read (see `Position`);
- the state of stock callbacks that keep some (EarlyStopping,
  ReduceLROnPlateau, ModelCheckpoint, TensorBoard's step counters, the
  History), and of callbacks of your own (or `LearningRateScheduler`
  schedules) that define ``backup_state()`` and ``restore_state(state)``;
- a fingerprint of the model, the optimizer and the data, so that a backup of
  another run is refused rather than resumed.

It is written through `tf.train.CheckpointManager`: every backup is new
files, published by an atomic update of the ``checkpoint`` index, and the
last `KEEP` are kept; a newest backup that cannot be read falls back to the
one before, with a warning. Under a multi-worker strategy the chief writes
the backup and the other workers write to a temporary folder they delete
(TensorFlow's pattern for ``MultiWorkerMirroredStrategy``).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
import shutil
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from tfstarter.errors import ConfigError, CorruptFileError
from tfstarter.training import _compat

KEEP = 2
"""Backups kept in a backup folder (the newest and the one before)."""

_STOCK_STATE: dict[type, tuple[str, ...]] = {
    keras.callbacks.EarlyStopping: (
        "wait",
        "stopped_epoch",
        "best",
        "best_weights",
        "best_epoch",
    ),
    keras.callbacks.ReduceLROnPlateau: ("wait", "cooldown_counter", "best"),
    keras.callbacks.ModelCheckpoint: (
        "best",
        "_batches_seen_since_last_saving",
        "_last_batch_seen",
        "_current_epoch",
    ),
    keras.callbacks.TensorBoard: (
        "_global_train_batch",
        "_global_test_batch",
        "_previous_epoch_iterations",
    ),
    keras.callbacks.History: ("history", "epoch"),
}


@dataclass(frozen=True)
class Position:
    """Where a run is, in the terms of the loop that writes the backup.

    Attributes:
        epoch: the epoch to go on with.
        batch: batches of ``epoch`` already trained (0: it has not started).
        iterators: iterators of the training data made so far.
        read: batches read from the newest iterator.
        seen: the epoch plan's count for the newest iterator (Keras counts
            whole calls; see `EpochIterator`).
        held: whether the newest iterator was still being read.
        trained: batches trained by the run so far.
    """

    epoch: int
    batch: int
    iterators: int
    read: int
    seen: int
    held: bool
    trained: int


@dataclass
class Restored:
    """A backup that was read, ready to be put back.

    Attributes:
        position: where the run goes on.
        path: the checkpoint it came from.
    """

    position: Position
    path: str
    callbacks: list[dict[str, Any]] = field(repr=False)
    generators: dict[str, Any] = field(repr=False)
    _backup: RunBackup = field(repr=False)

    def apply(self, callbacks: Sequence[Any]) -> None:
        """Put the variables, generators and callback states back."""
        self._backup.restore_variables(self.path)
        np.random.set_state(self.generators["numpy"])
        random.setstate(self.generators["python"])
        for callback, state in zip(_stateful(callbacks), self.callbacks, strict=False):
            _set_callback_state(callback, state)


def _stateful(callbacks: Sequence[Any]) -> list[Any]:
    return [cb for cb in callbacks if _has_state(cb)]


def _state_owner(callback: Any) -> Any:
    """What keeps a callback's own state, if it keeps one.

    A `LearningRateScheduler`'s schedule may (``backup_state()`` /
    ``restore_state(state)``); else the callback itself.
    """
    schedule = getattr(callback, "schedule", None)
    if isinstance(callback, keras.callbacks.LearningRateScheduler) and callable(
        getattr(schedule, "backup_state", None)
    ):
        return schedule
    return callback


def _has_state(callback: Any) -> bool:
    return type(callback) in _STOCK_STATE or callable(
        getattr(_state_owner(callback), "backup_state", None)
    )


def _callback_state(callback: Any) -> dict[str, Any]:
    owner = _state_owner(callback)
    if callable(getattr(owner, "backup_state", None)):
        return {"class": type(callback).__name__, "own": owner.backup_state()}
    return {
        "class": type(callback).__name__,
        "attributes": {
            name: getattr(callback, name, None) for name in _STOCK_STATE[type(callback)]
        },
    }


def _set_callback_state(callback: Any, state: dict[str, Any]) -> None:
    if state["class"] != type(callback).__name__:
        raise ConfigError(
            f"the backup holds the state of a {state['class']} callback where "
            f"this run has a {type(callback).__name__}: pass the same callbacks, "
            f"in the same order, as the run that wrote the backup."
        )
    if "own" in state:
        _state_owner(callback).restore_state(state["own"])
        return
    for name, value in state["attributes"].items():
        setattr(callback, name, value)


def fingerprint(
    model: Any, element_spec: Any, steps_per_epoch: int | None
) -> dict[str, str]:
    """What identifies a run: its model, optimizer and data layout.

    The model by its variables in order (own name, shape, dtype), so the same
    architecture built again (in a notebook, say) matches.

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> sorted(fingerprint(model, None, None))
        ['data', 'model', 'optimizer']
    """

    def digest(value: object) -> str:
        return hashlib.sha256(repr(value).encode()).hexdigest()[:16]

    # Layer names are left out: Keras numbers them per process (dense_1,
    # dense_2, ...), and the same model built again must match its backup.
    variables = [
        (v.path.rpartition("/")[2], tuple(v.shape), str(v.dtype))
        for v in model.variables
    ]
    optimizer = getattr(model, "optimizer", None)
    return {
        "model": digest(variables),
        "optimizer": digest(
            (type(optimizer).__name__, [tuple(v.shape) for v in optimizer.variables])
            if optimizer is not None
            else None
        ),
        "data": digest((str(element_spec), steps_per_epoch)),
    }


class _Meta(tf.train.experimental.PythonState):  # type: ignore[misc]
    """The backup's Python-side state, written inside the checkpoint itself.

    Not a variable: under a multi-worker strategy a string variable would be
    mirrored, which collective ops cannot do; this is plain bytes in the same
    atomic checkpoint.
    """

    def __init__(self) -> None:
        self.value = b""

    def serialize(self) -> bytes:
        """The bytes to write."""
        return self.value

    def deserialize(self, string_value: bytes) -> None:
        """Take the bytes read."""
        self.value = string_value


def _chief(strategy: Any) -> tuple[bool, int]:
    """Whether this process writes the real backup, and its task index."""
    if strategy is None:
        return True, 0
    resolver = getattr(strategy, "cluster_resolver", None)
    task_id = int(getattr(resolver, "task_id", 0) or 0)
    return bool(getattr(strategy.extended, "should_checkpoint", True)), task_id


class RunBackup:
    """Writes and reads the backups of one run in a folder.

    Args:
        directory: the backup folder (made if missing).
        model: the compiled, built model.
        identity: the run's `fingerprint`.
        strategy: a `tf.distribute.Strategy`, or ``None``.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        model: Any,
        identity: dict[str, str],
        strategy: Any = None,
    ) -> None:
        self.directory = Path(directory)
        self.identity = identity
        self.model = model
        chief, task = _chief(strategy)
        self.chief = chief
        self._task = task
        self._meta = _Meta()
        self._checkpoint = tf.train.Checkpoint(**self._groups(), meta=self._meta)
        self._manager: tf.train.CheckpointManager | None = None

    def _groups(self) -> dict[str, Any]:
        model = self.model
        groups = {
            "model": model.variables,
            "metrics": model.metrics_variables,
            "optimizer": model.optimizer.variables if model.optimizer else [],
            "random": _compat.global_seed_variables(),
        }
        return {
            name: tf.train.Checkpoint(
                **{f"v{i}": _compat.backend_variable(v) for i, v in enumerate(values)}
            )
            for name, values in groups.items()
        }

    def _manager_for(self, folder: Path) -> tf.train.CheckpointManager:
        if self._manager is None or Path(self._manager.directory) != folder:
            self._manager = tf.train.CheckpointManager(
                self._checkpoint, str(folder), max_to_keep=KEEP
            )
        return self._manager

    def load(self) -> Restored | None:
        """The newest readable backup of this run, or None if there is none.

        Raises:
            ConfigError: if the folder holds a backup of another run.
            CorruptFileError: if backups exist but none can be read.
        """
        state = tf.train.get_checkpoint_state(str(self.directory))
        if state is None:
            return None
        paths = list(reversed(state.all_model_checkpoint_paths))
        errors: list[str] = []
        for path in paths:
            try:
                meta = self._read_meta(path)
            except (tf.errors.OpError, ValueError, pickle.UnpicklingError) as error:
                errors.append(f"{Path(path).name}: {str(error).splitlines()[0]}")
                continue
            if errors:
                warnings.warn(
                    f"the newest backup in {self.directory} cannot be read "
                    f"({'; '.join(errors)}); going on from the one before, "
                    f"{Path(path).name}.",
                    stacklevel=3,
                )
            self._check_identity(meta["identity"])
            return Restored(
                position=Position(**meta["position"]),
                path=path,
                callbacks=meta["callbacks"],
                generators=meta["generators"],
                _backup=self,
            )
        raise CorruptFileError(
            f"no backup in {self.directory} can be read ({'; '.join(errors)}). "
            f"Delete the folder to start the run again."
        )

    def _read_meta(self, path: str) -> dict[str, Any]:
        holder = _Meta()
        tf.train.Checkpoint(meta=holder).read(path).expect_partial()
        meta: dict[str, Any] = pickle.loads(holder.value)
        # Reading every tensor once makes a damaged data file fail here, not
        # half-way through putting the variables back.
        tf.train.load_checkpoint(path).get_variable_to_shape_map()
        for name in tf.train.list_variables(path):
            tf.train.load_variable(path, name[0])
        return meta

    def _check_identity(self, stored: dict[str, str]) -> None:
        different = [
            key for key in self.identity if stored.get(key) != self.identity[key]
        ]
        if different:
            raise ConfigError(
                f"the backup in {self.directory} is of another run: its "
                f"{', '.join(different)} differ from this one's. Pass another "
                f"backup_dir, or delete this one to start again."
            )

    def restore_variables(self, path: str) -> None:
        """Put every variable of the backup at ``path`` back."""
        # Every variable of this run must come back; the checkpoint's own
        # bookkeeping (save_counter) may stay unread without a warning.
        self._checkpoint.read(path).assert_existing_objects_matched().expect_partial()

    def save(self, position: Position, callbacks: Sequence[Any]) -> None:
        """Write a new backup (on every worker; only the chief's is kept)."""
        meta = {
            "identity": self.identity,
            "position": asdict(position),
            "callbacks": [_callback_state(cb) for cb in _stateful(callbacks)],
            "generators": {"numpy": np.random.get_state(), "python": random.getstate()},
        }
        self._meta.value = pickle.dumps(meta, protocol=4)
        if self.chief:
            self._manager_for(self.directory).save(checkpoint_number=position.trained)
            return
        # Every worker takes part in saving (the variables may be
        # synchronised on read); only the chief's copy is kept.
        scratch = Path(tempfile.mkdtemp(prefix=f"tfstarter-backup-worker{self._task}-"))
        try:
            self._manager_for(scratch).save(checkpoint_number=position.trained)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def remove(self) -> None:
        """Delete the backup folder (after a run that finished)."""
        if self.chief:
            shutil.rmtree(self.directory, ignore_errors=True)
