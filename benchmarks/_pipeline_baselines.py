"""Hand-written ``tf.data`` pipelines that `pipeline.py` measures tfstarter against.

Each is what a careful user would write by hand for the same files, without
tfstarter: no checks, no schema, just the reading and parsing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE


def csv_by_batch(path: str, n_columns: int, batch_size: int) -> tf.data.Dataset:
    """Lines -> batches -> one ``tf.io.decode_csv`` per batch (all columns float)."""
    defaults = [tf.constant(np.nan, tf.float32)] * n_columns

    def parse(lines: Any) -> Any:
        fields = tf.io.decode_csv(lines, defaults)
        return tf.stack(fields[:-1], axis=1), tf.cast(fields[-1], tf.int64)

    return (
        tf.data.TextLineDataset(path)
        .skip(1)
        .batch(batch_size)
        .map(parse, num_parallel_calls=AUTOTUNE)
        .prefetch(AUTOTUNE)
    )


def csv_make_csv_dataset(path: str, label: str, batch_size: int) -> tf.data.Dataset:
    """``tf.data.experimental.make_csv_dataset``, the tutorials' one-liner."""
    return tf.data.experimental.make_csv_dataset(
        path,
        batch_size=batch_size,
        label_name=label,
        num_epochs=1,
        shuffle=False,
        num_parallel_reads=AUTOTUNE,
    )


def tfrecord_by_batch(
    files: Sequence[str], shape: Sequence[int], batch_size: int
) -> tf.data.Dataset:
    """Parallel reads, then ``parse_example`` + ``decode_raw`` per batch."""
    spec = {
        "f0": tf.io.FixedLenFeature([], tf.string),
        "f1": tf.io.FixedLenFeature([], tf.string),
    }

    def parse(records: Any) -> Any:
        parsed = tf.io.parse_example(records, spec)
        images = tf.io.decode_raw(parsed["f0"], tf.uint8)
        labels = tf.io.decode_raw(parsed["f1"], tf.uint8)
        return tf.reshape(images, [-1, *shape]), tf.reshape(labels, [-1])

    return (
        tf.data.TFRecordDataset(list(files), num_parallel_reads=AUTOTUNE)
        .batch(batch_size)
        .map(parse, num_parallel_calls=AUTOTUNE)
        .prefetch(AUTOTUNE)
    )


def tfrecord_by_record(
    files: Sequence[str], shape: Sequence[int], batch_size: int
) -> tf.data.Dataset:
    """The tutorial pattern: ``parse_single_example`` per record, then batch."""
    spec = {
        "f0": tf.io.FixedLenFeature([], tf.string),
        "f1": tf.io.FixedLenFeature([], tf.string),
    }

    def parse(record: Any) -> Any:
        parsed = tf.io.parse_single_example(record, spec)
        image = tf.reshape(tf.io.decode_raw(parsed["f0"], tf.uint8), shape)
        return image, tf.io.decode_raw(parsed["f1"], tf.uint8)[0]

    return (
        tf.data.TFRecordDataset(list(files), num_parallel_reads=AUTOTUNE)
        .map(parse, num_parallel_calls=AUTOTUNE)
        .batch(batch_size)
        .prefetch(AUTOTUNE)
    )
