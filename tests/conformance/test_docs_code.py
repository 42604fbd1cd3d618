"""The Python code on the README and the quickstart page runs as written.

It runs on a slice of MNIST (``tfs.datasets.mnist`` is patched to return the
first few hundred images), in a scratch folder, so it takes seconds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tfstarter as tfs

ROOT = Path(__file__).resolve().parents[2]
PAGES = ["README.md", "docs/quickstart.md"]


def python_blocks(page: str) -> list[str]:
    text = (ROOT / page).read_text(encoding="utf-8")
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def test_each_page_has_code() -> None:
    for page in PAGES:
        assert python_blocks(page), f"{page} has no python code block"


@pytest.mark.mnist
@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES)
def test_page_code_runs(
    page: str,
    data_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (x_train, y_train), (x_test, y_test) = tfs.datasets.mnist(data_dir=data_dir)

    def small_mnist(*args: Any, **kwargs: Any) -> Any:
        return (x_train[:600], y_train[:600]), (x_test[:200], y_test[:200])

    monkeypatch.setattr(tfs.datasets, "mnist", small_mnist)
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    for block in python_blocks(page):
        exec(compile(block, page, "exec"), namespace)
    model = namespace["model"]
    assert model.output_shape == (None, 10)
    outputs = model.predict(np.asarray(x_test[:4]), verbose=0)
    np.testing.assert_allclose(outputs.sum(axis=1), 1.0, rtol=1e-5)
