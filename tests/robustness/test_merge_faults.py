"""Merge under faults (issue 6 §5): inputs of which some come from the corpus, plus a symbolic link loop in
the folder (5 broken of 60 in CI). Every input is accounted for, every valid one included, the merge runs to the end. The full
1,000 inputs: `-m slow` (XLTOOLS_SLOW=1) or bench/robustness_bench.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("xltools.merge.merge") is None, reason="xltools.merge is not in this tree yet"
)


def _check(tmp_path: Path, n: int, share: float) -> dict[str, object]:
    from .mergefaults import accounting, merge_under_faults

    inbox, result = merge_under_faults(tmp_path, n, share, jobs=2)
    acc = accounting(inbox, result)
    assert acc["accounted"] == acc["inputs"] == n, acc
    assert acc["valid_included"] == acc["valid"], acc
    assert acc["broken_refused_with_reason"] == acc["broken"], acc
    assert acc["loop_recorded"], result.skipped
    assert not acc["refused_whole_merge"]
    assert (tmp_path / "汇总.xlsx").is_file()
    return acc


def test_merge_sixty_inputs_with_faults(tmp_path: Path) -> None:
    acc = _check(tmp_path, 60, 5 / 60)
    assert acc["broken"] == 5


@pytest.mark.slow
def test_merge_thousand_inputs_with_faults(full_size: None, tmp_path: Path) -> None:
    acc = _check(tmp_path, 1000, 0.05)
    assert acc["broken"] == 50
