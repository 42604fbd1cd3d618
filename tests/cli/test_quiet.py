"""TensorFlow's start-up noise stays off the terminal; real messages get through."""

from __future__ import annotations

import os
import sys

import pytest

from tfstarter.cli._quiet import filtered_stderr, is_noise

NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are written to "
    "STDERR",
    "I0000 00:00:1796024621.500995   16326 cudart_stub.cc:31] Could not find cuda "
    "drivers on your machine, GPU will not be used.",
    "E0000 00:00:1796024628.128127   16326 cuda_platform.cc:52] failed call to cuInit: "
    "INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)",
    "I0000 00:00:1.0  1 cpu_feature_guard.cc:210] This TensorFlow binary is optimized "
    "to use available CPU instructions",
    "W0000 00:00:1.0  1 loader.cc:1] oneDNN custom operations are on.",
    "fully_quantize: 0, inference_type: 6, input_inference_type: INT8, "
    "output_inference_type: INT8",
    "INFO: Created TensorFlow Lite XNNPACK delegate for CPU.",
]

KEPT = [
    "E0000 00:00:1.0  1 bfc_allocator.cc:1] Allocator ran out of memory",
    "UserWarning: the data has only one class",
    "Traceback (most recent call last):",
]


@pytest.mark.parametrize("line", NOISE)
def test_noise_is_recognised(line: str) -> None:
    assert is_noise(line)


@pytest.mark.parametrize("line", KEPT)
def test_real_messages_are_kept(line: str) -> None:
    assert not is_noise(line)


def test_filtered_stderr_drops_noise_written_by_native_code(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with filtered_stderr():
        os.write(2, (NOISE[1] + "\n").encode())
        os.write(2, b"a real problem\n")
        print("from python", file=sys.stderr)
    err = capfd.readouterr().err
    assert "cudart_stub" not in err
    assert "a real problem\n" in err and "from python\n" in err


def test_filtered_stderr_can_be_turned_off(capfd: pytest.CaptureFixture[str]) -> None:
    with filtered_stderr(enabled=False):
        os.write(2, (NOISE[1] + "\n").encode())
    assert "cudart_stub" in capfd.readouterr().err
