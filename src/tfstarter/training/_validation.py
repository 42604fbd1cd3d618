"""When the validation data is evaluated during training."""

from __future__ import annotations

from collections.abc import Sequence

from tfstarter._checks import check_positive_int, describe
from tfstarter.errors import ArgumentTypeError


def check_validation_freq(value: object) -> int | list[int]:
    """Return ``validation_freq`` if it is a positive int or a list of epochs.

    Raises:
        ArgumentTypeError: for another type.
        ConfigError: for a value below 1.

    Examples:
        >>> check_validation_freq(2), check_validation_freq([1, 5])
        (2, [1, 5])
    """
    if isinstance(value, list | tuple):
        return [check_positive_int("validation_freq[...]", epoch) for epoch in value]
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentTypeError(
            f"`validation_freq` must be an int (validate every N epochs) or a list "
            f"of 1-based epoch numbers, got {describe(value)} of type "
            f"{type(value).__name__}."
        )
    return check_positive_int("validation_freq", value)


def should_validate(epoch: int, validation_freq: int | Sequence[int]) -> bool:
    """Whether to validate after the 0-based ``epoch``, as ``fit`` decides.

    Examples:
        >>> [should_validate(e, 2) for e in range(4)]
        [False, True, False, True]
        >>> [should_validate(e, [1, 3]) for e in range(4)]
        [True, False, True, False]
    """
    if isinstance(validation_freq, int):
        return (epoch + 1) % validation_freq == 0
    return epoch + 1 in validation_freq
