"""Keep TensorFlow's start-up noise off the terminal unless ``--verbose``.

What is hidden: native log lines TensorFlow's C++ runtime writes while it
starts and converts models (CUDA driver probes and ``cuInit`` errors on
machines without a GPU, oneDNN and CPU-feature notices, the TFLite
converter's ``fully_quantize`` line) and absl ``WARNING`` messages from
Python (legacy-HDF5 and compiled-metrics notices). Python warnings, which
report real problems, are left alone.

Why our own code: ``TF_CPP_MIN_LOG_LEVEL`` is read by TensorFlow's own
logger, but several libraries it loads log through absl before absl is
initialised, straight to file descriptor 2, where no Python setting
reaches. The only way to hide those is to point descriptor 2 elsewhere
while they run and then pass on every line that is not known noise.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import tempfile
from collections.abc import Iterator

_NATIVE_LOG = re.compile(r"^[IWEF]\d{4} [\d:. ]+\s+\d+ [\w.-]+:\d+\] ")
_NOISE = re.compile(
    r"absl::InitializeLog|cudart_stub|cuInit|cuda_|CUDA|oneDNN|cpu_feature_guard|"
    r"TF-TRT|fully_quantize|computation placer|Unable to register cu|"
    r"This TensorFlow binary is optimized|rebuild TensorFlow with the appropriate|"
    r"XNNPACK delegate"
)


def is_noise(line: str) -> bool:
    """Return whether a line TensorFlow wrote to stderr is known start-up noise.

    Native informational and warning lines are noise; native errors are kept
    unless they are about a missing GPU driver.

    Examples:
        >>> is_noise("I0000 00:00:1.5   123 cudart_stub.cc:31] Could not find cuda")
        True
        >>> is_noise("E0000 00:00:1.5   123 kernel.cc:9] out of memory")
        False
        >>> is_noise("UserWarning: something real")
        False
    """
    native = _NATIVE_LOG.match(line)
    if native is not None and line[0] in "IW":
        return True
    return _NOISE.search(line) is not None


@contextlib.contextmanager
def filtered_stderr(*, enabled: bool = True) -> Iterator[None]:
    """Capture file descriptor 2 for the block, then re-emit all but noise.

    Everything written to stderr inside the block, by Python or by native
    code, is held back and written after it, in order, without the lines
    `is_noise` recognises. ``enabled=False`` leaves stderr alone.

    Examples:
        >>> with filtered_stderr():
        ...     print("kept", file=sys.stderr)
    """
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as capture:
        os.dup2(capture.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            capture.seek(0)
            text = capture.read().decode("utf-8", errors="replace")
            kept = [line for line in text.splitlines(True) if not is_noise(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def start_tensorflow(*, verbose: bool) -> None:
    """Import TensorFlow and find its devices; quietly unless ``verbose``.

    Sets ``TF_CPP_MIN_LOG_LEVEL=3`` (unless the environment sets it) before
    the import, hides the native start-up lines (see `filtered_stderr`) and
    turns absl's Python logging down to errors.
    """
    if verbose:
        import tensorflow as tf

        tf.config.list_physical_devices()
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    with filtered_stderr():
        import tensorflow as tf

        tf.config.list_physical_devices()
    from absl import logging as absl_logging

    absl_logging.set_verbosity(absl_logging.ERROR)
    tf.get_logger().setLevel("ERROR")
