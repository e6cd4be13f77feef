"""The README's configuration reference is generated from the option table and current."""

from __future__ import annotations

from pathlib import Path

from app.docs import MARKER
from app.docs import reference_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_reference_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert MARKER in text
    assert text.split(MARKER)[1].strip() == reference_table().strip()


def test_readme_has_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
