"""The 预算管理一体化 edition (hebei-county-yth): layout as verified on 平山2025, a generated 2021 workbook
validates clean, the template round trip, stale names and the 万元 rounding tolerance."""

from __future__ import annotations

import copy
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from xltools.book import iter_data_cells
from xltools.cli import cli
from xltools.edition import Edition, load_edition
from xltools.edition.layout import table_layout
from xltools.reader.read import read_workbook
from xltools.synth import department
from xltools.template.write import write_template
from xltools.validate import validate_file

ROOT = Path(__file__).resolve().parents[2]


def findings(path: Path) -> list[tuple[str, str, str, str]]:
    return [(f.rule, f.severity, f.sheet, f.cell) for f in validate_file(path).findings]


def test_edition_is_the_yth_format(yth: Edition) -> None:
    assert (yth.money_unit, yth.money_factor, yth.money_decimals) == ("万元", 10000, 2)
    assert yth.years == (2021, 2022, 2023, 2024, 2025)
    assert yth.options == {"serial": True, "column_numbers": True}
    t01 = yth.table("t01")
    income = [r.label for r in t01.rows if r.side == 0 and not r.bottom]
    assert income == [
        "一、一般公共预算拨款收入",
        "二、政府性基金预算拨款收入",
        "三、国有资本经营预算拨款收入",
        "四、财政专户管理资金收入",
        "五、单位资金",
    ]
    classes = [r for r in t01.rows if r.code]
    assert [r.code for r in classes] == sorted(e.code for e in yth.codes["function"].at_level(1))
    assert classes[0].label == "一、一般公共服务支出" and classes[9].label == "十、卫生健康支出"
    assert classes[-1].label == "二十九、债务发行费用支出"
    bottom = [(r.label, r.side) for r in t01.rows if r.bottom]
    assert bottom == [
        ("本年收入合计", 0),
        ("上年结转结余", 0),
        ("收入总计", 0),
        ("本年支出合计", 1),
        ("年终结转结余", 1),
        ("支出总计", 1),
    ]
    t02 = yth.table("t02")
    assert [c.header[-1] for c in t02.columns if c.type == "money"] == [
        "合计",
        "上年结转结余",
        "一般公共预算拨款收入",
        "政府性基金预算拨款收入",
        "国有资本经营预算拨款收入",
        "财政专户管理资金收入",
        "单位资金",
    ]
    assert "inc_unit" in [r.id for r in yth.table("prior").rows]


def test_code_list_per_year() -> None:
    """function-{year}.csv: 2021 and 2025 have their own lists, 2023 falls back to 2021's."""
    for year, note in ((2021, ""), (2023, ""), (2025, "copied from 2021")):
        ed = load_edition("hebei-county-yth", year)
        assert ed.codes["function"].entries["210"].name == "卫生健康支出"
        assert ed.codes["function"].entries["201"].note.startswith(note)
        assert "234" not in ed.codes["function"].entries  # 抗疫特别国债 is 2020-only


def test_template_command_and_layout(tmp_path: Path) -> None:
    out = tmp_path / "模板2021.xlsx"
    res = CliRunner().invoke(cli, ["template", "--edition", "hebei-county-yth", "--year", "2021", "-o", str(out)])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    ws = wb["表1 收支总表"]
    # 平山2025: 序号 | 收入: 项目 | 预算数 | 支出: 项目 | 预算数, then 栏次 | 1 | 2 | 3 | 4
    assert [ws.cell(3, c).value for c in range(1, 6)] == ["序号", "收入", None, "支出", None]
    assert [ws.cell(4, c).value for c in range(2, 6)] == ["项目", "预算数", "项目", "预算数"]
    assert [ws.cell(5, c).value for c in range(1, 6)] == ["栏次", 1, 2, 3, 4]
    assert ws["E2"].value == "金额单位：万元"
    # 序号 numbers every printed row, both sides: 29 classes, then the three paired total rows
    assert [ws.cell(r, 1).value for r in range(6, 38)] == list(range(1, 33))
    assert ws["B6"].value == "一、一般公共预算拨款收入" and ws["D6"].value == "一、一般公共服务支出"
    assert ws["D34"].value == "二十九、债务发行费用支出" and ws.cell(38, 1).value is None
    assert [ws[f"B{r}"].value for r in (35, 36, 37)] == ["本年收入合计", "上年结转结余", "收入总计"]
    assert [ws[f"D{r}"].value for r in (35, 36, 37)] == ["本年支出合计", "年终结转结余", "支出总计"]
    assert ws["C35"].value == "=SUM(C6:C10)" and ws["C37"].value == "=C35+C36"
    t2 = wb["表2 收入总表"]
    assert t2["K4"].value == "单位资金" and t2["A7"].value == 1 and t2["D6"].value == "合计"
    assert [t2.cell(5, c).value for c in range(1, 12)] == ["栏次", *range(1, 11)]
    # non-official tables: no 序号, no 栏次
    assert wb["上年数"]["A3"].value == "项目" and wb["上年数"]["A2"].value.endswith('金额单位：万元"')
    stamp = {r[0].value: r[1].value for r in wb["_xltools"].iter_rows()}
    assert (stamp["edition"], stamp["year"], stamp["version"]) == ("hebei-county-yth", "2021", "2021.1")


def test_prebuilt_template_is_current(yth: Edition, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    write_template(yth, out)
    assert out.read_bytes() == (ROOT / "workbook_templates" / "hebei-county-yth-2021.xlsx").read_bytes()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_generated_2021_workbook_validates_clean(yth: Edition, tmp_path: Path, seed: int) -> None:
    path = tmp_path / f"部门{seed}.xlsx"
    write_template(yth, path, department(yth, seed))
    report = validate_file(path)
    assert report.errors == [] and not report.unreadable
    assert (report.edition, report.year) == ("hebei-county-yth", 2021)  # what merge keys editions on


def test_validate_command_on_2021_workbook(yth: Edition, tmp_path: Path) -> None:
    path = tmp_path / "部门.xlsx"
    write_template(yth, path, department(yth, 3))
    res = CliRunner().invoke(cli, ["validate", str(path), "--format", "json"])
    assert res.exit_code == 0, res.output


def test_an_error_is_found_in_万元(yth: Edition, tmp_path: Path) -> None:
    data = department(yth, 0)
    data["t07"]["budget"]["reception"] = Decimal("-1.00")
    path = tmp_path / "bad.xlsx"
    write_template(yth, path, data)
    cell = table_layout(yth, "t07").cell("budget", "reception")
    assert ("cell.negative", "error", "表7 三公经费表", cell) in findings(path)


def _fill_like_a_clerk(yth: Edition, blank: Path, data: dict[str, Any], out: Path) -> dict[tuple[str, str, str], Any]:
    """Type plain data into a blank template with openpyxl, at the cells the layout names."""
    wb = openpyxl.load_workbook(blank)
    typed: dict[tuple[str, str, str], Any] = {}
    for t, row, col, value in iter_data_cells(yth, data):
        if t.column(col).type == "name":
            continue  # the template's own lookup formula stays
        cell = wb[t.sheet][table_layout(yth, t.id).cell(row, col)]
        assert not (isinstance(cell.value, str) and cell.value.startswith("=")), (t.id, row, col)
        cell.value = float(value) if isinstance(value, Decimal) else value
        typed[(t.id, row, col)] = value
    wb.save(out)
    return typed


def test_round_trip_same_values_at_same_cells(yth: Edition, tmp_path: Path) -> None:
    blank = tmp_path / "blank.xlsx"
    write_template(yth, blank)
    filled = tmp_path / "filled.xlsx"
    typed = _fill_like_a_clerk(yth, blank, department(yth, 5), filled)
    assert len(typed) > 50
    book = read_workbook(filled).book
    assert book.edition is yth
    for (table, row, col), value in typed.items():
        cell = book.cell(table, row, col)
        assert cell is not None and cell.a1 == table_layout(yth, table).cell(row, col)
        want = Decimal(value) if isinstance(value, int | Decimal) else value
        assert cell.value == want, (table, row, col)
    assert validate_file(filled).errors == []


def _with_health_rows(yth: Edition, name: str) -> dict[str, Any]:
    data = department(yth, 0)
    data["t03"] = [*data["t03"], {"code": "210", "name": name}, {"code": "21011"}, {"code": "2101101"}]
    return data


def test_stale_class_name_is_a_warning(yth: Edition, tmp_path: Path) -> None:
    data = _with_health_rows(yth, "医疗卫生与计划生育支出")
    data["text"]["change_reason"] = {"text": "医疗卫生与计划生育支出增加，主要是人员增加。"}
    path = tmp_path / "stale.xlsx"
    write_template(yth, path, data)
    report = validate_file(path)
    assert report.errors == []
    row = f"r{len(data['t03']) - 3}"
    name_cell = table_layout(yth, "t03").cell(row, "name")
    text_cell = table_layout(yth, "text").cell("change_reason", "text")
    stale = {(f.rule, f.sheet, f.cell) for f in report.warnings if "stale" in f.rule}
    assert stale == {("cell.stale-name", "表3 支出总表", name_cell), ("cell.stale-name-text", "文字说明", text_cell)}
    msg = next(f.message for f in report.warnings if f.rule == "cell.stale-name")
    assert "医疗卫生与计划生育支出" in msg and "卫生健康支出" in msg and "2021" in msg


def test_current_class_name_is_not_flagged(yth: Edition, tmp_path: Path) -> None:
    path = tmp_path / "ok.xlsx"
    write_template(yth, path, _with_health_rows(yth, "卫生健康支出"))
    assert not [f for f in validate_file(path).findings if "stale" in f.rule or "name" in f.rule]


def _hierarchy_data(yth: Edition, class_amount: str) -> dict[str, Any]:
    """A 类 typed from a 万元 export next to three 款 rounded on their own: 3.34 × 3 = 10.02."""
    data: dict[str, Any] = copy.deepcopy(department(yth, 0))
    data["pe"] = [
        {"code": "302", "amount": Decimal(class_amount)},
        *({"code": c, "amount": Decimal("3.34")} for c in ("30201", "30202", "30207")),
    ]
    return data


@pytest.mark.parametrize("class_amount,flagged", [("10.01", False), ("10.02", False), ("9.99", True)])
def test_rounding_tolerance_scales_with_figures(yth: Edition, tmp_path: Path, class_amount: str, flagged: bool) -> None:
    """tolerance_per_term 0.005 万元 per rounded figure: four figures allow 0.02, not 0.03."""
    path = tmp_path / "round.xlsx"
    write_template(yth, path, _hierarchy_data(yth, class_amount))
    rules = {f.rule for f in validate_file(path).errors}
    assert ("table.hierarchy" in rules) is flagged
    assert yth.tolerance_for(4) == Decimal("0.020")


@pytest.mark.parametrize("drift,flagged", [("0.01", False), ("0.50", True)])
def test_cross_table_rounding_drift(yth: Edition, tmp_path: Path, drift: str, flagged: bool) -> None:
    """表5 and 表6 typed from separately rounded 万元 exports may differ by a cent; 0.50 is an error."""
    data = department(yth, 0)
    t06 = data["t06"]
    cls = next(r for r in t06 if len(r["code"]) == 3 and "personnel" in r)  # a 类 with 人员经费 (301 or 303)
    child = next(r for r in t06 if r["code"].startswith(cls["code"]) and len(r["code"]) == 5 and "personnel" in r)
    for r in (cls, child):
        r["personnel"] += Decimal(drift)
    path = tmp_path / "drift.xlsx"
    write_template(yth, path, data)
    checks = {f.check for f in validate_file(path).errors}
    assert ("t05-t06.basic" in checks) is flagged
