"""Targets known from how a pipeline was built, so they are checked once, whole.

`tfstarter.data.from_arrays` builds its pipeline from label arrays held in
memory; it remembers them for the exact dataset it returns. When that
dataset reaches the Trainer, `checked_dataset` checks those labels all at
once before the first step, as it does for arrays passed to ``fit``, and
reads the batches unchecked. Any other pipeline, including one derived
from such a dataset (``.map``, ``.take``, ...), is a new object the
registry does not know, and its labels are checked batch by batch.

Why: the batch-by-batch check is a map over the pipeline, and on a CPU its
per-batch cost (a function call and a dozen small ops, 0.1-0.25 ms of CPU
for a batch of 32 on a 2-core machine) is a noticeable share of a short
step; labels that are fixed arrays need it only once.

Examples:
    >>> import numpy as np
    >>> import tensorflow as tf
    >>> ds = tf.data.Dataset.range(3)
    >>> remember_targets(ds, np.array([0, 1, 2])) is ds
    True
    >>> known_targets(ds).tolist(), known_targets(ds.map(lambda i: i))
    ([0, 1, 2], None)
"""

from __future__ import annotations

import weakref
from typing import Any

import numpy as np

_KNOWN: weakref.WeakKeyDictionary[Any, np.ndarray] = weakref.WeakKeyDictionary()


def remember_targets(dataset: Any, targets: np.ndarray) -> Any:
    """Remember that ``dataset`` yields exactly the rows of ``targets``; return it."""
    _KNOWN[dataset] = targets
    return dataset


def known_targets(dataset: Any) -> np.ndarray | None:
    """The targets ``dataset`` was built from, or None when not known."""
    try:
        return _KNOWN.get(dataset)
    except TypeError:  # not weakly referenceable: never remembered
        return None
