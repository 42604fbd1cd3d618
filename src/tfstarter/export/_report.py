"""`VerificationReport`: what `verify` measured on an artifact, and the verdict."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tfstarter.export._formats import Format, Quantize, format_key


@dataclass(frozen=True)
class VerificationReport:
    """How closely an exported artifact reproduces the in-memory model.

    Attributes:
        format: ``"h5"``, ``"keras"``, ``"saved_model"`` or ``"tflite"``.
        quantize: the TFLite quantization found in the file, else ``None``.
        path: the artifact that was checked.
        size_bytes: its size on disk (all files, for a SavedModel folder).
        samples: how many samples were compared.
        max_abs_diff: the largest absolute output difference.
        mean_abs_diff: the mean absolute output difference.
        limit: the largest difference the tolerance allowed on this sample.
        argmax_agreement: for classifiers, the fraction of samples whose
            predicted class agrees (thresholded decision for a one-unit binary
            head); ``None`` for regression.
        min_agreement: the agreement the tolerance required (``None`` for
            regression).
        latency_s: mean seconds per sample in the artifact's runtime, running
            the whole sample in batches of ``batch_size`` (see `verify`; the
            export benchmark measures batch-1 latency).
        passed: whether both the difference and the agreement are within the
            tolerance.

    Example:
        >>> report = VerificationReport(
        ...     format="tflite", quantize="int8", path=Path("m.tflite"),
        ...     size_bytes=31008, samples=1000, max_abs_diff=0.012,
        ...     mean_abs_diff=0.001, limit=0.12, argmax_agreement=0.998,
        ...     min_agreement=0.95, latency_s=2.1e-5, passed=True,
        ... )  # fmt: skip
        >>> print(report)
        tflite-int8 m.tflite: passed, 30.3 KiB, 1000 samples, max |diff| 0.012 (limit 0.12), agreement 99.80% (min 95.00%), 21 µs/sample
    """  # noqa: E501

    format: Format
    quantize: Quantize | None
    path: Path
    size_bytes: int
    samples: int
    max_abs_diff: float
    mean_abs_diff: float
    limit: float
    argmax_agreement: float | None
    min_agreement: float | None
    latency_s: float
    passed: bool

    @property
    def key(self) -> str:
        """The format and quantization as one key, e.g. ``"tflite-int8"``."""
        return format_key(self.format, self.quantize)

    def problems(self) -> list[str]:
        """Say, for each check that failed, by how much.

        Example:
            >>> VerificationReport(
            ...     format="h5", quantize=None, path=Path("m.h5"), size_bytes=1,
            ...     samples=10, max_abs_diff=0.5, mean_abs_diff=0.1, limit=0.25,
            ...     argmax_agreement=None, min_agreement=None, latency_s=0.0,
            ...     passed=False,
            ... ).problems()  # fmt: skip
            ['max |difference| 0.5 exceeds the allowed 0.25 (2 times the limit)']
        """
        found = []
        if not self.max_abs_diff <= self.limit:
            times = self.max_abs_diff / self.limit if self.limit > 0 else float("inf")
            found.append(
                f"max |difference| {self.max_abs_diff:.3g} exceeds the allowed "
                f"{self.limit:.3g} ({times:.3g} times the limit)"
            )
        if (
            self.argmax_agreement is not None
            and self.min_agreement is not None
            and self.argmax_agreement < self.min_agreement
        ):
            differ = round((1 - self.argmax_agreement) * self.samples)
            found.append(
                f"argmax agreement {self.argmax_agreement:.2%} is below the "
                f"required {self.min_agreement:.2%} ({differ} of {self.samples} "
                f"samples predict another class)"
            )
        return found

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (the path as a string).

        Example:
            >>> VerificationReport(
            ...     format="h5", quantize=None, path=Path("m.h5"), size_bytes=1,
            ...     samples=1, max_abs_diff=0.0, mean_abs_diff=0.0, limit=1e-5,
            ...     argmax_agreement=None, min_agreement=None, latency_s=0.001,
            ...     passed=True,
            ... ).to_dict()["path"]  # fmt: skip
            'm.h5'
        """
        data = asdict(self)
        data["path"] = str(self.path)
        return data

    def __str__(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        parts = [
            f"{self.key} {self.path}: {verdict}",
            f"{self.size_bytes / 1024:.1f} KiB",
            f"{self.samples} samples",
            f"max |diff| {self.max_abs_diff:.3g} (limit {self.limit:.3g})",
        ]
        if self.argmax_agreement is not None:
            parts.append(
                f"agreement {self.argmax_agreement:.2%} "
                f"(min {self.min_agreement or 0.0:.2%})"
            )
        parts.append(f"{self.latency_s * 1e6:.3g} µs/sample")
        return ", ".join(parts)
