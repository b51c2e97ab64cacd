"""The intake's hook for further checks (work.STAGES): a registered stage's findings join the version's counts,
its findings and its HTML report; a name that cannot be imported is left out, not an error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from xltools.findings import WARNING, finding
from xltools.server import work

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "longyao-cac-2020.xlsx"


def extra_stage(path: Path, report: Any) -> list[Any]:
    return [finding("audit.clerk-text", WARNING, "封面", "B9", label="测试说明", detail="阶段加入的提醒")]


def test_registered_stage_joins_the_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = work.intake(str(EXAMPLE), "a.xlsx", "hebei-county-2020", 2020, str(tmp_path / "a.html"), None)
    monkeypatch.setattr(work, "STAGES", [f"{__name__}:extra_stage", "xltools.no_such_module:check"])
    out = work.intake(str(EXAMPLE), "a.xlsx", "hebei-county-2020", 2020, str(tmp_path / "b.html"), None)
    assert out["warnings"] == base["warnings"] + 1
    assert out["errors"] == base["errors"]
    added = [f for f in out["findings"] if f["rule"] == "audit.clerk-text"]
    assert [(f["sheet"], f["cell"]) for f in added] == [("封面", "B9")]
    assert "阶段加入的提醒" in (tmp_path / "b.html").read_text(encoding="utf-8")
    assert "阶段加入的提醒" not in (tmp_path / "a.html").read_text(encoding="utf-8")
