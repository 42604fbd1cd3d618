"""The export guide's deployment commands, run exactly as the guide writes them.

The commands are read from ``docs/guides/export.md`` (the ``saved_model_cli``
and ``curl`` lines, the gRPC client block) and run in a folder holding the
bundle the guide writes, ``artifacts/mnist-bundle``, made here from an MNIST-
shaped registry model. The container command is the one exception: the
``tensorflow/serving`` image cannot run here, so `serving_standin` serves the
same SavedModel on the same ports with Serving's documented REST and gRPC
predict APIs (and its warm-up). What each command prints is compared with
the guide's expected output where that does not depend on the weights, and
with the bundle's ``response.json`` where it does.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import keras
import numpy as np
import pytest

import tfstarter as tfs
from tfstarter.models._goldens import GOLDENS

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guides" / "export.md"
BUNDLE = Path("artifacts") / "mnist-bundle"


def _standin() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "serving_standin", Path(__file__).with_name("serving_standin.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def guide_blocks() -> list[tuple[str, str]]:
    """Return the guide's fenced blocks as (language, text), in order."""
    text = GUIDE.read_text(encoding="utf-8")
    return re.findall(r"^```(\w*)\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def guide_command(prefix: str) -> tuple[str, str | None]:
    """Return the guide's one-line command starting with ``prefix``, and its output."""
    blocks = guide_blocks()
    for index, (language, text) in enumerate(blocks):
        if language == "bash" and text.startswith(prefix):
            after = blocks[index + 1] if index + 1 < len(blocks) else ("", "")
            return text.strip(), after[1] if after[0] == "text" else None
    raise AssertionError(f"the export guide has no bash block starting {prefix!r}")


def grpc_client_block() -> tuple[str, str]:
    blocks = guide_blocks()
    for index, (language, text) in enumerate(blocks):
        if language == "python" and "prediction_service_pb2_grpc" in text:
            return text, blocks[index + 1][1]
    raise AssertionError("the export guide has no gRPC client block")


def run(command: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    done = subprocess.run(
        shlex.split(command),
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, f"{command}\n{done.stderr[-3000:]}"
    return done.stdout


def numbers(text: str) -> np.ndarray:
    found = re.findall(r"[-+]?\d+\.?\d*(?:[eE][-+]?\d+)?", text)
    return np.array([float(value) for value in found])


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the guide's bundle, from an MNIST-shaped model."""
    golden = next(g for g in GOLDENS if g.name == "cnn_mnist_rescale")
    keras.utils.set_random_seed(0)
    model = golden.build()
    x = golden.sample_inputs(64)
    model.fit(x, golden.sample_targets(64), epochs=1, verbose=0)
    folder = tmp_path_factory.mktemp("guide")
    tfs.export.bundle(
        model,
        folder / BUNDLE,
        formats=("saved_model",),
        sample=x,
        warmup=x[:10],
    )
    return folder


def expected_predictions(workdir: Path) -> np.ndarray:
    response = json.loads((workdir / BUNDLE / "response.json").read_text())
    return np.array(response["predictions"])


def test_saved_model_cli_show_prints_what_the_guide_says(workdir: Path) -> None:
    command, expected = guide_command("saved_model_cli show")
    assert expected is not None, "the guide shows no output for saved_model_cli show"
    assert run(command, workdir).splitlines() == expected.splitlines()


def test_saved_model_cli_run_prints_the_response(workdir: Path) -> None:
    command, expected = guide_command("saved_model_cli run")
    assert expected is not None and expected.startswith(
        "Result for output key outputs:"
    )
    printed = run(command, workdir)
    result = printed.split("Result for output key outputs:")[1]
    want = expected_predictions(workdir)
    np.testing.assert_allclose(
        numbers(result).reshape(want.shape), want, rtol=1e-5, atol=1e-5
    )


@pytest.fixture(scope="module")
def served(workdir: Path) -> object:
    standin = _standin()
    try:
        server = standin.StandIn(workdir / BUNDLE / "saved_model", "mnist")
    except (OSError, RuntimeError) as err:
        pytest.fail(f"ports 8500/8501 (the guide's) must be free for this test: {err}")
    with server:
        yield server


def test_the_standin_ran_the_warmup_records(served: object) -> None:
    assert served.model.warmup_records == 10  # type: ignore[attr-defined]


def test_curl_gets_the_response(workdir: Path, served: object) -> None:
    command, _ = guide_command("curl")
    reply = json.loads(run(command, workdir))
    np.testing.assert_allclose(
        np.array(reply["predictions"]),
        expected_predictions(workdir),
        rtol=1e-5,
        atol=1e-5,
    )


def test_grpc_client_prints_the_classes(workdir: Path, served: object) -> None:
    code, expected = grpc_client_block()
    assert re.fullmatch(r"\[\d+( \d+)*\]\n", expected)
    printed = run(f"{shlex.quote(sys.executable)} -c {shlex.quote(code)}", workdir)
    classes = expected_predictions(workdir).argmax(axis=1)
    assert printed == f"{classes}\n"
