"""Every ``>>>`` example in the package's docstrings runs and prints what it says."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import numpy as np
import pytest

import tfstarter


def all_modules() -> list[str]:
    names = ["tfstarter"]
    names += [
        info.name
        for info in pkgutil.walk_packages(tfstarter.__path__, prefix="tfstarter.")
    ]
    return sorted(names)


@pytest.mark.parametrize("module_name", all_modules())
def test_docstring_examples(module_name: str) -> None:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    globs = {"np": np, "tfs": tfstarter}
    for test in finder.find(module, module_name, globs=dict(vars(module), **globs)):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, f"{results.failed} doctest(s) failed in {module_name}"
