"""Shared helpers for benchmarks: machine, paired ratios, result pages."""

from __future__ import annotations

import datetime as _dt
import os
import platform
import statistics
from collections.abc import Sequence
from pathlib import Path


def _cpuinfo(key: str) -> str | None:
    """The value of the first ``key`` line of /proc/cpuinfo (None: not there)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(key):
            return line.split(":", 1)[1].strip()
    return None


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo (or platform as a fallback)."""
    return _cpuinfo("model name") or platform.processor() or platform.machine()


def cpu_features() -> str:
    """The CPU's vector extensions that change TensorFlow's kernels, in words.

    TensorFlow turns its oneDNN kernels on by itself on CPUs with AVX-512
    VNNI/BF16 or AMX, which changes what is fast (convolutions, and so
    whether whole-step XLA pays); this says which such CPU a page was run on.
    """
    line = _cpuinfo("flags")
    if line is None:
        return "CPU flags unknown"
    flags = line.split()
    named = {
        "avx512_vnni": "AVX-512 VNNI",
        "avx512_bf16": "AVX-512 BF16",
        "amx_tile": "AMX",
    }
    found = [words for flag, words in named.items() if flag in flags]
    if found:
        return "with " + ", ".join(found)
    if "avx512f" in flags:
        return "with AVX-512"
    return "with AVX2, no AVX-512" if "avx2" in flags else "without AVX2"


def machine() -> str:
    """Describe the machine, the library versions and the time, in one line."""
    import importlib.metadata as md

    def version(name: str) -> str:
        try:
            return md.version(name)
        except md.PackageNotFoundError:
            return "not installed"

    now = _dt.datetime.now().astimezone()
    return (
        f"{cpu_model()} ({cpu_features()}), {os.cpu_count()} logical cores, "
        f"{platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}, "
        f"TensorFlow {version('tensorflow')}, Keras {version('keras')}, "
        f"NumPy {version('numpy')}, ai-edge-litert {version('ai-edge-litert')}, "
        f"tfstarter {version('tfstarter')}; {now:%Y-%m-%d %H:%M %Z}"
    )


def median_paired_ratio(rates: Sequence[float], baseline: Sequence[float]) -> float:
    """Median of ``rates[i] / baseline[i]``: each pair was timed side by side.

    Pairing cancels the slow drifts of a shared machine's speed, which
    comparing the best (or the median) of each side alone does not.
    """
    return statistics.median(a / b for a, b in zip(rates, baseline, strict=True))


def machine_summary() -> str:
    """Return ``Machine: <machine()>.``, the closing line of a result page."""
    return f"Machine: {machine()}."


def write_markdown(
    path: Path, title: str, intro: str, table: str, machine: str
) -> None:
    """Write a benchmark result page (atomically) to ``path``."""
    write_page(path, f"# {title}\n\n{intro}\n\n{table}\n\n{machine}\n")


def write_page(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (a reader never sees half a page)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
