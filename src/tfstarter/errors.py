"""One exception hierarchy for everything tfstarter raises.

Every class derives from `TfstarterError` *and* from the built-in
exception it refines, so callers can catch either the tfstarter class or the
built-in they already handle::

    >>> import tfstarter as tfs
    >>> try:
    ...     raise tfs.errors.ConfigError("units must be positive, got 0")
    ... except ValueError as err:
    ...     print(type(err).__name__, "-", err)
    ConfigError - units must be positive, got 0

Messages follow one rule: name the argument, show the value received and say
what to pass instead.
"""

from __future__ import annotations

__all__ = [
    "ArgumentTypeError",
    "ArtifactExistsError",
    "ArtifactNotFoundError",
    "ConfigError",
    "CorruptFileError",
    "DataError",
    "DataWarning",
    "DatasetNotFoundError",
    "ExportError",
    "TfstarterError",
    "TrainingError",
    "UnsafeModelError",
    "VerificationError",
]


class TfstarterError(Exception):
    """Base class of every exception raised on purpose by tfstarter.

    Examples:
        >>> issubclass(ConfigError, TfstarterError)
        True
    """


class ConfigError(TfstarterError, ValueError):
    """An argument has a value that is out of range or conflicts with another.

    Examples:
        >>> isinstance(ConfigError("dropout must be in [0, 1), got 1.5"), ValueError)
        True
    """


class ArgumentTypeError(TfstarterError, TypeError):
    """An argument has the wrong type (e.g. a callback that is not a callback).

    Examples:
        >>> isinstance(ArgumentTypeError("callbacks[0] must be ..."), TypeError)
        True
    """


class DataError(TfstarterError, ValueError):
    """Data content is unusable: mismatched lengths, empty, NaN/Inf, bad labels.

    Examples:
        >>> isinstance(DataError("x has 10 rows but y has 9"), ValueError)
        True
    """


class DatasetNotFoundError(TfstarterError, FileNotFoundError):
    """A dataset is not on disk and could not be downloaded.

    Examples:
        >>> isinstance(DatasetNotFoundError("put the files in ..."), OSError)
        True
    """


class CorruptFileError(TfstarterError, OSError):
    """A file exists but is truncated, corrupt or not in the expected format.

    Examples:
        >>> isinstance(CorruptFileError("bad magic number in x.gz"), OSError)
        True
    """


class ArtifactExistsError(TfstarterError, FileExistsError):
    """A target path exists and ``overwrite=True`` was not given.

    Examples:
        >>> isinstance(ArtifactExistsError("model.h5 exists"), FileExistsError)
        True
    """


class ArtifactNotFoundError(TfstarterError, FileNotFoundError):
    """A model artifact to load or verify does not exist at the given path.

    Examples:
        >>> isinstance(ArtifactNotFoundError("no model at x.h5"), FileNotFoundError)
        True
    """


class UnsafeModelError(TfstarterError, ValueError):
    """Loading a file would execute arbitrary code and the caller did not opt in.

    Examples:
        >>> isinstance(
        ...     UnsafeModelError("Lambda layer; pass safe_mode=False"), ValueError
        ... )
        True
    """


class ExportError(TfstarterError, RuntimeError):
    """Writing or converting a model to a deployment format failed.

    Examples:
        >>> isinstance(ExportError("conversion failed"), RuntimeError)
        True
    """


class VerificationError(ExportError):
    """An exported artifact does not reproduce the in-memory model's outputs.

    Examples:
        >>> issubclass(VerificationError, ExportError)
        True
    """


class TrainingError(TfstarterError, RuntimeError):
    """Training cannot go on (e.g. the loss became NaN or Inf).

    Examples:
        >>> isinstance(TrainingError("loss is NaN at epoch 2, batch 17"), RuntimeError)
        True
    """


class DataWarning(UserWarning):
    """Data that trains, but probably not as meant (e.g. raw 0-255 pixels).

    Not an error: training goes on. Silence it with the standard filters,
    ``warnings.filterwarnings("ignore", category=tfs.errors.DataWarning)``.

    Examples:
        >>> issubclass(DataWarning, UserWarning)
        True
    """
