"""Call a function or class with keyword arguments read from a config section.

A config section such as ``model.init_args`` holds plain YAML values; the
arguments of the callable may be objects (a `keras.losses.Loss` given as
``{class_path: keras.losses.Huber}``, a `GradientClipping` given as a
mapping). jsonargparse checks the values against the callable's signature and
builds those objects; the command adds the arguments it computes itself
(``input_shape``, ``classes``, ...).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from tfstarter.errors import ConfigError


def import_callable(path: str, *, key: str) -> Callable[..., Any]:
    """Return the object a dotted import path names, e.g. ``tfstarter.models.cnn``.

    Raises:
        ConfigError: naming ``key`` if the path does not import or is not
            callable.

    Examples:
        >>> import_callable("tfstarter.models.dense", key="model.class_path").__name__
        'dense'
    """
    module_name, _, name = path.rpartition(".")
    try:
        value = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError, ValueError):
        raise ConfigError(
            f"`{key}` is {path!r}, which does not import. Pass a dotted path such as "
            f"'tfstarter.models.cnn'."
        ) from None
    if not callable(value):
        raise ConfigError(f"`{key}` is {path!r}, which is not callable.")
    return value  # type: ignore[no-any-return]


def config_kwargs(
    target: Callable[..., Any], config: Mapping[str, Any], *, skip: frozenset[str]
) -> dict[str, Any]:
    """Check ``config`` against ``target``'s signature and return its keyword arguments.

    Values meant as objects (``class_path`` mappings, dataclasses given as
    mappings) are built; arguments in ``skip`` are not read.

    Examples:
        >>> import tfstarter as tfs
        >>> kwargs = config_kwargs(
        ...     tfs.Trainer,
        ...     {"loop": "custom", "clipping": {"by": "value", "threshold": 1.0}},
        ...     skip=frozenset({"model", "loss", "optimizer", "metrics", "strategy"}),
        ... )
        >>> kwargs["loop"], kwargs["clipping"]
        ('custom', GradientClipping(by='value', threshold=1.0))
    """
    from jsonargparse import ArgumentParser

    parser = ArgumentParser(exit_on_error=False)
    if inspect.isclass(target):
        parser.add_class_arguments(target, skip=set(skip))
    else:
        parser.add_function_arguments(target, skip=set(skip))
    namespace = parser.parse_object(dict(config))
    built = parser.instantiate(namespace)
    return dict(vars(built))
