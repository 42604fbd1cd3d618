"""`bundle`: several formats of one model in a folder, with a JSON manifest.

Layout (``name="model"``)::

    folder/
      manifest.json
      model.keras
      model.h5
      saved_model/1/...           # TensorFlow Serving layout (+ warm-up records)
      request.json                # a ready REST predict request ...
      response.json               # ... and what the model answers to it
      request.npy                 # the same inputs, for saved_model_cli run
      model.tflite                # float32
      model.dynamic.tflite        # one file per extra quantization mode
      model.float16.tflite
      model.int8.tflite
      model.onnx                  # with the onnx extra installed

Everything that can be checked without the model's weights (the target, the
formats, the extras they need) is checked first, by `check_bundle`, which a
script that trains and then exports can call before training. The whole
folder is built under a temporary name and moved into place at the end, so a
failed or killed export leaves no partial bundle.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.metadata
import json
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from tfstarter._atomic import check_target, recover, staged
from tfstarter._checks import check_one_of, describe
from tfstarter.errors import ArgumentTypeError, ConfigError, VerificationError
from tfstarter.export._disk_space import disk_full_as_export_error, variables_bytes
from tfstarter.export._extras import has_extra, require
from tfstarter.export._formats import (
    FORMATS,
    QUANTIZE_MODES,
    SERVING_SIGNATURE,
    Format,
    PathLike,
    Quantize,
    artifact_bytes,
    format_key,
)
from tfstarter.export._h5 import h5
from tfstarter.export._keras_format import keras
from tfstarter.export._onnx import onnx
from tfstarter.export._report import VerificationReport
from tfstarter.export._rest import write_rest_example
from tfstarter.export._samples import as_inputs
from tfstarter.export._saved_model import saved_model
from tfstarter.export._self_check import check_warmup_written, default_sample
from tfstarter.export._signature import IOSpec, io_spec
from tfstarter.export._tflite import CHECK_SAMPLES, tflite
from tfstarter.export._tolerance import Tolerance
from tfstarter.export._verify import compare, failure_message, open_artifact
from tfstarter.export._warmup import check_warmup_rows, require_serving_api

MANIFEST = "manifest.json"
MANIFEST_VERSION = 2
DEFAULT_FORMATS: tuple[Format, ...] = ("keras", "h5", "saved_model", "tflite")
"""The formats of a bundle by default (``"onnx"`` joins them with its extra)."""


def default_formats() -> tuple[Format, ...]:
    """Return `DEFAULT_FORMATS`, plus ``"onnx"`` if the ``onnx`` extra is installed.

    Example:
        >>> default_formats()[:4]
        ('keras', 'h5', 'saved_model', 'tflite')
    """
    return (*DEFAULT_FORMATS, "onnx") if has_extra("onnx") else DEFAULT_FORMATS


INSTALLED_FORMATS = default_formats()
"""`default_formats` as found when tfstarter was imported: `bundle`'s default."""


@dataclass(frozen=True)
class Bundle:
    """A folder holding one model in several formats, and its manifest.

    Attributes:
        path: the bundle folder.
        manifest: the content of ``manifest.json``.
        reports: the verification report of each artifact (empty when the
            bundle was written with ``check=False``).

    Example:
        >>> result = tfs.export.bundle(model, "export")  # doctest: +SKIP
        >>> result.artifact("tflite-int8")  # doctest: +SKIP
        PosixPath('export/model.int8.tflite')
    """

    path: Path
    manifest: dict[str, Any]
    reports: tuple[VerificationReport, ...]

    @property
    def manifest_path(self) -> Path:
        """The path of ``manifest.json``."""
        return self.path / MANIFEST

    def artifact(self, key: str) -> Path:
        """Return the path of the artifact ``key`` (e.g. ``"h5"``, ``"tflite-int8"``).

        Raises:
            ConfigError: if the bundle holds no such artifact.
        """
        for entry in self.manifest["artifacts"]:
            if entry["key"] == key:
                return self.path / str(entry["path"])
        keys = ", ".join(repr(entry["key"]) for entry in self.manifest["artifacts"])
        raise ConfigError(f"bundle {self.path} has no artifact {key!r}; it has {keys}.")


def _versions() -> dict[str, str | None]:
    import keras as keras_lib
    import tensorflow as tf

    from tfstarter._version import __version__

    def installed(package: str) -> str | None:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return None

    return {
        "python": platform.python_version(),
        "tensorflow": tf.__version__,
        "keras": keras_lib.__version__,
        "tfstarter": __version__,
        "ai_edge_litert": installed("ai-edge-litert"),
        "numpy": installed("numpy"),
        "tf2onnx": installed("tf2onnx"),
        "onnx": installed("onnx"),
        "onnxruntime": installed("onnxruntime"),
        "tensorflow_serving_api": installed("tensorflow-serving-api"),
    }


def _sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_name(fmt: Format, quantize: Quantize | None, name: str) -> str:
    if fmt == "saved_model":
        return "saved_model"
    suffix = {"keras": ".keras", "h5": ".h5", "tflite": ".tflite", "onnx": ".onnx"}[fmt]
    return f"{name}.{quantize}{suffix}" if quantize else f"{name}{suffix}"


def _plan(
    formats: Sequence[Format], quantize: Sequence[Quantize | None]
) -> list[tuple[Format, Quantize | None]]:
    if isinstance(formats, str) or not formats:
        raise ArgumentTypeError(
            f"`formats` must be a non-empty sequence of format names, got "
            f"{formats!r}; pass e.g. formats=('keras', 'tflite')."
        )
    if isinstance(quantize, str) or not quantize:
        raise ArgumentTypeError(
            f"`quantize` must be a non-empty sequence of modes, got {quantize!r}; "
            f"pass e.g. quantize=(None, 'int8')."
        )
    for fmt in formats:
        check_one_of("formats[...]", fmt, FORMATS)
    for mode in quantize:
        check_one_of("quantize[...]", mode, QUANTIZE_MODES)
    plan: list[tuple[Format, Quantize | None]] = []
    for fmt in dict.fromkeys(formats):
        modes = dict.fromkeys(quantize) if fmt == "tflite" else [None]
        plan.extend((fmt, mode) for mode in modes)
    return plan


def _write(
    model: Any,
    folder: Path,
    fmt: Format,
    mode: Quantize | None,
    *,
    name: str,
    representative_data: Any,
    calibration_samples: int,
    warmup: Any,
    check: bool,
) -> Path:
    target = folder / _file_name(fmt, mode, name)
    if fmt == "keras":
        return keras(model, target, check=False)
    if fmt == "h5":
        return h5(model, target, check=False)
    if fmt == "onnx":
        return onnx(model, target, check=False)
    if fmt == "saved_model":
        # checked with the others; its warm-up records are checked here
        written = saved_model(model, target, version=1, warmup=warmup, check=False)
        if warmup is not None and check:
            check_warmup_written(written, model, target=written)
        return written
    return tflite(
        model,
        target,
        quantize=mode,
        representative_data=representative_data if mode == "int8" else None,
        calibration_samples=calibration_samples,
        check=False,
    )


_WEIGHT_SHARE: dict[Quantize | None, float] = {
    None: 1.0,
    "float16": 0.5,
    "dynamic": 0.25,
    "int8": 0.25,
}


def _least_bytes(model: Any, plan: list[tuple[Format, Quantize | None]]) -> int:
    """A lower bound of the bundle's size: each artifact stores the weights once."""
    weights = variables_bytes(model)
    total = 0.0
    for fmt, mode in plan:
        if fmt == "keras":
            total += variables_bytes(model, optimizer=True)
        else:
            total += weights * _WEIGHT_SHARE[mode]
    return int(total)


def _signature(fmt: Format, spec: IOSpec) -> dict[str, Any] | None:
    if fmt in ("saved_model", "tflite", "onnx"):
        return {"name": SERVING_SIGNATURE, **spec.to_dict()}
    return None


def _check_name(name: object) -> None:
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ConfigError(
            f"`name` must be a plain file name stem such as 'model', got {name!r}."
        )


def check_bundle(
    path: PathLike,
    *,
    formats: Sequence[Format] = INSTALLED_FORMATS,
    quantize: Sequence[Quantize | None] = (None,),
    representative_data: Any = None,
    warmup: Any = None,
    name: str = "model",
    overwrite: bool = False,
) -> None:
    """Raise now what `bundle` would raise before it writes anything.

    Checks the target (it must not exist unless ``overwrite``; a half-done
    swap a killed export left there is finished first), the formats and
    quantization modes, that int8 has calibration data, that ``warmup`` goes
    with a SavedModel, and that the extras the formats need are installed.
    `bundle` runs it first; a script that trains and then exports calls it
    before training, so a taken target does not cost a training run.

    Args:
        path: the bundle folder to create.
        formats: the formats to write (see `bundle`).
        quantize: the TFLite modes to write.
        representative_data: calibration inputs (only checked to be given
            for ``"int8"``).
        warmup: TF Serving warm-up inputs (only checked to go with a
            SavedModel and the ``serving`` extra).
        name: the file name stem of the artifacts.
        overwrite: whether an existing bundle folder may be replaced.

    Raises:
        ArtifactExistsError: if ``path`` exists and ``overwrite`` is false.
        ArgumentTypeError, ConfigError: for bad ``formats``, ``quantize``,
            ``name``, a missing ``representative_data`` for int8, or a
            ``warmup`` without ``"saved_model"``.
        ImportError: if ``"onnx"`` is asked for without the ``onnx`` extra,
            or ``warmup`` without the ``serving`` extra.

    Example:
        >>> import tempfile
        >>> folder = tempfile.mkdtemp()
        >>> tfs.export.check_bundle(folder + "/new")  # free: nothing raised
        >>> tfs.export.check_bundle(folder)
        Traceback (most recent call last):
        ...
        tfstarter.errors.ArtifactExistsError: ... already exists; pass overwrite=True...
    """
    plan = _plan(formats, quantize)
    _check_name(name)
    if any(mode == "int8" for _, mode in plan) and representative_data is None:
        raise ConfigError(
            "quantize includes 'int8', which calibrates on representative inputs, "
            "but `representative_data` is None. Pass e.g. "
            "representative_data=x_train[:500]."
        )
    planned = {fmt for fmt, _ in plan}
    if warmup is not None:
        if "saved_model" not in planned:
            raise ConfigError(
                f"`warmup` writes TF Serving warm-up records into the SavedModel, "
                f"but formats={tuple(dict.fromkeys(f for f, _ in plan))!r} has no "
                f"'saved_model'. Add it, or drop warmup."
            )
        require_serving_api()
    if "onnx" in planned:
        require("tf2onnx", extra="onnx", needed_for="the bundle's 'onnx' format")
        require("onnxruntime", extra="onnx", needed_for="the bundle's 'onnx' format")
    target = Path(path)
    recover(target)
    check_target(target, kind="dir", overwrite=overwrite)


def bundle(
    model: Any,
    path: PathLike,
    *,
    formats: Sequence[Format] = INSTALLED_FORMATS,
    quantize: Sequence[Quantize | None] = (None,),
    representative_data: Any = None,
    calibration_samples: int = 200,
    sample: Any = None,
    warmup: Any = None,
    tolerances: Mapping[str, Tolerance] | None = None,
    name: str = "model",
    overwrite: bool = False,
    check: bool = True,
) -> Bundle:
    """Export a model to several formats in one folder, with a ``manifest.json``.

    Each artifact is written as by its own exporter (`keras`, `h5`,
    `saved_model`, `tflite` once per quantization mode, `onnx`), then all are
    verified on the same sample; the manifest records, for each, the format,
    quantization, file, size, SHA-256, serving signature and verification
    report, plus the Python, TensorFlow, Keras, LiteRT, ONNX, serving-API and
    tfstarter versions. With a SavedModel, the bundle also holds what a
    TensorFlow Serving client needs: ``request.json`` (a REST predict request
    for the first 3 samples of ``sample``), ``response.json`` (the model's
    answer to it, what Serving must return) and ``request.npy`` (the same
    inputs, for ``saved_model_cli run --inputs inputs=request.npy``). The
    folder appears only when everything has been written (and, with
    ``check``, has passed); `check_bundle` runs first, before anything
    expensive.

    Args:
        model: the `keras.Model` to export (one input, one output).
        path: the bundle folder to create.
        formats: the formats to write, among ``"keras"``, ``"h5"``,
            ``"saved_model"``, ``"tflite"`` and ``"onnx"`` (default: the first
            four, and ``"onnx"`` too when the ``onnx`` extra is installed).
        quantize: the TFLite modes to write, among ``None``, ``"dynamic"``,
            ``"float16"`` and ``"int8"`` (one file each).
        representative_data: calibration inputs, needed for ``"int8"`` (see
            `tflite`).
        calibration_samples: how many representative samples to calibrate on.
        sample: inputs to verify every artifact on, and to take the REST
            request's samples from (default: the first 64 representative
            samples if given, else 8 seeded random inputs).
        warmup: inputs to write as TF Serving warm-up records into the
            SavedModel (see `saved_model`; needs the ``serving`` extra).
        tolerances: per-key overrides of `DEFAULT_TOLERANCES`, e.g.
            ``{"tflite-int8": Tolerance(...)}``.
        name: the file name stem of the artifacts.
        overwrite: replace an existing bundle folder.
        check: verify every artifact, and refuse to publish the bundle if one
            fails.

    Returns:
        The `Bundle` (folder, manifest, reports).

    Raises:
        ArgumentTypeError, ConfigError, ImportError, ArtifactExistsError: as
            `check_bundle`, and for bad ``tolerances``; see also the
            individual exporters.
        ExportError: if the model is not built, or the disk is full.
        VerificationError: if an artifact is out of tolerance (then no bundle
            is written).

    Example:
        >>> import keras, json, tempfile
        >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
        >>> result = tfs.export.bundle(
        ...     model, tempfile.mkdtemp() + "/bundle", formats=("keras", "tflite")
        ... )
        >>> sorted(path.name for path in result.path.iterdir())
        ['manifest.json', 'model.keras', 'model.tflite']
        >>> json.loads(result.manifest_path.read_text()) == result.manifest
        True
    """
    spec = io_spec(model)
    check_bundle(
        path,
        formats=formats,
        quantize=quantize,
        representative_data=representative_data,
        warmup=warmup,
        name=name,
        overwrite=overwrite,
    )
    plan = _plan(formats, quantize)
    overrides = dict(tolerances or {})
    for key, value in overrides.items():
        if not isinstance(value, Tolerance):
            raise ArgumentTypeError(
                f"`tolerances[{key!r}]` must be a Tolerance, got {describe(value)}."
            )
    target = Path(path)
    if sample is not None:
        x = as_inputs("sample", sample, spec)
    elif representative_data is not None:
        x = as_inputs("representative_data", representative_data, spec)
        x = x[:CHECK_SAMPLES]
    else:
        x = default_sample(spec)
    warmup_inputs = None
    if warmup is not None:
        warmup_inputs = as_inputs("warmup", warmup, spec)
        check_warmup_rows(warmup_inputs)

    with (
        disk_full_as_export_error(target, lambda: _least_bytes(model, plan)),
        staged(target, kind="dir", overwrite=overwrite) as temp,
    ):
        temp.mkdir()
        entries: list[dict[str, Any]] = []
        reports: list[VerificationReport] = []
        for fmt, mode in plan:
            written = _write(
                model,
                temp,
                fmt,
                mode,
                name=name,
                representative_data=representative_data,
                calibration_samples=calibration_samples,
                warmup=warmup_inputs,
                check=check,
            )
            key = format_key(fmt, mode)
            relative = written.relative_to(temp)
            entry: dict[str, Any] = {
                "key": key,
                "format": fmt,
                "quantize": mode,
                "path": relative.as_posix(),
                "bytes": artifact_bytes(written),
                "sha256": _sha256(written),
                "signature": _signature(fmt, spec),
                "verification": None,
            }
            if check:
                report = compare(
                    open_artifact(written, model, safe_mode=False),
                    model,
                    x,
                    tolerance=overrides.get(key),
                )
                report = replace(report, path=target / relative)
                if not report.passed:
                    raise VerificationError(
                        f"{failure_message(report)} The bundle was not written."
                    )
                reports.append(report)
                entry["verification"] = {
                    **report.to_dict(),
                    "path": relative.as_posix(),
                }
            entries.append(entry)
        serving = None
        if any(fmt == "saved_model" for fmt, _ in plan):
            serving = write_rest_example(temp, model, x)
            serving["warmup_records"] = (
                0 if warmup_inputs is None else int(warmup_inputs.shape[0])
            )
        manifest: dict[str, Any] = {
            "manifest_version": MANIFEST_VERSION,
            "created": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"
            ),
            "model": {
                "name": model.name,
                "class": type(model).__name__,
                "parameters": int(model.count_params()),
            },
            "signature": {"name": SERVING_SIGNATURE, **spec.to_dict()},
            "versions": _versions(),
            "artifacts": entries,
            "serving": serving,
        }
        (temp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return Bundle(path=target, manifest=manifest, reports=tuple(reports))
