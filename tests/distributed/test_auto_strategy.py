"""`auto_strategy`: the strategy TF_CONFIG and the GPUs ask for; bad TF_CONFIG.

A real `MultiWorkerMirroredStrategy` can be made only at the start of a fresh
process, so it is checked through the launcher (``test_multi_worker.py``);
here the choice of the other strategies and every TF_CONFIG error, which is
raised before any strategy is made.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest
import tensorflow as tf

from tfstarter.errors import ConfigError
from tfstarter.training import _strategy
from tfstarter.training._strategy import auto_strategy


def config(
    workers: object = ("localhost:1111", "localhost:2222"), **task: object
) -> str:
    return json.dumps(
        {
            "cluster": {"worker": list(workers)},
            "task": task or {"type": "worker", "index": 0},
        }
    )


@pytest.fixture(autouse=True)
def _no_tf_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TF_CONFIG", raising=False)


def test_without_tf_config_it_is_the_default_strategy() -> None:
    strategy = auto_strategy()
    assert strategy is tf.distribute.get_strategy()
    assert strategy.num_replicas_in_sync == 1


@pytest.mark.parametrize("value", ["", "   "])
def test_an_empty_tf_config_counts_as_unset(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_CONFIG", value)
    assert auto_strategy() is tf.distribute.get_strategy()


def test_a_one_worker_cluster_trains_in_this_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TF_CONFIG", config(["localhost:1111"]))
    assert auto_strategy() is tf.distribute.get_strategy()


def test_inside_a_scope_it_is_that_strategy() -> None:
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    with strategy.scope():
        assert auto_strategy() is strategy


def test_several_gpus_give_mirrored_strategy(monkeypatch: pytest.MonkeyPatch) -> None:
    listed = []

    def two_gpus(kind: str | None = None) -> list[str]:
        listed.append(kind)
        return ["/gpu:0", "/gpu:1"] if kind == "GPU" else []

    monkeypatch.setattr(tf.config, "list_logical_devices", two_gpus)
    made = []
    monkeypatch.setattr(
        tf.distribute, "MirroredStrategy", lambda: made.append(1) or "mirrored"
    )
    assert auto_strategy() == "mirrored"
    assert listed == ["GPU"]
    assert made == [1]


BAD_CONFIGS = [
    ('{"cluster": {"worker": ["a:1"]', r"is not valid JSON \(Expecting"),
    ('["a:1", "b:2"]', r"must be a JSON object, not list"),
    ('{"task": {"type": "worker", "index": 0}}', r"has no 'cluster' object"),
    ('{"cluster": {}, "task": {}}', r"has no 'cluster' object"),
    (
        json.dumps(
            {
                "cluster": {"worker": ["a:1"], "ps": ["b:2"]},
                "task": {"type": "worker", "index": 0},
            }
        ),
        r"names a 'ps' job; Keras 3 trains with MultiWorkerMirroredStrategy",
    ),
    (
        json.dumps(
            {
                "cluster": {"worker": ["a:1", "b:1"], "evaluator": ["c:2"]},
                "task": {"type": "worker", "index": 0},
            }
        ),
        r"names a 'evaluator' job",
    ),
    (
        config(["localhost"]),
        r"cluster\['worker'\] must be a non-empty list of 'host:port'",
    ),
    (config([]), r"cluster\['worker'\] must be a non-empty list"),
    (config("a:1"), r"cluster\['worker'\] must be a non-empty list"),
    (config(["a:1", "b:99999"]), r"cluster\['worker'\] .* got \['a:1', 'b:99999'\]"),
    (config(["a:1", 7]), r"cluster\['worker'\] .* got \['a:1', 7\]"),
    (
        json.dumps(
            {
                "cluster": {"chief": ["a:1", "b:1"], "worker": ["c:1"]},
                "task": {"type": "chief", "index": 0},
            }
        ),
        r"names more than one 'chief'",
    ),
    (
        json.dumps({"cluster": {"worker": ["a:1", "b:2"]}}),
        r"has no 'task' object saying which worker this process is",
    ),
    (config(type="chief", index=0), r"task type 'chief' is not a job of the cluster"),
    (config(type="worker"), r"task index must be an integer, got None"),
    (config(type="worker", index="1"), r"task index must be an integer, got '1'"),
    (config(type="worker", index=True), r"task index must be an integer, got True"),
    (
        config(type="worker", index=2),
        r"task index 2 is out of range for the 2 'worker' task\(s\) \(valid: 0 to 1\)",
    ),
    (config(type="worker", index=-1), r"task index -1 is out of range"),
]


@pytest.mark.parametrize(("value", "problem"), BAD_CONFIGS)
def test_a_bad_tf_config_is_a_config_error_showing_it(
    value: str, problem: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(ConfigError, match=rf"^TF_CONFIG {problem}") as caught:
        auto_strategy()
    message = str(caught.value)
    assert f"got TF_CONFIG={value!r}" in message
    assert '{"cluster": {"worker": ["host1:12345", "host2:12345"]}' in message


def test_a_long_tf_config_is_shortened_in_the_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    value = config(
        [f"host{i}:{1000 + i}" for i in range(100)], type="worker", index=100
    )
    monkeypatch.setenv("TF_CONFIG", value)
    with pytest.raises(ConfigError, match=r"out of range") as caught:
        auto_strategy()
    assert "...'" in str(caught.value)
    assert len(str(caught.value)) < 1000


def test_one_process_joins_one_cluster_only(monkeypatch: pytest.MonkeyPatch) -> None:
    earlier = config(["localhost:1", "localhost:2"])
    monkeypatch.setattr(_strategy, "_made", {earlier: "the first strategy"})
    monkeypatch.setenv("TF_CONFIG", earlier)
    assert auto_strategy() == "the first strategy"
    monkeypatch.setenv("TF_CONFIG", config(["localhost:3", "localhost:4"]))
    with pytest.raises(
        ConfigError, match=r"TF_CONFIG changed after auto_strategy\(\) joined a cluster"
    ):
        auto_strategy()


@pytest.mark.slow
def test_called_after_other_tensorflow_work_it_says_to_call_it_first() -> None:
    code = textwrap.dedent(
        """
        import tensorflow as tf
        tf.constant(1.0) + 1.0
        from tfstarter.training._strategy import auto_strategy
        auto_strategy()
        """
    )
    from tfstarter.launch import free_ports

    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env["TF_CONFIG"] = config([f"localhost:{port}" for port in free_ports(2)])
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )
    assert result.returncode == 1
    assert (
        "tfstarter.errors.ConfigError: could not make a MultiWorkerMirroredStrategy"
        in (result.stderr)
    )
    assert "Call auto_strategy() at the start of the script" in result.stderr
