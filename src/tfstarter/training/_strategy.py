"""Choose the `tf.distribute` strategy the environment asks for.

`auto_strategy` reads the ``TF_CONFIG`` environment variable (what
``python -m tfstarter.launch`` and cluster tools such as Kubernetes' TFJob set
on every worker) and the visible GPUs:

* ``TF_CONFIG`` names two or more tasks (workers, optionally a chief):
  `tf.distribute.MultiWorkerMirroredStrategy`;
* else two or more GPUs are visible: `tf.distribute.MirroredStrategy`;
* else the default strategy, ``tf.distribute.get_strategy()``.

Why our own code: TensorFlow has no such chooser, and its own checks of
``TF_CONFIG`` never name the variable: a typo in the JSON is a bare
``JSONDecodeError``, a missing task reads "When `cluster_spec` is given, you
must also specify `task_type` and `task_id`", an index out of range "The
`task_id` 2 exceeds the maximum id of worker". So the variable is checked
here first, and every problem is a `tfstarter.errors.ConfigError` that names
``TF_CONFIG``, shows its value and gives an example to copy.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import tensorflow as tf

from tfstarter.errors import ConfigError

__all__ = ["auto_strategy"]

_SUPPORTED_JOBS = ("chief", "worker")
_EXAMPLE = (
    '{"cluster": {"worker": ["host1:12345", "host2:12345"]}, '
    '"task": {"type": "worker", "index": 0}}'
)
_MAX_SHOWN = 400

_made: dict[str, tf.distribute.Strategy] = {}


@dataclass(frozen=True)
class _Cluster:
    """The validated content of ``TF_CONFIG``."""

    jobs: dict[str, list[str]]
    task_type: str
    task_index: int

    @property
    def size(self) -> int:
        return sum(len(addresses) for addresses in self.jobs.values())


def _fail(text: str, problem: str) -> ConfigError:
    shown = text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."
    return ConfigError(
        f"TF_CONFIG {problem}; got TF_CONFIG={shown!r}. Set it to JSON such as "
        f"{_EXAMPLE} (worker 0 is the chief; each host gets its own task index), "
        f"or unset it to train in one process."
    )


def _parse_tf_config(text: str) -> _Cluster:
    """Validate ``TF_CONFIG`` and return its cluster and task.

    Examples:
        >>> _parse_tf_config(
        ...     '{"cluster": {"worker": ["a:1", "b:2"]},'
        ...     ' "task": {"type": "worker", "index": 1}}'
        ... ).size
        2
    """
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise _fail(text, f"is not valid JSON ({err})") from None
    if not isinstance(config, dict):
        raise _fail(text, f"must be a JSON object, not {type(config).__name__}")
    cluster = config.get("cluster")
    if not isinstance(cluster, dict) or not cluster:
        raise _fail(text, "has no 'cluster' object naming the workers")
    jobs: dict[str, list[str]] = {}
    for job, addresses in cluster.items():
        if job not in _SUPPORTED_JOBS:
            raise _fail(
                text,
                f"names a {job!r} job; Keras 3 trains with "
                f"MultiWorkerMirroredStrategy, whose cluster has only 'worker' "
                f"(and optionally one 'chief') tasks - no parameter servers "
                f"('ps') or side-car 'evaluator'",
            )
        if (
            not isinstance(addresses, list)
            or not addresses
            or not all(_is_address(address) for address in addresses)
        ):
            raise _fail(
                text,
                f"cluster[{job!r}] must be a non-empty list of 'host:port' "
                f"strings, got {addresses!r}",
            )
        jobs[job] = addresses
    if len(jobs.get("chief", [])) > 1:
        raise _fail(text, "names more than one 'chief'")
    task = config.get("task")
    if not isinstance(task, dict):
        raise _fail(text, "has no 'task' object saying which worker this process is")
    task_type = task.get("type")
    if task_type not in jobs:
        raise _fail(
            text,
            f"task type {task_type!r} is not a job of the cluster "
            f"(jobs: {sorted(jobs)})",
        )
    index = task.get("index")
    count = len(jobs[task_type])
    if isinstance(index, bool) or not isinstance(index, int):
        raise _fail(text, f"task index must be an integer, got {index!r}")
    if not 0 <= index < count:
        raise _fail(
            text,
            f"task index {index} is out of range for the {count} "
            f"{task_type!r} task(s) (valid: 0 to {count - 1})",
        )
    return _Cluster(jobs=jobs, task_type=task_type, task_index=index)


def _is_address(value: object) -> bool:
    if not isinstance(value, str):
        return False
    host, _, port = value.rpartition(":")
    return bool(host) and port.isdigit() and 0 < int(port) < 65536


def auto_strategy() -> tf.distribute.Strategy:
    """Return the `tf.distribute.Strategy` this process should train under.

    * ``TF_CONFIG`` set and naming more than one task:
      `tf.distribute.MultiWorkerMirroredStrategy` (synchronous data
      parallelism over every worker's devices; collective all-reduce over
      gRPC). Call this first thing in the script, before any other
      TensorFlow work: TensorFlow configures collective ops when the strategy
      is made. Every later call in the same process returns the same object.
    * else more than one GPU visible: `tf.distribute.MirroredStrategy` over
      all of them.
    * else: ``tf.distribute.get_strategy()``, the default strategy (or the one
      whose ``scope()`` is open).

    Build and compile the model inside ``strategy.scope()``. Under several
    replicas each step's batch is split between them, so batch the dataset
    with the *global* batch size (``per_replica * strategy.num_replicas_in_sync``).

    Returns:
        The strategy.

    Raises:
        ConfigError: ``TF_CONFIG`` is not valid JSON, has no ``cluster`` or
            ``task``, names a job Keras 3 cannot train with (``ps``,
            ``evaluator``), or its task type or index is not in the cluster.
            The message shows the value and an example to copy.

    Examples:
        Without ``TF_CONFIG``, on a machine with at most one GPU:

        >>> import keras
        >>> strategy = auto_strategy()
        >>> strategy.num_replicas_in_sync
        1
        >>> with strategy.scope():
        ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])

        The same script on two hosts: each host sets its own task index, then
        runs the script unchanged (``auto_strategy()`` now returns a
        `tf.distribute.MultiWorkerMirroredStrategy`)::

            # host1
            TF_CONFIG='{"cluster": {"worker": ["host1:12345", "host2:12345"]},
                        "task": {"type": "worker", "index": 0}}' python train.py
            # host2: the same with "index": 1

        Or two workers on this machine, free ports chosen for you::

            python -m tfstarter.launch --workers 2 -- train.py
    """
    text = os.environ.get("TF_CONFIG", "")
    if text.strip():
        cluster = _parse_tf_config(text)
        if cluster.size > 1:
            return _multi_worker(text)
    if len(tf.config.list_logical_devices("GPU")) > 1:
        return tf.distribute.MirroredStrategy()
    strategy: tf.distribute.Strategy = tf.distribute.get_strategy()
    return strategy


def _multi_worker(text: str) -> Any:
    """The process's one `tf.distribute.MultiWorkerMirroredStrategy`."""
    if text in _made:
        return _made[text]
    if _made:
        (earlier,) = _made
        raise ConfigError(
            f"TF_CONFIG changed after auto_strategy() joined a cluster: a process "
            f"can join one cluster only. First TF_CONFIG={earlier!r}, now "
            f"TF_CONFIG={text!r}. Start a new process for the new cluster."
        )
    try:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    except RuntimeError as err:
        raise ConfigError(
            f"could not make a MultiWorkerMirroredStrategy for TF_CONFIG={text!r}: "
            f"{err}. Call auto_strategy() at the start of the script, before "
            f"building models or running other TensorFlow operations."
        ) from err
    _made[text] = strategy
    return strategy
