"""The quick loop stays quick: a module that talks to moto carries the mark that keeps it out of
`make test-fast` (tests/conftest.py turns `moto` into `slow`)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_module_using_moto_is_marked_moto() -> None:
    unmarked = [
        path.name
        for path in sorted(TESTS.glob("test_*.py"))
        if "mock_aws" in (text := path.read_text()) and "mark.moto" not in text
    ]
    assert unmarked == [], f"mark these modules `pytestmark = pytest.mark.moto`: {unmarked}"
