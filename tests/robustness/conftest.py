"""Full-size runs are marked slow and skipped unless asked for: `XLTOOLS_SLOW=1 python -m pytest -m slow
tests/robustness` (or bench/robustness_bench.py). The CI command, `python -m pytest -n auto`, runs samples."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def full_size(request: pytest.FixtureRequest) -> None:
    if not (os.environ.get("XLTOOLS_SLOW") or "slow" in (request.config.option.markexpr or "")):
        pytest.skip("full-size run: set XLTOOLS_SLOW=1 or use -m slow (CI runs the sample)")
