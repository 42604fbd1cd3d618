"""The custom loop's epoch plan equals Keras' own, call for call and batch for batch.

Keras' ``TFEpochIterator`` is the reference: a driver that runs each of its
calls the way Keras' compiled function does (up to ``steps_per_execution``
batches, fewer when the data ends, a ``StopIteration`` when none is left)
records which batches each call reads and which indices its hooks get. Our
`EpochIterator`, driven the way the custom loop drives it, must record the
same, for data of known, unknown and endless length, with and without
``steps_per_epoch``, over several epochs.
"""

from __future__ import annotations

import warnings

import hypothesis.strategies as st
import keras
import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from keras.src.backend.tensorflow.trainer import TFEpochIterator

from tfstarter.training._epoch_iterator import Call, EpochIterator


def _dataset(batches: int, kind: str) -> tf.data.Dataset:
    data = tf.data.Dataset.range(batches)
    if kind == "unknown":
        return data.filter(lambda i: i >= 0)
    if kind == "endless":
        return data.repeat()
    return data


class _Counted:
    """Counts the iterators made of a dataset (Keras calls ``iter()`` on it)."""

    def __init__(self, monkeypatch, dataset):
        self.count = 0
        original = type(dataset).__iter__

        def counting(ds):
            if ds is dataset:
                self.count += 1
            return original(ds)

        monkeypatch.setattr(type(dataset), "__iter__", counting)


def _keras_record(dataset, steps_per_epoch, per_call, epochs):
    iterator = TFEpochIterator(
        x=dataset,
        steps_per_epoch=steps_per_epoch,
        steps_per_execution=per_call,
        distribute_strategy=tf.distribute.get_strategy(),
    )
    iterator.reset()
    record = []
    for _ in range(epochs):
        epoch = []
        with iterator.catch_stop_iteration():
            for begin, end, it in iterator:
                read = []
                for _ in range(per_call):
                    optional = it.get_next_as_optional()
                    if not bool(optional.has_value()):
                        break
                    read.append(int(optional.get_value()))
                if not read:
                    raise StopIteration
                epoch.append((begin, end, read))
        record.append(epoch)
    return record


def _our_record(dataset, steps_per_epoch, per_call, epochs):
    iterator = EpochIterator(dataset, steps_per_epoch, per_call)
    record = []
    for _ in range(epochs):
        epoch = []
        for call, it in iterator.epoch():
            count = call.steps if call.steps is not None else call.limit
            read = []
            for _ in range(count):
                optional = it.get_next_as_optional()
                if not bool(optional.has_value()):
                    assert call.steps is None, "a call of known length ran short"
                    break
                read.append(int(optional.get_value()))
            if not read:
                iterator.ran_out()
                break
            epoch.append((call.begin, call.end, read))
        record.append(epoch)
    return record


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    batches=st.integers(1, 9),
    kind=st.sampled_from(["known", "unknown", "endless"]),
    steps_per_epoch=st.one_of(st.none(), st.integers(1, 12)),
    per_call=st.integers(1, 5),
    epochs=st.integers(1, 4),
)
def test_the_plan_equals_keras(  # noqa: PLR0917
    monkeypatch, batches, kind, steps_per_epoch, per_call, epochs
):
    if kind == "endless" and steps_per_epoch is None:
        return  # Keras would loop forever; the Trainer refuses it up front
    dataset = _dataset(batches, kind)
    counter = _Counted(monkeypatch, dataset)
    with warnings.catch_warnings(record=True) as keras_warnings:
        warnings.simplefilter("always")
        expected = _keras_record(dataset, steps_per_epoch, per_call, epochs)
    keras_iterators, counter.count = counter.count, 0
    with warnings.catch_warnings(record=True) as our_warnings:
        warnings.simplefilter("always")
        got = _our_record(dataset, steps_per_epoch, per_call, epochs)
    assert got == expected
    assert len(our_warnings) == len(keras_warnings)
    # As many iterators as Keras makes: a pipeline that draws a new order per
    # iterator then gives both loops the same orders.
    assert counter.count == keras_iterators > 0


def test_calls_of_known_length_say_how_many_batches_they_run():
    iterator = EpochIterator(tf.data.Dataset.range(5), None, 2)
    calls = [call for call, _ in iterator.epoch()]
    assert calls == [
        Call(0, 1, 2, 2),
        Call(2, 3, 2, 2),
        Call(4, 5, 1, 2, reaches_end=True),
    ]


def test_max_steps_per_epoch_caps_like_fit():
    keras.config.set_max_steps_per_epoch(2)
    try:
        with pytest.warns(UserWarning, match="Limiting steps_per_epoch to 2"):
            iterator = EpochIterator(tf.data.Dataset.range(9), None, 1)
        assert iterator.num_batches == 2
        assert len(list(iterator.epoch())) == 2
    finally:
        keras.config.set_max_steps_per_epoch(None)
