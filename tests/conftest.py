"""Shared fixtures: the edition, the bundled example's data, and a writer of filled workbooks."""

from __future__ import annotations

import copy
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

from build import example_data  # noqa: E402

from xltools.edition import Edition, load_edition  # noqa: E402
from xltools.template.write import write_template  # noqa: E402

EXAMPLE = ROOT / "examples" / "longyao-cac-2020.xlsx"
AS_PUBLISHED = ROOT / "examples" / "longyao-cac-2020.as-published.xlsx"


@pytest.fixture(scope="session")
def ed() -> Edition:
    return load_edition("hebei-county-2020", 2020)


@pytest.fixture
def example() -> dict[str, Any]:
    """A fresh deep copy of the corrected example's plain data."""
    return copy.deepcopy(example_data("longyao-cac-2020.xlsx")[2])


@pytest.fixture
def write(tmp_path: Path, ed: Edition) -> Callable[..., Path]:
    """write(data, name="x.xlsx") -> path of a workbook filled with data."""
    counter = {"n": 0}

    def _write(data: dict[str, Any], name: str | None = None) -> Path:
        counter["n"] += 1
        path = tmp_path / (name or f"book{counter['n']}.xlsx")
        write_template(ed, path, data)
        return path

    return _write
