"""Every page the documentation site links exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def nav_pages() -> list[str]:
    text = (ROOT / "mkdocs.yml").read_text()
    return re.findall(r":\s*([\w/.-]+\.md)\s*$", text, flags=re.MULTILINE)


def test_nav_lists_the_pages() -> None:
    assert {"index.md", "quickstart.md", "api/tfstarter.md"} <= set(nav_pages())


@pytest.mark.parametrize("page", nav_pages())
def test_every_nav_page_exists(page: str) -> None:
    # mkdocs --strict only logs a missing nav page at INFO level.
    assert (ROOT / "docs" / page).is_file(), f"mkdocs.yml links docs/{page}: missing"
