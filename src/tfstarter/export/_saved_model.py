"""`saved_model`: a TensorFlow Serving model folder with one stable signature.

Layout (what TensorFlow Serving expects under its ``model_base_path``)::

    path/
      1/
        saved_model.pb
        variables/
          variables.data-00000-of-00001
          variables.index
        assets.extra/
          tf_serving_warmup_requests   # with warmup=

The graph is written with `keras.export.ExportArchive`, which tracks the
model's variables and traces the serving function; tfstarter only fixes the
signature's name and its input and output names (`SERVING_SIGNATURE`,
`INPUT_NAME`, `OUTPUT_NAME`), which ``model.export()`` derives from layer
names instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tfstarter._atomic import recover_within, staged
from tfstarter._checks import check_positive_int
from tfstarter.errors import ConfigError, ExportError
from tfstarter.export._disk_space import disk_full_as_export_error, variables_bytes
from tfstarter.export._formats import SERVING_SIGNATURE, PathLike
from tfstarter.export._samples import as_inputs
from tfstarter.export._self_check import check_warmup_written, check_written
from tfstarter.export._signature import IOSpec, io_spec, serving_function
from tfstarter.export._warmup import (
    check_warmup_rows,
    require_serving_api,
    write_warmup,
)


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
    warmup: Any = None,
    sample: Any = None,
    check: bool = True,
) -> Path:
    """Export a model as a SavedModel laid out for TensorFlow Serving.

    Writes ``path/<version>/`` (``saved_model.pb`` + ``variables/``) with one
    signature, ``serving_default``, taking one float tensor named ``inputs``
    of shape ``(None, *sample_shape)`` and returning ``{"outputs": ...}``.
    It loads with `tf.saved_model.load` in any TensorFlow process, without
    Keras or tfstarter, and ``saved_model_cli show --dir path/<version>
    --tag_set serve --signature_def serving_default`` lists those names::

        served = tf.saved_model.load("path/1").signatures["serving_default"]
        y = served(inputs=x)["outputs"]

    Existing targets: the target is the version folder. With ``version=None``
    it is a *new* folder, one above the highest version already in ``path``
    (TensorFlow Serving's convention: a second export adds ``path/2`` beside
    ``path/1``, and Serving moves to it); nothing is replaced, and the
    returned path says which version was written. Pass ``version=`` to write
    a given version; an existing one is replaced only with ``overwrite=True``,
    as every exporter does.

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
        warmup: inputs (at most 1,000 samples, an array or a
            `tf.data.Dataset`) to write as TensorFlow Serving warm-up records
            in ``assets.extra/tf_serving_warmup_requests``, one
            ``PredictRequest`` of batch size 1 per sample. Needs the
            ``serving`` extra (``tensorflow-serving-api``). Use real inputs:
            Serving runs them before it serves the version.
        sample: inputs to verify the export on before it is moved into place
            (default: 8 seeded random inputs).
        check: verify the export (and its warm-up records, read back with the
            serving protos and run through the signature) before publishing
            it (see `verify`).

    Returns:
        The version folder written, ``path/<version>``.

    Raises:
        ArgumentTypeError: if ``model`` is not a `keras.Model`, or ``version``
            not an integer.
        ConfigError: if ``version`` < 1, ``path`` is a file, or ``warmup``
            has more than 1,000 samples.
        DataError: if ``warmup`` or ``sample`` has the wrong shape, is empty or
            holds NaN/Inf.
        ImportError: if ``warmup`` is given and the ``serving`` extra is not
            installed.
        ArtifactExistsError: if the version folder exists and ``overwrite`` is
            false.
        ExportError: if the model is not built, has several inputs or
            outputs, cannot be traced, or the disk is full.
        VerificationError: if the export does not reproduce the model (then
            nothing is written).

    Example:
        >>> import keras, tempfile
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> base = tempfile.mkdtemp() + "/m"
        >>> folder = tfs.export.saved_model(model, base)
        >>> folder.name, (folder / "saved_model.pb").is_file()
        ('1', True)
        >>> tfs.export.saved_model(model, base).name  # a new version beside it
        '2'
    """
    spec = io_spec(model)
    base = Path(path)
    if base.exists() and not base.is_dir():
        raise ConfigError(
            f"`path` must be a folder for a SavedModel (it gets a numbered version "
            f"folder inside), but {base} is a file. Pass another path."
        )
    if version is not None:
        version = check_positive_int("version", version)
    warmup_inputs = None
    if warmup is not None:
        warmup_inputs = as_inputs("warmup", warmup, spec)
        check_warmup_rows(warmup_inputs)
        require_serving_api()
    recover_within(base)
    target = base / str(next_version(base) if version is None else version)
    with (
        disk_full_as_export_error(target, lambda: variables_bytes(model)),
        staged(target, kind="dir", overwrite=overwrite) as temp,
    ):
        write_saved_model(model, spec, temp)
        if warmup_inputs is not None:
            write_warmup(temp, warmup_inputs)
        if check:
            check_written(temp, model, sample, fmt="saved_model", target=target)
            if warmup_inputs is not None:
                check_warmup_written(temp, model, target=target)
    return target
