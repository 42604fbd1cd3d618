"""Numbers as a person reads them: percentages, sizes, durations."""

from __future__ import annotations

import math

from tfstarter.report._history import higher_is_better


def format_metric(name: str, value: float) -> str:
    """Format a metric value: shares as percentages, the rest with 4 significant digits.

    Examples:
        >>> format_metric("accuracy", 0.98765), format_metric("loss", 0.0123456)
        ('98.77%', '0.01235')
    """
    if not math.isfinite(value):
        return str(value)
    if higher_is_better(name) and 0.0 <= value <= 1.0:
        return f"{value:.2%}"
    return f"{value:.4g}"


def format_bytes(size: float) -> str:
    """Format a size in bytes with a binary unit.

    Examples:
        >>> format_bytes(512), format_bytes(2_500_000)
        ('512 B', '2.4 MiB')
    """
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def format_seconds(seconds: float) -> str:
    """Format a duration: seconds below two minutes, else minutes and seconds.

    Examples:
        >>> format_seconds(12.345), format_seconds(185)
        ('12.3 s', '3 min 5 s')
    """
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
