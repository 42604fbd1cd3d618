"""Same seed, same machine, default options: two fresh processes end bit-identical.

Each run happens in a new Python process (no state shared with this test
process, TensorFlow op determinism off as for a user), sets
``keras.utils.set_random_seed`` and trains with the Trainer's defaults. The
final weights must be equal to the bit. One variant lets ``jit_compile="auto"``
choose whole-step XLA in a short run (its step threshold lowered), so the
XLA path is held to the same promise.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import textwrap

import pytest

# Each case trains in two fresh processes: a long suite, its own step of .ci/run.
pytestmark = pytest.mark.extended

SCRIPT = textwrap.dedent(
    """
    import hashlib, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import keras, numpy as np
    import tfstarter as tfs
    from tfstarter.training._xla import _whole_step

    loop, kind, eager = sys.argv[1], sys.argv[2], sys.argv[3] == "eager"
    if eager:
        _whole_step.WHOLE_STEP_MIN_STEPS = 0
    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(192, 28, 28)).astype("uint8")
    y = rng.integers(0, 10, size=192)
    if kind == "mlp":
        model = tfs.models.dense((28, 28), classes=10, hidden=(32,), rescale=1 / 255)
    elif kind == "plain-mlp":  # no dropout: whole-step XLA may be chosen
        model = keras.Sequential([
            keras.Input((28, 28)),
            keras.layers.Rescaling(1 / 255),
            keras.layers.Flatten(),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(10),
        ])
        model.compile(
            optimizer="adam",
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
        )
    else:
        model = tfs.models.cnn((28, 28), classes=10, rescale=1 / 255)
    trainer = tfs.Trainer(model, loop)
    trainer.fit(x, y, epochs=2, batch_size=32, validation_split=0.25, verbose=0)
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    print("XLA", trainer.xla.whole_step)
    print("DIGEST", digest.hexdigest())
    """
)


def _run(*args: str) -> tuple[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, *args],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    return lines["DIGEST"], lines["XLA"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("loop", "kind", "eager"),
    [
        ("fit", "mlp", "default"),
        ("custom", "mlp", "default"),
        ("fit", "cnn", "default"),
        ("custom", "cnn", "default"),
        ("custom", "plain-mlp", "eager"),
    ],
)
def test_two_fresh_processes_end_with_identical_weights(loop, kind, eager):
    first, xla = _run(loop, kind, eager)
    second, xla_again = _run(loop, kind, eager)
    assert first == second
    assert xla == xla_again
    if eager == "eager":
        assert xla == "True"  # the XLA path was exercised
    assert len(first) == len(hashlib.sha256().hexdigest())
