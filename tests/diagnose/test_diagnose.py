"""The diagnosis on real files: the bundled as-published example, and workbooks written by the template
writer and then broken as a clerk would (a typo, an amount moved to the wrong column)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.robustness import corpus
from xltools.book import INPUT
from xltools.report import json as json_report
from xltools.report import text as text_report
from xltools.validate import FileReport, validate_file

REPO = Path(__file__).resolve().parents[2]
AS_PUBLISHED = REPO / "examples" / "longyao-cac-2020.as-published.xlsx"
DIAGNOSIS = ("diagnosis.change", "diagnosis.change-relation", "diagnosis.change-pair", "diagnosis.many")


def _written(tmp_path: Path, data: dict[str, Any]) -> FileReport:
    path = tmp_path / "部门预算.xlsx"
    path.write_bytes(corpus.workbook_bytes(data))
    return validate_file(path)


def _diagnosis(r: FileReport) -> list[tuple[str, str, str, str]]:
    return [(f.rule, f.sheet, f.cell, f.to_json().get("expected", "")) for f in r.findings if f.rule in DIAGNOSIS]


def _row(data: dict[str, Any], table: str, code: str) -> dict[str, Any]:
    return next(r for r in data[table] if r["code"] == code)


def _no_locked_cell_named(r: FileReport) -> None:
    assert r.book is not None
    named = {(f.sheet, f.cell) for f in r.findings if f.rule in DIAGNOSIS and f.sheet}
    by_place = {(c.sheet, c.a1): c for c in r.book.cells.values()}
    for place in named:
        assert by_place[place].state == INPUT, place


def test_as_published_example_names_the_housing_area() -> None:
    r = validate_file(AS_PUBLISHED)
    assert _diagnosis(r) == [
        ("diagnosis.change-relation", "资产占用", "B5", ""),
        ("diagnosis.change-relation", "资产占用", "B6", ""),
    ]
    first = next(f for f in r.findings if f.rule in DIAGNOSIS)
    assert "资产占用 B5" in first.message and "办公用房面积不能大于房屋面积" in first.message
    # the failed relation no longer tells the clerk to make the office area 0.00
    b6 = next(f for f in r.findings if f.rule == "table.not-exceed")
    assert (b6.sheet, b6.cell) == ("资产占用", "B6") and "expected" not in b6.to_json()
    assert text_report.render(r).splitlines()[1].strip().startswith("最可能需要修改：资产占用 B5")
    _no_locked_cell_named(r)


def test_amount_moved_from_project_to_public_names_both_cells(tmp_path: Path) -> None:
    data = corpus.example_data()
    row = _row(data, "t03", "2013602")
    row["project"], row["basic_public"] = 0, 150000
    r = _written(tmp_path, data)
    assert _diagnosis(r) == [
        ("diagnosis.change-pair", "表3 支出总表", "G9", "0.00"),
        ("diagnosis.change-pair", "表3 支出总表", "H9", "150000.00"),
    ]
    # the parent row's locked total E7 is still reported, but no longer with an 应为
    e7 = next(f for f in r.findings if (f.sheet, f.cell) == ("表3 支出总表", "E7"))
    assert e7.rule == "table.hierarchy" and "expected" not in e7.to_json()
    block = json_report.file_json(r)["diagnosis"]
    assert block["size"] == 2
    assert [(c["cell"], c["value"], c["current"]) for c in block["candidates"][0]["cells"]] == [
        ("G9", "0.00", "150000.00"),
        ("H9", "150000.00", "0.00"),
    ]
    _no_locked_cell_named(r)


def test_typo_in_a_leaf_row_names_it_with_its_value(tmp_path: Path) -> None:
    data = corpus.example_data()
    _row(data, "t06", "30101")["personnel"] = 296848
    r = _written(tmp_path, data)
    assert _diagnosis(r) == [("diagnosis.change", "表6 基本支出表", "D6", "296884.00")]
    f = next(f for f in r.findings if f.rule == "diagnosis.change")
    assert f.message.startswith("最可能需要修改：表6 D6，按表5推算应为 296884.00")
    # C5 (a locked formula) and D5 (the 类 row, which agrees with 表5) are reported without an 应为
    for cell in ("C5", "D5"):
        g = next(g for g in r.findings if (g.sheet, g.cell) == ("表6 基本支出表", cell))
        assert "expected" not in g.to_json()
    _no_locked_cell_named(r)


def test_two_independent_errors_are_not_pinned_on_one_cell(tmp_path: Path) -> None:
    data = corpus.example_data()
    _row(data, "t06", "30101")["personnel"] = 296848
    data["assets"]["office"]["quantity"] = 99999
    r = _written(tmp_path, data)
    assert _diagnosis(r) == [("diagnosis.many", "", "", "")]
    assert "两处或更多" in next(f for f in r.findings if f.rule == "diagnosis.many").message


def test_valid_file_has_no_diagnosis(tmp_path: Path) -> None:
    r = _written(tmp_path, corpus.example_data())
    assert r.valid and _diagnosis(r) == []
    assert json_report.file_json(r)["diagnosis"] == {"violated": 0, "checks": [], "size": 0, "candidates": []}


def test_a_pasted_total_is_never_the_cell_to_type(tmp_path: Path) -> None:
    """A constant pasted over 表1 收入总计 breaks the balance; the diagnosis reasons on the formula (the inputs
    balance), so it names nothing, and the pasted cell keeps its own error."""
    sheet, a1 = corpus.where("t01", "inc_total", "inc")
    zb = corpus.workbook_bytes()
    path = tmp_path / "pasted.xlsx"
    path.write_bytes(corpus.edit_zip(zb, {corpus.sheet_part(zb, sheet): lambda x: corpus.drop_formula(x, a1, "1")}))
    r = validate_file(path)
    assert (sheet, a1) in {(f.sheet, f.cell) for f in r.errors}
    assert _diagnosis(r) == []
