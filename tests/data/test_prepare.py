"""The shared cache / shuffle / batch / prefetch step, through `from_arrays`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import tensorflow as tf

import tfstarter as tfs
from tfstarter.data._prepare import Plan, prepare


def test_disk_cache_writes_files_and_runs_map_once(tmp_path: Path) -> None:
    calls = tf.Variable(0)

    def count(x: tf.Tensor) -> tf.Tensor:
        calls.assign_add(1)
        return x + 1

    prefix = tmp_path / "cache"
    ds = tfs.data.from_arrays(
        np.arange(6), batch_size=4, map=count, cache=prefix, shuffle=True, seed=0
    )
    epochs = [
        sorted(np.concatenate(list(ds.as_numpy_iterator())).tolist()) for _ in range(3)
    ]
    assert epochs == [[1, 2, 3, 4, 5, 6]] * 3
    assert int(calls.numpy()) == 6
    assert any(p.name.startswith("cache") for p in tmp_path.iterdir())


def test_prefetch_settings_do_not_change_the_data() -> None:
    x = np.arange(10)
    expected = [
        b.tolist() for b in tfs.data.from_arrays(x, batch_size=3).as_numpy_iterator()
    ]
    for prefetch in (False, 1, 4):
        ds = tfs.data.from_arrays(x, batch_size=3, prefetch=prefetch)
        assert [b.tolist() for b in ds.as_numpy_iterator()] == expected


def test_batch_functions_run_after_batching_and_before_post_batch_steps() -> None:
    plan = Plan(
        batch_size=2,
        batch_fn=lambda batch: batch * 10,
        post_batch=(lambda batch: batch + 1,),
        cardinality=5,
    )
    ds = prepare(tf.data.Dataset.range(5), plan)
    assert [b.tolist() for b in ds.as_numpy_iterator()] == [[1, 11], [21, 31], [41]]
    assert int(ds.cardinality()) == 3


def test_cached_batch_functions_are_decoded_once_and_unbatched() -> None:
    plan = Plan(batch_size=4, batch_fn=lambda batch: batch * 2, cache=True)
    ds = prepare(tf.data.Dataset.range(6), plan)
    assert [b.tolist() for b in ds.as_numpy_iterator()] == [[0, 2, 4, 6], [8, 10]]
