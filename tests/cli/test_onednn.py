"""The command turns oneDNN on before TensorFlow starts, unless told otherwise."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from tfstarter.cli._onednn import ONEDNN_VARIABLE, X86_MACHINES, prefer_onednn


@pytest.mark.parametrize(
    ("environ", "machine", "imported", "expected"),
    [
        ({}, "x86_64", False, {ONEDNN_VARIABLE: "1"}),
        ({}, "AMD64", False, {ONEDNN_VARIABLE: "1"}),
        ({ONEDNN_VARIABLE: "0"}, "x86_64", False, {ONEDNN_VARIABLE: "0"}),
        ({ONEDNN_VARIABLE: "1"}, "x86_64", False, {ONEDNN_VARIABLE: "1"}),
        ({}, "aarch64", False, {}),
        ({}, "arm64", False, {}),
        ({}, "x86_64", True, {}),
    ],
)
def test_prefer_onednn_sets_the_variable_only_where_it_is_unset_and_matters(
    environ: dict[str, str], machine: str, imported: bool, expected: dict[str, str]
) -> None:
    before = dict(environ)
    changed = prefer_onednn(environ, machine=machine, tensorflow_imported=imported)
    assert environ == expected
    assert changed == (environ != before)


_PROBE = """
from tfstarter.cli import main
main(["report", "/no/such/run"])
from tensorflow.python.util import _pywrap_util_port
print("onednn", _pywrap_util_port.IsMklEnabled())
"""


def _command_onednn(value: str | None) -> str:
    env = {key: val for key, val in os.environ.items() if key != ONEDNN_VARIABLE}
    if value is not None:
        env[ONEDNN_VARIABLE] = value
    done = subprocess.run(
        [sys.executable, "-c", _PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("onednn")]
    assert lines, done.stdout + done.stderr
    return lines[-1]


@pytest.mark.skipif(
    platform.machine().lower() not in X86_MACHINES, reason="oneDNN's x86 kernels"
)
@pytest.mark.parametrize(
    ("value", "expected"), [(None, "onednn True"), ("0", "onednn False")]
)
def test_the_command_starts_tensorflow_with_onednn_unless_turned_off(
    value: str | None, expected: str
) -> None:
    assert _command_onednn(value) == expected
