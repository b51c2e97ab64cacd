"""The acceptance test of issue 4 and its companions: statuses, totals recomputed independently, roster,
nothing silently dropped, determinism, the export, formula injection."""

from __future__ import annotations

import csv
import json
import zipfile
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xltools.book import book_from_data
from xltools.edition import Edition
from xltools.merge import merge
from xltools.merge.export import guard
from xltools.synth import department
from xltools.template.write import write_template

from .conftest import DUP_SEED, MISSING, N_VALID, County, code_of

FIGURES = {  # figure id -> (table, row, col) read straight from a Book built from the generator's data
    "inc_general": ("t01", "inc_general", "inc"),
    "inc_total": ("t01", "inc_total", "inc"),
    "inc_carryover": ("t01", "inc_carryover", "inc"),
    "exp_total": ("t01", "exp_total", "amount"),
    "basic": ("t03", "total", "basic"),
    "personnel": ("t03", "total", "basic_personnel"),
    "public": ("t03", "total", "basic_public"),
    "project": ("t03", "total", "project"),
    "sg_total": ("t07", "budget", "total"),
    "sg_abroad": ("t07", "budget", "abroad"),
    "sg_vehicle_purchase": ("t07", "budget", "vehicle_purchase"),
    "sg_vehicle_run": ("t07", "budget", "vehicle_run"),
    "sg_reception": ("t07", "budget", "reception"),
    "opex": ("opex", "amount", "amount"),
    "procurement": ("proc", "total", "amount"),
}


def included_names(county: County) -> list[str]:
    return [f"dept{s:02d}.xlsx" for s in range(N_VALID) if s != DUP_SEED]


def by_name(county: County) -> dict[str, Any]:
    return {Path(e.path).name: e for e in county.result.inputs}


def test_every_status(county: County) -> None:
    st = {name: e.status for name, e in by_name(county).items()}
    assert st == {
        **{n: "已纳入" for n in included_names(county)},
        f"dept{DUP_SEED:02d}.xlsx": "重复",
        "dup.xlsx": "重复",
        "errors.xlsx": "有错误未纳入",
        "corrupt.xlsx": "无法读取",
    }
    errors = by_name(county)["errors.xlsx"]
    listed = {Path(i["path"]).name: i for i in county.summary()["inputs"]}
    first = listed["errors.xlsx"]["findings"][0]
    assert errors.errors >= 1 and first["rule"] == "table.hierarchy"
    assert first["sheet"] == "表6 基本支出表" and first["message"]
    assert listed["corrupt.xlsx"]["findings"][0]["rule"].startswith("read.")
    assert "dup.xlsx" in by_name(county)[f"dept{DUP_SEED:02d}.xlsx"].reason
    r = county.result
    assert [(m.code, m.name) for m in r.missing] == MISSING
    assert r.exit_code == 0 and r.refused is None
    assert r.summary_line().startswith("29 个已纳入，1 个有错误，1 个无法读取，2 个重复，2 个未报送")


def test_totals_equal_the_sum_of_included_departments(county: County, ed: Edition) -> None:
    expected: dict[str, Decimal] = defaultdict(Decimal)
    by_function: dict[str, Decimal] = defaultdict(Decimal)
    for name in included_names(county):
        data = county.data[name]
        book = book_from_data(ed, data)
        for fid, (t, row, col) in FIGURES.items():
            expected[fid] += book.amount(t, row, col) or Decimal(0)
        for rec in data["t03"]:  # 表3 合计 = 人员经费 + 日常公用经费 + 项目支出, straight from the generator
            by_function[rec["code"]] += sum(
                (rec.get(k, Decimal(0)) for k in ("basic_personnel", "basic_public", "project")), Decimal(0)
            )
    doc = county.summary()
    got = {f["id"]: Decimal(f["amount"]) for f in doc["totals"]["figures"]}
    for fid, value in expected.items():
        assert got[fid] == value, fid
    assert got["inc_total"] == got["exp_total"] > 0
    fn = next(c for c in doc["totals"]["classifications"] if c["id"] == "function")
    assert fn["columns"][0] == {"table": "t03", "column": "total", "label": "支出合计"}
    assert {r["code"]: Decimal(r["amounts"][0]) for r in fn["rows"]} == dict(by_function)
    # OUT.xlsx: the county total row holds SUM formulas whose cached values are these totals
    wb = openpyxl.load_workbook(county.out)
    values = openpyxl.load_workbook(county.out, data_only=True)
    ws, wv = wb["汇总"], values["汇总"]
    header = [c.value for c in ws[1]]
    last = ws.max_row
    assert ws.cell(last, 3).value == "全县合计" and last == 1 + len(included_names(county)) + 1
    for fid, (_, _, _) in FIGURES.items():
        label = next(f["label"] for f in doc["totals"]["figures"] if f["id"] == fid)
        col = header.index(label) + 1
        assert str(ws.cell(last, col).value).startswith("=SUM(")
        assert wv.cell(last, col).value == pytest.approx(float(expected[fid]), abs=0.005)
    codes = [ws.cell(r, 2).value for r in range(2, last)]
    assert codes == sorted(code_of(county.data[n]) for n in included_names(county))


def test_no_input_is_silently_dropped(county: County) -> None:
    files = sorted(p.name for p in county.folder.iterdir())
    assert len(files) == N_VALID + 3
    doc = county.summary()
    assert sorted(Path(i["path"]).name for i in doc["inputs"]) == files
    assert (
        doc["counts"]["inputs"]
        == len(files)
        == sum(v for k, v in doc["counts"].items() if k not in ("inputs", "missing"))
    )
    ws = openpyxl.load_workbook(county.out)["校验结果"]
    header = [c.value for c in ws[1]]
    paths = [ws.cell(r, header.index("文件") + 1).value for r in range(2, ws.max_row + 1)]
    assert ws.max_row - 1 == len(files)
    assert Counter(Path(p).name for p in paths) == Counter(files)
    with (county.export_dir / "inputs.csv").open(encoding="utf-8") as fh:
        assert sorted(Path(r["文件"]).name for r in csv.DictReader(fh)) == files


def test_roster_sheet_lists_the_missing(county: County) -> None:
    ws = openpyxl.load_workbook(county.out)["名单核对"]
    rows = {r[1]: r[3] for r in ws.iter_rows(min_row=2, values_only=True) if r[1]}
    for code, _name in MISSING:
        assert rows[code] == "未报送"
    assert rows[code_of(county.data["errors.xlsx"])] == "有错误未纳入"
    assert rows[code_of(county.data["dept00.xlsx"])] == "已纳入"


def test_merge_is_deterministic(county: County, tmp_path: Path) -> None:
    out, js, exp = tmp_path / "again.xlsx", tmp_path / "again.json", tmp_path / "exp"
    merge([county.folder], out, roster=county.roster, jobs=1, json_path=js, export_dir=exp)
    assert out.read_bytes() == county.out.read_bytes()
    assert js.read_bytes() == county.json_path.read_bytes()
    for name in ("budget-lines.csv", "inputs.csv", "datapackage.json"):
        assert (exp / name).read_bytes() == (county.export_dir / name).read_bytes(), name


def test_export_is_a_consistent_data_package(county: County) -> None:
    pkg = json.loads((county.export_dir / "datapackage.json").read_text(encoding="utf-8"))
    assert pkg["profile"] == "tabular-data-package"
    assert pkg["model"]["measures"]["金额"] == {
        "source": "金额",
        "currency": "CNY",
        "factor": 1,
        "phase": "approved",
        "title": "预算金额（元）",
    }
    for res in pkg["resources"]:
        with (county.export_dir / res["path"]).open(encoding="utf-8", newline="") as fh:
            header = next(csv.reader(fh))
        assert header == [f["name"] for f in res["schema"]["fields"]]
    with (county.export_dir / "budget-lines.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["单位编码"] for r in rows} == {code_of(county.data[n]) for n in included_names(county)}
    total = sum(
        Decimal(r["金额"]) for r in rows if r["表"] == "表3 支出总表" and r["指标"] == "合计" and r["科目级次"] == "1"
    )
    doc = county.summary()
    assert total == Decimal(next(f["amount"] for f in doc["totals"]["figures"] if f["id"] == "exp_total"))
    assert all(r["单位"] == "元" and Decimal(r["金额"]) != 0 for r in rows)
    assert all("!" in r["来源"] for r in rows)


def test_formula_injection_stays_text(ed: Edition, tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://x","y")'
    inbox = tmp_path / "in"
    inbox.mkdir()
    for seed in (1, 2):
        d = department(ed, seed)
        if seed == 1:
            d["cover"]["name"]["value"] = evil
        write_template(ed, inbox / f"d{seed}.xlsx", d)
    out, exp = tmp_path / "out.xlsx", tmp_path / "exp"
    r = merge([inbox], out, jobs=1, export_dir=exp)
    assert r.count("included") == 2
    wb = openpyxl.load_workbook(out)
    for sheet in ("汇总", "校验结果", "表1 收支总表"):
        cells = [c for row in wb[sheet].iter_rows() for c in row if c.value == evil]
        assert cells and all(c.data_type == "s" for c in cells), sheet
    with zipfile.ZipFile(out) as z:
        assert not any(b"HYPERLINK" in z.read(n) and b"<f>HYPERLINK" in z.read(n) for n in z.namelist())
    with (exp / "budget-lines.csv").open(encoding="utf-8", newline="") as fh:
        names = {r["单位名称"] for r in csv.DictReader(fh)}
    assert "'" + evil in names and evil not in names
    assert guard("-1") == "'-1" and guard("@x") == "'@x" and guard("+1") == "'+1" and guard("正常") == "正常"
