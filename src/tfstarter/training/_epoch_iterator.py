"""`EpochIterator`: one object owns the epoch, for the custom loop.

Separation of concerns (as in ``keras/src/trainers/epoch_iterator.py``, whose
rules this follows to the batch):

- the `Trainer` turns what the user passed into one batched
  ``tf.data.Dataset`` (``_data.py``);
- the epoch iterator knows how many batches an epoch reads (the data's
  length, ``steps_per_epoch``, ``keras.config.set_max_steps_per_epoch``),
  which iterator they come from (a new one per epoch, or one that carries
  over between epochs under ``steps_per_epoch``), and cuts the epoch into
  compiled calls of at most ``steps_per_execution`` steps (each a `Call`),
  with the batch indices the hooks report;
- the engine's compiled functions run a call's steps;
- the loop calls the hooks around each call.

Why our own code: Keras' ``EpochIterator`` builds its own data adapter from
raw arrays and leaves the length of a short call to its compiled function,
which reads every batch as an optional to find out. Ours knows the length of
every call of data whose length is known, so those calls read exactly that
many batches without optionals (faster), and only data of unknown length runs
the optional form. ``tests/training/test_epoch_iterator.py`` checks the plan
against Keras' own iterator.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import keras
import tensorflow as tf

_RAN_OUT = (
    "Your input ran out of data; interrupting training. Make sure that your "
    "dataset or generator can generate at least `steps_per_epoch * epochs` "
    "batches. You may need to use the `.repeat()` function when building your "
    "dataset."
)


@dataclass(frozen=True)
class Call:
    """One compiled call: the batches it runs and the indices the hooks report.

    Attributes:
        begin: index of its first batch in the epoch (``on_*_batch_begin``).
        end: ``begin + steps_per_execution - 1`` (``on_*_batch_end``), as in
            Keras, also for a short last call.
        steps: how many batches it runs; ``None`` for data of unknown length:
            up to ``limit``, until the data runs out.
        limit: ``steps_per_execution``.
        reaches_end: whether its last batch is the last of finite data of
            known length (a batch that may be short).

    Examples:
        >>> Call(begin=4, end=7, steps=2, limit=4).steps
        2
    """

    begin: int
    end: int
    steps: int | None
    limit: int
    reaches_end: bool = False


def data_length(dataset: tf.data.Dataset) -> int | None:
    """The number of batches of ``dataset``: ``-1`` endless, ``None`` unknown.

    Examples:
        >>> data_length(tf.data.Dataset.range(10).batch(4))
        3
        >>> data_length(tf.data.Dataset.range(3).repeat())
        -1
        >>> data_length(tf.data.Dataset.range(9).filter(lambda i: i > 2)) is None
        True
    """
    cardinality = int(dataset.cardinality())
    if cardinality == tf.data.UNKNOWN_CARDINALITY:
        return None
    if cardinality == tf.data.INFINITE_CARDINALITY:
        return -1
    return cardinality


def capped_steps_per_epoch(
    steps_per_epoch: int | None, *, warn: bool = True
) -> int | None:
    """``steps_per_epoch`` capped by ``keras.config.set_max_steps_per_epoch``.

    Warns as ``fit`` does when the cap applies (unless ``warn=False``).

    Examples:
        >>> capped_steps_per_epoch(5)
        5
    """
    cap = keras.config.max_steps_per_epoch()
    if cap and (not steps_per_epoch or cap < steps_per_epoch):
        if warn:
            warnings.warn(f"Limiting steps_per_epoch to {cap}", stacklevel=3)
        return int(cap)
    return steps_per_epoch


@dataclass(frozen=True)
class Passes:
    """How an `EpochIterator` will read a dataset: what fixes its plan.

    Attributes:
        steps: batches per epoch (``steps_per_epoch``, or ``steps`` of
            ``evaluate`` / ``predict``), after Keras' cap; ``None``: until
            the data ends.
        batches: the data's length in batches (`data_length`): ``-1``
            endless, ``None`` unknown.
        carries_over: whether one iterator carries over from epoch to epoch
            (``fit``'s training data); else every pass starts anew
            (``evaluate``, ``predict``, validation).

    Examples:
        >>> Passes.of(tf.data.Dataset.range(10).batch(2), 3).batches
        5
    """

    steps: int | None
    batches: int | None
    carries_over: bool = True

    @classmethod
    def of(
        cls, dataset: tf.data.Dataset, steps: int | None, *, carries_over: bool = True
    ) -> Passes:
        """The passes over ``dataset`` with ``steps`` per epoch."""
        return cls(
            capped_steps_per_epoch(steps, warn=False),
            data_length(dataset),
            carries_over,
        )

    def same_with(self, steps_per_execution: int) -> bool:
        """Whether that many steps per call read as one step per call does.

        The same batches in each epoch, and Keras' "ran out of data" warning
        in the same epochs. In Keras' plan an epoch of ``steps`` makes calls
        of ``steps_per_execution`` steps from batch 0, each running its steps
        while data is left (past ``steps`` if it does not divide them), and
        warns when a call would begin after the data ran out. One step per
        call runs ``min(steps, left)`` batches and warns whenever fewer than
        ``steps`` were left. With ``n`` steps per call that is the same when
        ``n`` divides ``steps`` and, in an epoch where only ``r < steps``
        batches are left, a call still begins after them (``n <= steps -
        r``). Data of unknown length may end inside any call: only one step
        per call finds its end where one step per call does.

        Examples:
            >>> Passes(steps=7, batches=5).same_with(7)  # no call after the end
            False
            >>> Passes(steps=6, batches=16).same_with(2)  # 4 left in epoch 3
            True
            >>> Passes(steps=6, batches=16).same_with(3)
            False
        """
        n, steps, batches = steps_per_execution, self.steps, self.batches
        if n == 1 or steps is None:
            return True
        if steps % n:
            return False
        if batches is None:
            return False
        if batches < 0:
            return True
        left = batches % steps if self.carries_over else batches
        return left == 0 or left >= steps or n <= steps - left


class EpochIterator:
    """Cuts each epoch of a dataset into compiled calls, as Keras ``fit`` does.

    Args:
        dataset: the batched data.
        steps_per_epoch: batches per epoch, or ``None`` (until the data ends).
            With it, one iterator carries over from epoch to epoch until the
            data runs out (then a new one starts with the next epoch), and an
            epoch that runs out early ends there, with Keras' warning.
        steps_per_execution: batches per compiled call.
        make_iterator: makes an iterator of ``dataset`` (e.g. distributed).

    Examples:
        >>> epochs = EpochIterator(tf.data.Dataset.range(10).batch(2), None, 2)
        >>> [(c.begin, c.end, c.steps) for c, _ in epochs.epoch()]
        [(0, 1, 2), (2, 3, 2), (4, 5, 1)]
    """

    def __init__(
        self,
        dataset: tf.data.Dataset,
        steps_per_epoch: int | None,
        steps_per_execution: int,
        make_iterator: Callable[[tf.data.Dataset], Any] = iter,
    ) -> None:
        self.dataset = dataset
        self.steps_per_epoch = capped_steps_per_epoch(steps_per_epoch)
        self.steps_per_execution = steps_per_execution
        self._make_iterator = make_iterator
        length = data_length(dataset)
        self._endless = length == -1
        self._length = None if length is None or length < 0 else length
        self._num_batches = self._length
        self._iterator: Any = None
        self._seen = 0
        self._read = 0
        self._iterators = 0
        self._start = 0

    @property
    def num_batches(self) -> int | None:
        """Batches per epoch, when known (the progress bar's ``steps``)."""
        return self.steps_per_epoch or self._num_batches

    @property
    def known_length(self) -> bool:
        """Whether every call's number of steps is known before it runs."""
        return self._length is not None or self._endless

    def reset(self) -> None:
        """Start over: a new iterator on next use (``evaluate`` does this)."""
        self._iterator = None
        self._num_batches = self._length
        self._seen = 0

    def _new_iterator(self) -> Any:
        self._iterators += 1
        self._read = 0
        return self._make_iterator(self.dataset)

    def state(self) -> tuple[int, int, int, bool]:
        """``(iterators made, batches read from the newest, its count, held)``.

        What a backup needs to put the data stream back where it was: see
        `restore`.
        """
        return self._iterators, self._read, self._seen, self._iterator is not None

    def restore(
        self, *, iterators: int, read: int, seen: int, held: bool, batch: int
    ) -> None:
        """Put the data stream back where `state` said; the epoch goes on at ``batch``.

        Iterators are made (and dropped) as often as before, so a pipeline
        that draws a new order every time it is iterated (a seeded
        ``shuffle``, `tfstarter.data`'s pipelines) gets to the same order;
        the iterator that was being read is made again and the batches
        already read are skipped.
        """
        for _ in range(iterators - 1 if held else iterators):
            self._make_iterator(self.dataset)
        self._iterators = iterators
        self._iterator = None
        if held:
            iterator = self._make_iterator(self.dataset)
            for _ in range(read):
                next(iterator)
            self._iterator = iterator
        self._read = read
        self._seen = seen
        self._start = batch

    def _call(self, begin: int) -> Call:
        per_call = self.steps_per_execution
        end = begin + per_call - 1
        if self._endless:
            return Call(begin, end, per_call, per_call)
        if self._length is None:
            return Call(begin, end, None, per_call)
        steps = min(per_call, self._length - self._seen)
        return Call(begin, end, steps, per_call, self._seen + steps == self._length)

    def epoch(self) -> Iterator[tuple[Call, Any]]:
        """Yield ``(call, iterator)`` for each compiled call of one epoch."""
        per_call = self.steps_per_execution
        steps = self.steps_per_epoch or self._num_batches or -1
        start, self._start = self._start, 0
        if steps > 0:
            resumed = start > 0 and self._iterator is not None
            if not resumed and (self._iterator is None or self.steps_per_epoch is None):
                self._iterator = self._new_iterator()
                self._seen = 0
            for begin in range(start, steps, per_call):
                if self._num_batches and self._seen >= self._num_batches:
                    if self.steps_per_epoch:
                        warnings.warn(_RAN_OUT, stacklevel=2)
                    break
                call = self._call(begin)
                self._seen += per_call
                self._read += call.steps or 0
                yield call, self._iterator
            if self._num_batches and self._seen >= self._num_batches:
                # As Keras does: the next pass's iterator is made now (and,
                # without steps_per_epoch, replaced by the next epoch's), so
                # a pipeline that draws a new order per iterator gets the
                # same orders under both loops.
                self._iterator = self._new_iterator()
                self._seen = 0
            return
        iterator = self._new_iterator()
        begin = 0
        while True:
            self._seen = begin + per_call
            yield self._call(begin), iterator
            begin += per_call

    def ran_out(self) -> None:
        """Note that a call found no data left: the epoch ends, as in Keras.

        The first time, data of unknown length learns its length from it.
        """
        if self._num_batches is None:
            self._num_batches = self._seen
        warnings.warn(_RAN_OUT, stacklevel=2)
        self._iterator = None
