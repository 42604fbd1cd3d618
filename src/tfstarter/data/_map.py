"""The ``map=`` argument: its signature checked up front, its failures named.

``tf.data`` calls a map function with the parts of each sample as separate
arguments, so with labels ``map`` receives ``(x, y)``. Handed a one-argument
function, TensorFlow fails deep inside AutoGraph with "in user code: ...
takes 1 positional argument but 2 were given", which never says what
``map`` receives. These checks say it before anything is traced, and wrap a
failure while tracing into a tfstarter error that says it again.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from tfstarter.errors import ArgumentTypeError, ConfigError, TfstarterError

_POSITIONAL = (
    inspect.Parameter.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
)


def receives(has_labels: bool) -> str:
    """Say in words what ``map`` receives and returns.

    Examples:
        >>> receives(True)
        '`map` receives (x, y), the features and labels of one sample, and must return (x, y)'
    """  # noqa: E501
    if has_labels:
        return (
            "`map` receives (x, y), the features and labels of one sample, and "
            "must return (x, y)"
        )
    return "`map` receives x, the features of one sample, and must return x"


def check_map(map_fn: object, *, has_labels: bool) -> Callable[..., Any] | None:
    """Return ``map_fn`` after checking it can be called with one sample.

    Raises:
        ArgumentTypeError: if it is not callable, or its signature cannot take
            ``(x, y)`` (with labels) or ``x`` (without).

    Examples:
        >>> check_map(lambda x, y: (x, y), has_labels=True) is not None
        True
        >>> check_map(lambda x: x, has_labels=True)
        Traceback (most recent call last):
        ...
        tfstarter.errors.ArgumentTypeError: `map` takes 1 positional argument ...
    """
    if map_fn is None:
        return None
    if not callable(map_fn):
        raise ArgumentTypeError(
            f"`map` must be a function, got {map_fn!r} of type "
            f"{type(map_fn).__name__}. {receives(has_labels)}."
        )
    try:
        parameters = list(inspect.signature(map_fn).parameters.values())
    except (TypeError, ValueError):  # builtins without a signature: try them
        return map_fn
    if any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in parameters):
        return map_fn
    positional = [p for p in parameters if p.kind in _POSITIONAL]
    required = [p for p in positional if p.default is inspect.Parameter.empty]
    given = 2 if has_labels else 1
    if len(positional) < given or len(required) > given:
        names = ", ".join(p.name for p in positional) or "none"
        example = "lambda x, y: (f(x), y)" if has_labels else "lambda x: f(x)"
        raise ArgumentTypeError(
            f"`map` takes {len(positional)} positional argument"
            f"{'' if len(positional) == 1 else 's'} ({names}), but "
            f"{receives(has_labels)}. Write e.g. map={example}."
        )
    return map_fn


def check_mapped(element_spec: Any, *, has_labels: bool) -> None:
    """Check that a mapped sample still has labels when the input had them.

    Raises:
        ConfigError: if ``map`` dropped the labels (returned one value).

    Examples:
        >>> import tensorflow as tf
        >>> check_mapped(tf.TensorSpec([2]), has_labels=True)
        Traceback (most recent call last):
        ...
        tfstarter.errors.ConfigError: `map` returned one value, ...
    """
    if has_labels and not (isinstance(element_spec, tuple) and len(element_spec) > 1):
        raise ConfigError(
            f"`map` returned one value, not an (x, y) pair, for samples that have "
            f"labels; {receives(has_labels)}, e.g. map=lambda x, y: (f(x), y)."
        )


@contextmanager
def naming_map_failures(has_labels: bool) -> Iterator[None]:
    """Turn an exception raised while ``map`` is traced into a tfstarter error.

    Examples:
        >>> with naming_map_failures(True):
        ...     raise TypeError("unsupported operand")
        Traceback (most recent call last):
        ...
        tfstarter.errors.ArgumentTypeError: `map` failed on a sample: ...
    """
    try:
        yield
    except TfstarterError:
        raise
    except Exception as err:
        lines = [line.strip() for line in str(err).splitlines() if line.strip()]
        cause = lines[-1] if lines else ""
        prefix = f"{type(err).__name__}: "
        while cause.startswith(prefix):
            cause = cause[len(prefix) :]
        cause = cause.rstrip(".")
        kind = ArgumentTypeError if isinstance(err, TypeError) else ConfigError
        raise kind(
            f"`map` failed on a sample: {type(err).__name__}: {cause}. "
            f"{receives(has_labels)}."
        ) from err
