"""`h5`: the legacy Keras HDF5 file, written so that it loads back and trains.

Keras 3.15 has three traps here. The first two are handled by saving through
a *copy* of the model's compile configuration:

* Saving to H5 pops ``"optimizer"`` out of the live model's compile
  configuration (``model._compile_config``), so a later ``.keras`` save of the
  same model reloads with the default optimizer (RMSprop) instead of the one
  it was compiled with. The copy takes that mutation; the live model keeps its
  configuration.
* A loss given by a short alias (``"mse"``, ``"mae"``, ...) is stored as that
  string and fails to load ("Could not deserialize 'keras.metrics.mse'").
  The copy names each string loss by the function it resolves to
  (``"mean_squared_error"``), which loads; the model trains exactly the same.

The third is in the loader: when an H5 file holds optimizer weights,
`keras.models.load_model` builds the optimizer before the model's variables are
known (it passes ``model._trainable_variables``, which is empty for Sequential
and Functional models), so the loaded model cannot train ("Unknown variable").
tfstarter therefore writes H5 files without the ``optimizer_weights`` group:
they carry the optimizer's class and configuration, the loss and the metrics,
and the loaded model trains on with a fresh optimizer state (slots and step
count start at zero). Use `keras` (``.keras``) to keep the optimizer state.
"""

from __future__ import annotations

import contextlib
import copy
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tfstarter._atomic import staged
from tfstarter.errors import ConfigError
from tfstarter.export._disk_space import disk_full_as_export_error, variables_bytes
from tfstarter.export._formats import PathLike
from tfstarter.export._self_check import check_written
from tfstarter.export._signature import check_built

H5_SUFFIXES = (".h5", ".hdf5")


def resolve_string_losses(loss: Any) -> Any:
    """Replace loss aliases (also inside lists and dicts) by the functions they name.

    Example:
        >>> resolved = resolve_string_losses({"a": "mse", "b": "hinge"})
        >>> resolved["a"].__name__, resolved["b"].__name__
        ('mean_squared_error', 'hinge')
    """
    import keras

    if isinstance(loss, str):
        try:
            return keras.losses.get(loss)
        except ValueError:  # unknown name: left for the self-check to report
            return loss
    if isinstance(loss, dict):
        return {key: resolve_string_losses(value) for key, value in loss.items()}
    if isinstance(loss, list | tuple):
        return type(loss)(resolve_string_losses(value) for value in loss)
    return loss


@contextlib.contextmanager
def h5_safe_compile_config(model: Any) -> Iterator[None]:
    """Let the H5 writer see (and mutate) a copy of the model's compile config.

    Example:
        >>> with h5_safe_compile_config(model):  # doctest: +SKIP
        ...     model.save("model.h5")
    """
    original = getattr(model, "_compile_config", None)
    if original is None or not getattr(model, "compiled", False):
        yield
        return
    replacement = copy.copy(original)
    replacement.config = dict(original.config)
    replacement.config["loss"] = resolve_string_losses(original.config.get("loss"))
    model._compile_config = replacement
    try:
        yield
    finally:
        model._compile_config = original


def copy_without_optimizer_weights(source: Path, target: Path) -> None:
    """Copy an H5 model file, leaving out its ``optimizer_weights`` group.

    Copying (rather than deleting in place) gives the space back: HDF5 does
    not shrink a file when a group is deleted.

    Example:
        >>> copy_without_optimizer_weights(Path("a.h5"), Path("b.h5"))  # doctest: +SKIP
    """
    import h5py

    with h5py.File(source, "r") as origin, h5py.File(target, "w") as copy_:
        for key, value in origin.attrs.items():
            copy_.attrs[key] = value
        for name in origin:
            if name != "optimizer_weights":
                origin.copy(name, copy_)


def h5(
    model: Any,
    path: PathLike,
    *,
    overwrite: bool = False,
    sample: Any = None,
    check: bool = True,
) -> Path:
    """Save a model as a legacy Keras HDF5 (``.h5``) file, atomically and verified.

    The file holds the architecture, the weights and, for a compiled model, the
    optimizer (class and configuration, not its state), loss and metrics: it
    loads with plain `keras.models.load_model` (no tfstarter needed) and goes
    on training with the same optimizer, freshly initialised. Saving never
    changes the live model. See the module notes for the three Keras 3 traps
    this avoids; prefer `keras` (the native format, which keeps the optimizer
    state) unless a tool needs HDF5.

    Args:
        model: the `keras.Model` to save.
        path: the file to write; must end in ``.h5`` or ``.hdf5``.
        overwrite: replace an existing file.
        sample: inputs to verify the written file on before it is moved into
            place (default: 8 seeded random inputs).
        check: verify the file before publishing it (see `verify`).

    Returns:
        The path of the written file.

    Raises:
        ArgumentTypeError: if ``model`` is not a `keras.Model`.
        ConfigError: if ``path`` does not end in ``.h5``/``.hdf5``.
        ArtifactExistsError: if ``path`` exists and ``overwrite`` is false.
        ExportError: if the model is not built (it has no weights yet), or the
            disk is full.
        VerificationError: if the written file does not reproduce the model
            (then nothing is written at ``path``).

    Example:
        >>> import keras, tempfile
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> model.compile(optimizer="adam", loss="mse")
        >>> path = tfs.export.h5(model, tempfile.mkdtemp() + "/model.h5")
        >>> keras.models.load_model(path).optimizer.__class__.__name__
        'Adam'
    """
    check_built(model)
    target = Path(path)
    if target.suffix.lower() not in H5_SUFFIXES:
        raise ConfigError(
            f"`path` must end in .h5 or .hdf5 for an HDF5 file, got {str(target)!r}. "
            f"Pass e.g. {target.with_suffix('.h5')}, or use "
            f"tfstarter.export.keras() for the native .keras format."
        )
    with (
        disk_full_as_export_error(target, lambda: variables_bytes(model)),
        staged(target, kind="file", overwrite=overwrite) as temp,
        tempfile.TemporaryDirectory(prefix="tfstarter-h5-") as scratch,
    ):
        written = Path(scratch) / "model.h5"
        with h5_safe_compile_config(model):
            model.save(written)
        copy_without_optimizer_weights(written, temp)
        if check:
            check_written(temp, model, sample, fmt="h5", target=target)
    return target
