"""The tests here drive separate processes (the launcher and its workers).

They build no model in the test process, so the suite-wide fixture that seeds
Keras and clears its session after every test (about a second each on a busy
machine) is replaced by a no-op here; the worker scripts seed themselves.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _seeded_clean_session() -> None:
    return None
