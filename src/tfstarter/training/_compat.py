"""The few Keras and TensorFlow internals the Trainer relies on, in one place.

Keras 3 has no public API for some things ``model.fit`` does between steps
(the loss tracker behind the ``loss`` log, whether ``call`` takes a
``training`` argument, the per-replica loss unscaling), and TensorFlow none
for whether a trace is XLA-compiled. The shared step needs exactly those to
produce the same numbers and the same metric state as ``model.fit``, so they
are read here, each with a public fallback, and nowhere else. The doctests
below and the parity suites (``tests/training/test_fit_parity.py``,
``test_callback_parity.py``, ``test_equivalence.py``) pin them on the
installed versions.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import keras


def call_takes_training(model: Any) -> bool:
    """Whether ``model.call`` accepts a ``training`` argument.

    Examples:
        >>> call_takes_training(keras.Sequential([keras.layers.Dense(1)]))
        True
    """
    flag = getattr(model, "_call_has_training_arg", None)
    if isinstance(flag, bool):
        return flag
    return "training" in inspect.signature(model.call).parameters


def compute_loss(
    model: Any, x: Any, y: Any, y_pred: Any, sample_weight: Any, *, training: bool
) -> Any:
    """``model.compute_loss``, passing ``training`` only where it is accepted.

    This is what Keras' own ``train_step`` calls: the compiled loss plus the
    model's regularisation and ``add_loss`` losses.
    """
    if "training" in inspect.signature(model.compute_loss).parameters:
        return model.compute_loss(x, y, y_pred, sample_weight, training=training)
    return model.compute_loss(x, y, y_pred, sample_weight)


def loss_tracker(model: Any) -> Any:
    """The ``keras.metrics.Mean`` named ``loss`` that ``fit`` reports as ``loss``.

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> loss_tracker(model).name
        'loss'
    """
    tracker = getattr(model, "_loss_tracker", None)
    if tracker is not None:
        return tracker
    for metric in model.metrics:
        if metric.name == "loss" and isinstance(metric, keras.metrics.Mean):
            return metric
    return None


def unscale_loss_for_distribution(loss: Any) -> Any:
    """Undo the ``1 / num_replicas`` scaling Keras applies inside replicas."""
    from keras.src.losses.loss import (
        unscale_loss_for_distribution as unscale,
    )

    return unscale(loss)


def metrics_result_or_logs(model: Any, logs: Any) -> dict[str, Any]:
    """The model's metric results when they carry the same keys as ``logs``.

    ``fit`` ends every epoch with this: the metric values at the end of the
    epoch, unless a custom step returned logs of its own.
    """
    results = dict(model.get_metrics_result())
    if isinstance(logs, dict) and set(logs) == set(results):
        return results
    return dict(logs or {})


def initial_epoch_override(model: Any) -> int | None:
    """The epoch a callback asked training to start from, if any.

    `keras.callbacks.BackupAndRestore` sets it in ``on_train_begin``; ``fit``
    honours it and so does the custom loop.
    """
    value = getattr(model, "_initial_epoch", None)
    return int(value) if value is not None else None


def own_step(model: Any, name: str) -> Any:
    """The model's own ``train_step`` (or test / predict step), bound, or None.

    None when the model uses Keras' own step.

    Examples:
        >>> own_step(keras.Sequential([keras.layers.Dense(1)]), "train_step") is None
        True
    """
    method = getattr(type(model), name)
    if method is getattr(keras.Model, name):
        return None
    return method.__get__(model, type(model))


def default_train_step_is_used(model: Any) -> bool:
    """Whether ``model`` runs Keras' own ``train_step`` (not an override).

    Examples:
        >>> default_train_step_is_used(keras.Sequential([keras.layers.Dense(1)]))
        True
    """
    return (
        type(model).train_step is keras.Model.train_step
        and type(model).test_step is keras.Model.test_step
        and "train_step" not in vars(model)
        and "test_step" not in vars(model)
    )


def build_from_spec(model: Any, element_spec: Any) -> None:
    """Create the model's, metrics' and optimizer's variables before tracing.

    Keras does this (symbolically, reading no data) before a distributed
    ``fit``; the Trainer does it always, so the variables exist before any
    compiled function is traced and the gradient probe can mirror them.
    """
    builder = getattr(model, "_symbolic_build", None)
    if builder is None:
        return
    import tensorflow as tf

    # An optional input left out (None) is a NoneTensorSpec in a dataset's
    # element spec; Keras' symbolic build takes None for it.
    spec = tf.nest.map_structure(
        lambda s: None if type(s).__name__ == "NoneTensorSpec" else s,
        element_spec,
    )
    builder(data_batch=spec)


def compiled_metrics(model: Any) -> Any:
    """The ``metrics`` argument the model was compiled with (None if none)."""
    config = getattr(model, "_compile_config", None)
    values = getattr(config, "config", None)
    if isinstance(values, dict):
        return values.get("metrics")
    return None


def compile_token(model: Any) -> tuple[int, int, int]:
    """Identifies one ``compile()``: a recompiled model needs new functions."""
    return (
        id(getattr(model, "optimizer", None)),
        id(loss_tracker(model)),
        id(getattr(model, "_compile_metrics", None)),
    )


def xla_environment_reason() -> str | None:
    """Why Keras would use no XLA here, whatever the model (None: it would).

    Keras does not use XLA with TensorFlow on an Apple-silicon Mac with a GPU
    (tensorflow-metal), nor while TensorFlow op determinism is on.
    """
    import platform

    import tensorflow as tf
    from tensorflow.python.framework.config import is_op_determinism_enabled

    apple_silicon = (
        platform.system() == "Darwin" and "arm" in platform.processor().lower()
    )
    if apple_silicon and tf.config.list_physical_devices("GPU"):
        return "TensorFlow has no XLA on an Apple-silicon GPU"
    if is_op_determinism_enabled():
        return (
            "TensorFlow op determinism is enabled "
            "(tf.config.experimental.enable_op_determinism), which Keras does "
            "not combine with XLA"
        )
    return None


def onednn_enabled() -> bool:
    """Whether TensorFlow runs its oneDNN CPU kernels in this process.

    TensorFlow turns them on by itself on CPUs with AVX-512 VNNI/BF16 or AMX,
    and ``TF_ENABLE_ONEDNN_OPTS`` overrides that either way; it has no
    public API for the outcome. If it cannot be read: False.

    Examples:
        >>> isinstance(onednn_enabled(), bool)
        True
    """
    try:
        from tensorflow.python.util import _pywrap_util_port
    except ImportError:  # pragma: no cover - a TensorFlow that moved it
        return False
    return bool(_pywrap_util_port.IsMklEnabled())


def in_xla_context() -> bool:
    """Whether the function being traced now is compiled by XLA.

    TensorFlow marks the graph of a ``tf.function(jit_compile=True)`` (and
    the graphs nested in it) as an XLA context; it has no public API for it.
    Outside any trace, or if the mark cannot be read: False.

    Examples:
        >>> import tensorflow as tf
        >>> @tf.function(jit_compile=True)
        ... def f(x):
        ...     seen.append(in_xla_context())
        ...     return x
        >>> seen = []
        >>> _ = f(tf.ones(1))
        >>> seen, in_xla_context()
        ([True], False)
    """
    try:
        from tensorflow.python.framework import ops
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - a TensorFlow that moved them
        return False
    graph = ops.get_default_graph()
    return bool(control_flow_util.GraphOrParentsInXlaContext(graph))


def jit_unsupported_reason(model: Any) -> str | None:
    """Why Keras would refuse ``jit_compile=True`` for ``model`` (None: it would not).

    Keras quietly falls back to no XLA (with a warning) for layers that do not
    support it, and whenever TensorFlow op determinism is on; the Trainer
    applies the same rule to both loops, as an error.
    """
    unsupported = [
        layer.name
        for layer in model._flatten_layers()
        if not getattr(layer, "supports_jit", True)
    ]
    if unsupported:
        return f"layers {unsupported} do not support XLA"
    return xla_environment_reason()


F = TypeVar("F", bound=Callable[..., Any])


def keras_default(method: F) -> F:
    """Mark a no-op hook as a default, as Keras marks its own base hooks."""
    method._is_default = True  # type: ignore[attr-defined]
    return method


def is_keras_default(method: Any) -> bool:
    """Whether ``method`` is a base-class no-op hook Keras marks as its default.

    Keras decorates the hooks of `keras.callbacks.Callback` so that it can
    tell an override from the default (``keras.src.utils.is_default``).

    Examples:
        >>> is_keras_default(keras.callbacks.Callback.on_train_batch_end)
        True
        >>> is_keras_default(keras.callbacks.History.on_epoch_end)
        False
    """
    return bool(getattr(method, "_is_default", False))


def strategy_of(model: Any) -> Any:
    """The `tf.distribute` strategy the model was created under, or None.

    Examples:
        >>> strategy_of(keras.Sequential([keras.layers.Dense(1)])) is None
        True
    """
    return getattr(model, "_distribute_strategy", None)


def steps_per_execution_set_on(model: Any) -> int | None:
    """The model's own ``compile(steps_per_execution=N)``, when ``N > 1``.

    Examples:
        >>> model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
        >>> model.compile(loss="mse", steps_per_execution=4)
        >>> steps_per_execution_set_on(model)
        4
    """
    value = int(getattr(model, "steps_per_execution", 1) or 1)
    return value if value > 1 else None


def class_weight_to_sample_weights(y: Any, class_weight: Any) -> Any:
    """Keras' own mapping of ``class_weight`` to per-sample weights."""
    from keras.src.trainers.data_adapters.data_adapter_utils import (
        class_weight_to_sample_weights as convert,
    )

    return convert(y, class_weight)


def data_adapter(**kwargs: Any) -> Any:
    """Keras' own data adapter for what ``fit`` accepts (generators, PyDataset...)."""
    from keras.src.trainers.data_adapters import get_data_adapter

    return get_data_adapter(**kwargs)


def train_validation_split(arrays: Any, validation_split: float) -> Any:
    """Keras' own ``validation_split``: the last samples, before shuffling."""
    from keras.src.trainers.data_adapters.array_slicing import (
        train_validation_split as split,
    )

    return split(arrays, validation_split=validation_split)


def capped_epochs(epochs: int) -> int:
    """``epochs`` capped by ``keras.config.set_max_epochs``, warning as ``fit`` does.

    Examples:
        >>> capped_epochs(3)
        3
    """
    import warnings

    cap = keras.config.max_epochs()
    if cap and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap}", stacklevel=3)
        return int(cap)
    return epochs


def flatten_metrics_in_order(model: Any, logs: dict[str, Any]) -> Any:
    """``model.evaluate``'s list form of ``logs`` (``return_dict=False``)."""
    return model._flatten_metrics_in_order(logs)


def layer_class_names(model: Any) -> list[str]:
    """The class names of every layer in ``model``, nested ones included.

    Examples:
        >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
        >>> layer_class_names(model)
        ['Sequential', 'InputLayer', 'Dense']
    """
    return [type(layer).__name__ for layer in model._flatten_layers()]


def no_merge_call() -> bool:
    """Whether the current strategy's optimizers aggregate without ``merge_call``.

    Then a ``tf.cond`` around ``apply_gradients`` may sit in the replica
    context; otherwise it must be taken in the cross-replica context.
    """
    import tensorflow as tf

    return bool(tf.__internal__.distribute.strategy_supports_no_merge_call())


def is_keras_optimizer(optimizer: Any) -> bool:
    """Whether ``optimizer`` is one of Keras' own classes (not a user subclass).

    Examples:
        >>> is_keras_optimizer(keras.optimizers.Adam())
        True
        >>> class Mine(keras.optimizers.SGD):
        ...     pass
        >>> is_keras_optimizer(Mine())
        False
    """
    return type(optimizer).__module__.startswith("keras.src.optimizers.")


def backend_variable(variable: Any) -> Any:
    """The TensorFlow variable behind a Keras variable (what a checkpoint tracks)."""
    return getattr(variable, "value", variable)


def global_seed_variables() -> list[Any]:
    """The state of Keras' global seed generator, when one was made.

    Ops called without a seed draw from it (``keras.random.*``); a backup
    keeps it so a resumed run draws the same numbers.
    """
    from keras.src.random import seed_generator

    generator = getattr(seed_generator, "global_seed_generator", None)
    if generator is None:
        return []
    return [generator().state]


def multi_worker(strategy: Any) -> bool:
    """Whether ``strategy`` spans several worker processes.

    Examples:
        >>> multi_worker(None)
        False
    """
    import tensorflow as tf

    return bool(
        isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
        and strategy.extended._in_multi_worker_mode()
    )


@contextlib.contextmanager
def strategy_forgotten(model: Any) -> Iterator[None]:
    """Let ``model.fit`` run under a multi-worker strategy (Keras 3.15).

    Keras' ``fit`` first builds the model from one batch averaged over the
    workers with ``strategy.reduce`` on the whole ``(x, y)`` structure,
    which TensorFlow's collective reduce refuses with more than one worker.
    Keras skips that step for a model it believes was made outside any
    strategy; the Trainer has built the model already, and ``fit`` runs
    inside ``strategy.scope()``, where Keras finds the strategy again.
    """
    saved = getattr(model, "_distribute_strategy", None)
    model._distribute_strategy = None
    try:
        yield
    finally:
        model._distribute_strategy = saved
