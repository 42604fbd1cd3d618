"""Build the model a config names: its builder, its arguments, and the data's shape."""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

import keras

from tfstarter.cli._data import RunData
from tfstarter.cli._parsers import MODEL_FROM_DATA
from tfstarter.cli._signature_call import config_kwargs, import_callable
from tfstarter.errors import ConfigError


def build_model(
    spec: Mapping[str, Any], data: RunData, *, seed: int, normalize: bool
) -> keras.Model:
    """Call the builder ``spec["class_path"]`` with ``spec["init_args"]`` and the data.

    The command adds what the data decides: ``input_shape``, ``classes`` (a
    classifier) or ``outputs`` (regression), ``seed``, and ``normalize=``
    the training inputs when ``normalize`` is set.

    Raises:
        ConfigError: if the builder cannot make a model for this task (e.g.
            ``cnn`` on regression targets) or does not take ``normalize``.
    """
    path = str(spec["class_path"])
    builder = import_callable(path, key="model.class_path")
    parameters = inspect.signature(builder).parameters
    kwargs = config_kwargs(
        builder, dict(spec.get("init_args") or {}), skip=MODEL_FROM_DATA
    )
    if "input_shape" in parameters:
        kwargs["input_shape"] = data.input_shape
    if data.task == "classification":
        if "classes" not in parameters:
            raise ConfigError(
                f"`model.class_path` is {path!r}, which takes no `classes`, but the "
                f"labels are classes (data.task={data.task!r}). Use a classifier "
                f"builder (tfstarter.models.logistic, .dense, .cnn), or set "
                f"data.task: regression."
            )
        kwargs["classes"] = data.classes
    elif "outputs" in parameters:
        kwargs["outputs"] = data.outputs
    else:
        raise ConfigError(
            f"`model.class_path` is {path!r}, which builds classifiers only, but the "
            f"targets are numbers (data.task='regression'). Use "
            f"tfstarter.models.linear or .dense, or set data.task: classification."
        )
    if "seed" in parameters:
        kwargs["seed"] = seed
    if normalize:
        if "normalize" not in parameters:
            raise ConfigError(
                f"`data.normalize` is true, but {path!r} takes no `normalize`. Set "
                f"data.normalize: false."
            )
        kwargs["normalize"] = data.x_train
    model = builder(**kwargs)
    if not isinstance(model, keras.Model):
        raise ConfigError(
            f"`model.class_path` {path!r} returned {type(model).__name__}, not a "
            f"keras.Model."
        )
    return model
