"""`keras`: the native Keras (``.keras``) file, written atomically and verified."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfstarter._atomic import staged
from tfstarter.errors import ConfigError
from tfstarter.export._disk_space import disk_full_as_export_error, variables_bytes
from tfstarter.export._formats import PathLike
from tfstarter.export._self_check import check_written
from tfstarter.export._signature import check_built


def keras(
    model: Any,
    path: PathLike,
    *,
    overwrite: bool = False,
    sample: Any = None,
    check: bool = True,
) -> Path:
    """Save a model as a native Keras (``.keras``) file, atomically and verified.

    The file holds the architecture, the weights and, for a compiled model, the
    optimizer (class, configuration and state), loss and metrics: it loads with
    plain `keras.models.load_model` (no tfstarter needed) and goes on training.
    Saving never changes the live model.

    Args:
        model: the `keras.Model` to save.
        path: the file to write; must end in ``.keras``.
        overwrite: replace an existing file.
        sample: inputs to verify the written file on before it is moved into
            place (default: 8 seeded random inputs).
        check: verify the file before publishing it (see `verify`).

    Returns:
        The path of the written file.

    Raises:
        ArgumentTypeError: if ``model`` is not a `keras.Model`.
        ConfigError: if ``path`` does not end in ``.keras``.
        ArtifactExistsError: if ``path`` exists and ``overwrite`` is false.
        ExportError: if the model is not built (it has no weights yet), or the
            disk is full.
        VerificationError: if the written file does not reproduce the model
            (then nothing is written at ``path``).

    Example:
        >>> import keras as keras_lib, tempfile
        >>> model = keras_lib.Sequential(
        ...     [keras_lib.Input((3,)), keras_lib.layers.Dense(1)]
        ... )
        >>> path = tfs.export.keras(model, tempfile.mkdtemp() + "/model.keras")
        >>> path.name
        'model.keras'
    """
    check_built(model)
    target = Path(path)
    if target.suffix.lower() != ".keras":
        raise ConfigError(
            f"`path` must end in .keras for the native Keras format, got "
            f"{str(target)!r}. Pass e.g. {target.with_suffix('.keras')}."
        )
    with (
        disk_full_as_export_error(
            target, lambda: variables_bytes(model, optimizer=True)
        ),
        staged(target, kind="file", overwrite=overwrite) as temp,
    ):
        model.save(temp)
        if check:
            check_written(temp, model, sample, fmt="keras", target=target)
    return target
