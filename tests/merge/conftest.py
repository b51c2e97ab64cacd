"""A county on disk: 30 generated departments + 1 corrupt + 1 duplicate 单位编码 + 1 with an error, a roster
with 2 departments that did not submit, and one merge of it all (shared by the tests of this folder)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xltools.edition import Edition
from xltools.merge import MergeResult, merge
from xltools.synth import department
from xltools.template.write import write_template

N_VALID = 30
DUP_SEED = 5  # the duplicate carries this department's 单位编码
ERR_SEED = 30  # generated, then one amount changed so 类 ≠ Σ款 in 表6
MISSING = [("999001", "测试县未报送甲局"), ("999002", "测试县未报送乙局")]


@dataclass
class County:
    folder: Path
    data: dict[str, dict[str, Any]]  # file name -> plain data it was written from
    roster: Path
    out: Path
    json_path: Path
    export_dir: Path
    result: MergeResult

    def summary(self) -> dict[str, Any]:
        return json.loads(self.json_path.read_text(encoding="utf-8"))


def code_of(data: dict[str, Any]) -> str:
    return str(data["cover"]["code"]["value"])


def build_county(ed: Edition, folder: Path) -> tuple[dict[str, dict[str, Any]], Path]:
    folder.mkdir(parents=True, exist_ok=True)
    data: dict[str, dict[str, Any]] = {}
    for seed in range(N_VALID):
        data[f"dept{seed:02d}.xlsx"] = department(ed, seed)
    dup = department(ed, 31)
    dup["cover"]["code"]["value"] = code_of(data[f"dept{DUP_SEED:02d}.xlsx"])
    dup["cover"]["name"]["value"] = "重复报送的局"
    data["dup.xlsx"] = dup
    bad = department(ed, ERR_SEED)
    row = bad["t06"][1]
    row["public" if "public" in row else "personnel"] += Decimal("100")
    data["errors.xlsx"] = bad
    for name, d in data.items():
        write_template(ed, folder / name, d)
    good = (folder / "dept00.xlsx").read_bytes()
    (folder / "corrupt.xlsx").write_bytes(good[: len(good) // 2])
    roster = folder.parent / "名单.csv"
    lines = ["单位编码,单位名称"]
    lines += [f"{code_of(d)},{d['cover']['name']['value']}" for n, d in sorted(data.items()) if n != "dup.xlsx"]
    lines += [f"{c},{n}" for c, n in MISSING]
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return data, roster


@pytest.fixture(scope="session")
def county(tmp_path_factory: pytest.TempPathFactory, ed: Edition) -> County:
    base = tmp_path_factory.mktemp("county")
    data, roster = build_county(ed, base / "收件")
    out, js, exp = base / "汇总.xlsx", base / "汇总.json", base / "export"
    result = merge([base / "收件"], out, roster=roster, jobs=2, json_path=js, export_dir=exp)
    return County(base / "收件", data, roster, out, js, exp, result)


@pytest.fixture
def county_copy(county: County, tmp_path: Path) -> Path:
    """A private copy of the county's input folder (for tests that add files)."""
    dst = tmp_path / "收件"
    dst.mkdir()
    for p in sorted(county.folder.iterdir()):
        (dst / p.name).write_bytes(p.read_bytes())
    return dst
