"""Fixtures for the edition tests: the 一体化 edition and the third, test-only edition under data/."""

from __future__ import annotations

from pathlib import Path

import pytest

from xltools.edition import Edition, load_edition

DATA = Path(__file__).resolve().parent / "data"
MINI = DATA / "zz-mini"


@pytest.fixture(scope="session")
def yth() -> Edition:
    return load_edition("hebei-county-yth", 2021)


@pytest.fixture
def mini_path(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Make the test edition findable by id (as a bureau would install one) and return its folder."""
    monkeypatch.setenv("XLTOOLS_EDITIONS", str(DATA))
    return MINI
