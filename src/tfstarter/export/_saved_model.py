"""`saved_model`: a TensorFlow Serving model folder with one stable signature.

Layout (what TensorFlow Serving expects under its ``model_base_path``)::

    path/
      1/
        saved_model.pb
        variables/
          variables.data-00000-of-00001
          variables.index
        ...

The graph is written with `keras.export.ExportArchive`, which tracks the
model's variables and traces the serving function; tfstarter only fixes the
signature's name and its input and output names (`SERVING_SIGNATURE`,
`INPUT_NAME`, `OUTPUT_NAME`), which ``model.export()`` derives from layer
names instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfstarter._atomic import staged
from tfstarter._checks import check_positive_int
from tfstarter.errors import ConfigError, ExportError
from tfstarter.export._formats import SERVING_SIGNATURE, PathLike
from tfstarter.export._self_check import check_written
from tfstarter.export._signature import IOSpec, io_spec, serving_function


def write_saved_model(model: Any, spec: IOSpec, folder: Path) -> None:
    """Write ``model`` as a SavedModel serving `SERVING_SIGNATURE` into ``folder``.

    Raises:
        ExportError: if TensorFlow cannot trace or save the model.

    Example:
        >>> write_saved_model(model, io_spec(model), Path("export/1"))  # doctest: +SKIP
    """
    import keras

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(SERVING_SIGNATURE, serving_function(model, spec))
    try:
        archive.write_out(str(folder), verbose=False)
    except (ValueError, TypeError) as err:
        raise ExportError(
            f"TensorFlow could not save model {model.name!r} as a SavedModel: {err}"
        ) from err


def next_version(base: Path) -> int:
    """Return one more than the highest numbered version folder in ``base`` (or 1).

    Example:
        >>> next_version(Path("/nonexistent"))
        1
    """
    if not base.is_dir():
        return 1
    versions = [int(child.name) for child in base.iterdir() if child.name.isdigit()]
    return max(versions, default=0) + 1


def saved_model(
    model: Any,
    path: PathLike,
    *,
    version: int | None = None,
    overwrite: bool = False,
    sample: Any = None,
    check: bool = True,
) -> Path:
    """Export a model as a SavedModel laid out for TensorFlow Serving.

    Writes ``path/<version>/`` (``saved_model.pb`` + ``variables/``) with one
    signature, ``serving_default``, taking one float tensor named ``inputs``
    of shape ``(None, *sample_shape)`` and returning ``{"outputs": ...}``.
    It loads with `tf.saved_model.load` in any TensorFlow process, without
    Keras or tfstarter::

        served = tf.saved_model.load("path/1").signatures["serving_default"]
        y = served(inputs=x)["outputs"]

    Note: `keras.models.load_model` cannot read SavedModels in Keras 3; use
    `tfstarter.export.load` or `tf.saved_model.load`, or save a ``.keras`` file
    to go on training.

    Args:
        model: the `keras.Model` to export (one input, one output).
        path: the model's base folder (TensorFlow Serving's
            ``model_base_path``).
        version: the version folder to write, an integer >= 1 (default: one
            more than the highest version already in ``path``, else 1).
        overwrite: replace an existing version folder.
        sample: inputs to verify the export on before it is moved into place
            (default: 8 seeded random inputs).
        check: verify the export before publishing it (see `verify`).

    Returns:
        The version folder, ``path/<version>``.

    Raises:
        ArgumentTypeError: if ``model`` is not a `keras.Model`, or ``version``
            not an integer.
        ConfigError: if ``version`` < 1 or ``path`` is a file.
        ArtifactExistsError: if the version folder exists and ``overwrite`` is
            false.
        ExportError: if the model has several inputs or outputs, or cannot be
            traced.
        VerificationError: if the export does not reproduce the model (then
            nothing is written).

    Example:
        >>> import keras, tempfile
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> folder = tfs.export.saved_model(model, tempfile.mkdtemp() + "/m")
        >>> folder.name, (folder / "saved_model.pb").is_file()
        ('1', True)
    """
    spec = io_spec(model)
    base = Path(path)
    if base.exists() and not base.is_dir():
        raise ConfigError(
            f"`path` must be a folder for a SavedModel (it gets a numbered version "
            f"folder inside), but {base} is a file. Pass another path."
        )
    number = next_version(base) if version is None else version
    number = check_positive_int("version", number)
    target = base / str(number)
    with staged(target, kind="dir", overwrite=overwrite) as temp:
        write_saved_model(model, spec, temp)
        if check:
            check_written(temp, model, sample, fmt="saved_model", target=target)
    return target
