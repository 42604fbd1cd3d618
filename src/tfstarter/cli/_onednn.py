"""The ``tfstarter`` command runs TensorFlow with its oneDNN CPU kernels on.

TensorFlow turns its oneDNN kernels on by itself only on x86 CPUs with
AVX-512 VNNI or BF16 or AMX (recent Intel Xeons, AMD EPYCs with AVX-512).
On other x86 CPUs (an AMD EPYC with AVX2, say) it leaves them off, and
there the default CNN and its recipe trained 1.6x slower when measured on
2026-12-01 (the probes of docs/benchmarks/accuracy.md, "Where the CPU time
goes", show the rate with oneDNN off for the CPU of its latest run).
TensorFlow reads the switch, ``TF_ENABLE_ONEDNN_OPTS``, once, when it is
imported, so a library cannot turn it on for a script that has already
imported TensorFlow. The command owns its process, so it sets
``TF_ENABLE_ONEDNN_OPTS=1`` before the import, on x86 machines, unless the
environment already sets it: ``TF_ENABLE_ONEDNN_OPTS=0 tfstarter ...``
keeps TensorFlow's kernels. ``env.json`` records the value a run used.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import MutableMapping

ONEDNN_VARIABLE = "TF_ENABLE_ONEDNN_OPTS"
"""The environment variable TensorFlow reads, once at import, for oneDNN."""

X86_MACHINES = frozenset({"x86_64", "amd64", "x64", "i386", "i686"})
"""`platform.machine` names of the CPUs oneDNN's x86 kernels run on."""


def prefer_onednn(
    environ: MutableMapping[str, str] | None = None,
    *,
    machine: str | None = None,
    tensorflow_imported: bool | None = None,
) -> bool:
    """Turn oneDNN on for this process where it is unset and still can be.

    Sets ``TF_ENABLE_ONEDNN_OPTS=1`` if the variable is unset, the CPU is
    x86 and TensorFlow is not imported yet; returns whether it set it.

    Args:
        environ: the environment to change (default `os.environ`).
        machine: the CPU architecture (default `platform.machine`).
        tensorflow_imported: whether TensorFlow is imported already, when
            setting the variable would change nothing (default: whether
            ``tensorflow`` is in `sys.modules`).

    Examples:
        >>> environ = {}
        >>> prefer_onednn(environ, machine="x86_64", tensorflow_imported=False)
        True
        >>> environ
        {'TF_ENABLE_ONEDNN_OPTS': '1'}
        >>> prefer_onednn(
        ...     {"TF_ENABLE_ONEDNN_OPTS": "0"},
        ...     machine="x86_64",
        ...     tensorflow_imported=False,
        ... )
        False
    """
    environ = os.environ if environ is None else environ
    machine = platform.machine() if machine is None else machine
    if tensorflow_imported is None:
        tensorflow_imported = "tensorflow" in sys.modules
    if (
        ONEDNN_VARIABLE in environ
        or machine.lower() not in X86_MACHINES
        or tensorflow_imported
    ):
        return False
    environ[ONEDNN_VARIABLE] = "1"
    return True
