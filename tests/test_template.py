"""The template: deterministic, identical to the prebuilt copy, and carrying the Excel features clerks rely on."""

from __future__ import annotations

import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl

from xltools.book import iter_data_cells
from xltools.edition.layout import table_layout
from xltools.reader.read import read_workbook
from xltools.synth import department
from xltools.template.write import write_template

from .conftest import ROOT


def test_prebuilt_template_is_current(ed, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    write_template(ed, out)
    assert out.read_bytes() == (ROOT / "workbook_templates" / "hebei-county-2020.xlsx").read_bytes()


def test_byte_deterministic(ed, tmp_path: Path) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_template(ed, a, department(ed, 7))
    write_template(ed, b, department(ed, 7))
    assert a.read_bytes() == b.read_bytes()


def test_template_features(ed, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    write_template(ed, out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[0] == "填报说明"
    assert [t.sheet for t in ed.tables] == wb.sheetnames[1:-2]
    assert wb["代码表"].sheet_state == "hidden" and wb["_xltools"].sheet_state == "veryHidden"
    stamp = {r[0].value: r[1].value for r in wb["_xltools"].iter_rows()}
    assert stamp["edition"] == "hebei-county-2020" and stamp["version"] == ed.version
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["xltools_edition"] == "hebei-county-2020" and props["xltools_year"] == "2020"
    assert {"codes_function", "codes_economic", "enum_money_unit"} <= set(wb.defined_names)
    t3 = wb["表3 支出总表"]
    lay = table_layout(ed, "t03")
    assert t3.protection.sheet
    assert any(str(r) == "A1:H1" for r in t3.merged_cells.ranges)  # title
    assert any(str(r) == "E3:G3" for r in t3.merged_cells.ranges)  # 基本支出 over its three columns
    code_cell = lay.cell("r0", "code")
    assert t3[code_cell].protection.locked is False
    total = t3[lay.cell("total", "total")]
    assert total.data_type == "f" and "SUMPRODUCT" in total.value and total.protection.locked is True
    row_total = t3[lay.cell("r0", "total")]
    assert row_total.value.startswith("=") and row_total.protection.locked is True
    sources = {dv.formula1 for dv in t3.data_validations.dataValidation}
    assert "codes_function" in sources
    assert t3["H2"].value == "金额单位：元"
    assets = wb["资产占用"]
    # a narrow table: 编制单位 above, 截止时间 and 金额单位 below, over the table's width (nothing overlaps)
    assert "A2:C2" in {str(m) for m in assets.merged_cells.ranges}
    assert assets["A2"].value.endswith('&CHAR(10)&"截止时间：2019年12月31日    金额单位：万元"')
    assert assets["A2"].alignment.wrap_text is True


def test_cached_formula_values_are_the_computed_ones(ed, tmp_path: Path) -> None:
    """Previewers that do not recalculate must show the right totals: read cached values with openpyxl."""
    out = tmp_path / "f.xlsx"
    data = department(ed, 3)
    write_template(ed, out, data)
    wb = openpyxl.load_workbook(out, data_only=True)
    book = read_workbook(out).book
    for key in [("t01", "inc_total", "inc"), ("t03", "total", "total"), ("t04", "exp_total", "total")]:
        t = ed.table(key[0])
        cached = wb[t.sheet][table_layout(ed, t.id).cell(key[1], key[2])].value
        assert Decimal(str(cached)).quantize(Decimal("0.01")) == book.amount(*key).quantize(Decimal("0.01"))


def test_round_trip_every_input_cell(ed, tmp_path: Path) -> None:
    """Generate, fill programmatically, read back the same values at the same cells."""
    data = department(ed, 11)
    out = tmp_path / "rt.xlsx"
    write_template(ed, out, data)
    book = read_workbook(out).book
    checked = 0
    for t, row, col, value in iter_data_cells(ed, data):
        cell = book.cell(t.id, row, col)
        assert cell is not None and cell.a1 == table_layout(ed, t.id).cell(row, col) and cell.sheet == t.sheet
        if isinstance(value, (int, Decimal)):
            assert cell.value == Decimal(value), (t.id, row, col)
        else:
            assert cell.value == value, (t.id, row, col)
        checked += 1
    assert checked > 50


def test_template_zip_has_fixed_timestamps(ed, tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    write_template(ed, out)
    with zipfile.ZipFile(out) as zf:
        assert {i.date_time for i in zf.infolist()} == {zf.infolist()[0].date_time}
        assert "2019-12-01" in zf.read("docProps/core.xml").decode()
