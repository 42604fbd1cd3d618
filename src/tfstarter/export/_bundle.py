"""`bundle`: several formats of one model in a folder, with a JSON manifest.

Layout (``name="model"``)::

    folder/
      manifest.json
      model.keras
      model.h5
      saved_model/1/...           # TensorFlow Serving layout
      model.tflite                # float32
      model.dynamic.tflite        # one file per extra quantization mode
      model.float16.tflite
      model.int8.tflite

The whole folder is built under a temporary name and moved into place at the
end, so a failed or killed export leaves no partial bundle.
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

from tfstarter._atomic import check_target, staged
from tfstarter._checks import check_one_of, describe
from tfstarter.errors import ArgumentTypeError, ConfigError, VerificationError
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
from tfstarter.export._report import VerificationReport
from tfstarter.export._samples import as_inputs
from tfstarter.export._saved_model import saved_model
from tfstarter.export._self_check import default_sample
from tfstarter.export._signature import IOSpec, io_spec
from tfstarter.export._tflite import CHECK_SAMPLES, tflite
from tfstarter.export._tolerance import Tolerance
from tfstarter.export._verify import compare, failure_message, open_artifact

MANIFEST = "manifest.json"
MANIFEST_VERSION = 1
DEFAULT_FORMATS: tuple[Format, ...] = ("keras", "h5", "saved_model", "tflite")


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
    suffix = {"keras": ".keras", "h5": ".h5", "tflite": ".tflite"}[fmt]
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
) -> Path:
    target = folder / _file_name(fmt, mode, name)
    if fmt == "keras":
        return keras(model, target, check=False)
    if fmt == "h5":
        return h5(model, target, check=False)
    if fmt == "saved_model":
        return saved_model(model, target, version=1, check=False)
    return tflite(
        model,
        target,
        quantize=mode,
        representative_data=representative_data if mode == "int8" else None,
        calibration_samples=calibration_samples,
        check=False,
    )


def _signature(fmt: Format, spec: IOSpec) -> dict[str, Any] | None:
    if fmt in ("saved_model", "tflite"):
        return {"name": SERVING_SIGNATURE, **spec.to_dict()}
    return None


def bundle(
    model: Any,
    path: PathLike,
    *,
    formats: Sequence[Format] = DEFAULT_FORMATS,
    quantize: Sequence[Quantize | None] = (None,),
    representative_data: Any = None,
    calibration_samples: int = 200,
    sample: Any = None,
    tolerances: Mapping[str, Tolerance] | None = None,
    name: str = "model",
    overwrite: bool = False,
    check: bool = True,
) -> Bundle:
    """Export a model to several formats in one folder, with a ``manifest.json``.

    Each artifact is written as by its own exporter (`keras`, `h5`,
    `saved_model`, `tflite` once per quantization mode), then all are verified
    on the same sample; the manifest records, for each, the format,
    quantization, file, size, SHA-256, serving signature and verification
    report, plus the Python, TensorFlow, Keras, LiteRT and tfstarter
    versions. The folder appears only when everything has been written (and,
    with ``check``, has passed).

    Args:
        model: the `keras.Model` to export (one input, one output).
        path: the bundle folder to create.
        formats: the formats to write, among ``"keras"``, ``"h5"``,
            ``"saved_model"`` and ``"tflite"``.
        quantize: the TFLite modes to write, among ``None``, ``"dynamic"``,
            ``"float16"`` and ``"int8"`` (one file each).
        representative_data: calibration inputs, needed for ``"int8"`` (see
            `tflite`).
        calibration_samples: how many representative samples to calibrate on.
        sample: inputs to verify every artifact on (default: the first 64
            representative samples if given, else 8 seeded random inputs).
        tolerances: per-key overrides of `DEFAULT_TOLERANCES`, e.g.
            ``{"tflite-int8": Tolerance(...)}``.
        name: the file name stem of the artifacts.
        overwrite: replace an existing bundle folder.
        check: verify every artifact, and refuse to publish the bundle if one
            fails.

    Returns:
        The `Bundle` (folder, manifest, reports).

    Raises:
        ArgumentTypeError, ConfigError: for bad ``formats``, ``quantize``,
            ``name`` or ``tolerances``; see also the individual exporters.
        ArtifactExistsError: if ``path`` exists and ``overwrite`` is false.
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
    plan = _plan(formats, quantize)
    if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
        raise ConfigError(
            f"`name` must be a plain file name stem such as 'model', got {name!r}."
        )
    overrides = dict(tolerances or {})
    for key, value in overrides.items():
        if not isinstance(value, Tolerance):
            raise ArgumentTypeError(
                f"`tolerances[{key!r}]` must be a Tolerance, got {describe(value)}."
            )
    if any(mode == "int8" for _, mode in plan) and representative_data is None:
        raise ConfigError(
            "quantize includes 'int8', which calibrates on representative inputs, "
            "but `representative_data` is None. Pass e.g. "
            "representative_data=x_train[:500]."
        )
    target = Path(path)
    check_target(target, kind="dir", overwrite=overwrite)
    if sample is not None:
        x = as_inputs("sample", sample, spec)
    elif representative_data is not None:
        x = as_inputs("representative_data", representative_data, spec)
        x = x[:CHECK_SAMPLES]
    else:
        x = default_sample(spec)

    with staged(target, kind="dir", overwrite=overwrite) as temp:
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
        }
        (temp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    return Bundle(path=target, manifest=manifest, reports=tuple(reports))
