"""Small argument checks shared by the readers."""

from __future__ import annotations

import numpy as np

from tfstarter._checks import describe
from tfstarter.errors import ArgumentTypeError, ConfigError

_MAX_SEED = 2**63 - 1


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is a bool, else raise.

    Examples:
        >>> check_bool("shuffle", True)
        True
    """
    if isinstance(value, bool | np.bool_):
        return bool(value)
    raise ArgumentTypeError(
        f"`{name}` must be True or False, got {describe(value)} of type "
        f"{type(value).__name__}."
    )


def check_seed(seed: object) -> int | None:
    """Return ``seed`` if it is None or an integer in ``[0, 2**63)``, else raise.

    Examples:
        >>> check_seed(42)
        42
    """
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ArgumentTypeError(
            f"`seed` must be an int or None, got {describe(seed)} of type "
            f"{type(seed).__name__}. Pass e.g. seed=0."
        )
    if not 0 <= seed <= _MAX_SEED:
        raise ConfigError(
            f"`seed` must be in [0, 2**63), got {seed}. Pass a non-negative int."
        )
    return int(seed)
