"""`BackupPlan`: when a run writes backups, and the run's own backup object.

The loops ask it after every compiled call and at the end of every epoch
whether a backup is due, and write it through `RunBackup`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from tfstarter.training._backup import Position, Restored, RunBackup
from tfstarter.training._epoch_iterator import EpochIterator
from tfstarter.training._preemption import Preemption

BackupEvery = Literal["epoch"] | int


@dataclass
class BackupPlan:
    """A run's backups: where, how often, and the signal that may stop it.

    Attributes:
        backup: writes and reads the backups.
        every: ``"epoch"`` (at the end of every epoch) or ``N`` (every ``N``
            batches, at the end of the compiled call that reaches it).
        preemption: the SIGTERM / SIGINT the run caught, if any.
        keep: keep the folder after the run finished.
    """

    backup: RunBackup
    every: BackupEvery
    preemption: Preemption = field(default_factory=Preemption)
    keep: bool = False
    _saved_at: int = field(default=0, init=False)

    def load(self) -> Restored | None:
        """The backup to resume from, if the folder holds one of this run."""
        restored = self.backup.load()
        if restored is not None:
            self._saved_at = restored.position.trained
        return restored

    def after_call(self, position: Position, callbacks: Sequence[Any]) -> None:
        """Write a backup if one is due (or a signal came); stop if a signal asked."""
        trained = position.trained
        due = (
            isinstance(self.every, int)
            and trained // self.every > self._saved_at // self.every
        )
        if not (due or self.preemption.requested):
            return
        self._save(position, callbacks)
        if self.preemption.requested:
            self.preemption.stop(describe(position), str(self.backup.directory))

    def after_epoch(self, position: Position, callbacks: Sequence[Any]) -> None:
        """Write the end-of-epoch backup (``every="epoch"``), or stop if asked."""
        if self.every != "epoch" and not self.preemption.requested:
            return
        self._save(position, callbacks)
        if self.preemption.requested:
            self.preemption.stop(describe(position), str(self.backup.directory))

    def _save(self, position: Position, callbacks: Sequence[Any]) -> None:
        self.backup.save(position, callbacks)
        self._saved_at = position.trained

    def finished(self) -> None:
        """The run ended normally: remove the folder unless it is to be kept."""
        if not self.keep:
            self.backup.remove()


def position_of(
    epochs: EpochIterator, *, epoch: int, batch: int, trained: int
) -> Position:
    """Where a run driven by ``epochs`` is, for a backup."""
    iterators, read, seen, held = epochs.state()
    return Position(
        epoch=epoch,
        batch=batch,
        iterators=iterators,
        read=read,
        seen=seen,
        held=held,
        trained=trained,
    )


def describe(position: Position) -> str:
    """The position in the 1-based words of the progress bar.

    Examples:
        >>> describe(Position(2, 40, 3, 40, 40, True, 200))
        'epoch 3, after batch 40'
        >>> describe(Position(3, 0, 3, 0, 0, False, 200))
        'the start of epoch 4'
    """
    if position.batch == 0:
        return f"the start of epoch {position.epoch + 1}"
    return f"epoch {position.epoch + 1}, after batch {position.batch}"
