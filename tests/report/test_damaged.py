"""Damaged or odd workbooks the reader still reads: the annotated copy and the page are still written,
and what could not be marked is said."""

from __future__ import annotations

import zipfile
from pathlib import Path

from xltools.report.annotate import default_output
from xltools.report.html import default_output as html_output
from xltools.validate import validate_file

from .conftest import RED, invoke, rezip, sheet_parts


def test_stray_cell_far_away(tmp_path: Path, broken: Path) -> None:
    """A number at XFD1048576: a dense grid of that sheet would take hundreds of GB; the page says so instead."""
    parts = sheet_parts(broken)
    far = b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
    src = rezip(broken, tmp_path / "far.xlsx", {parts["表2 收入总表"]: lambda x: x.replace(b"</sheetData>", far)})
    code, out = invoke("validate", src, "--annotate", "--html")
    assert code == 1 and "Traceback" not in out
    page = html_output(src).read_text("utf-8")
    assert "使用范围过大" in page and "XFD1048576" in page
    assert "cell error" not in page.split('data-sheet="表2 收入总表"')[1].split("</section>")[0]
    assert len(page) < 500_000
    import openpyxl

    ws = openpyxl.load_workbook(default_output(src))["表2 收入总表"]  # (iterating its rows would never end)
    assert ws["XFD1048576"].fill.fgColor.rgb == RED and ws["XFD1048576"].comment is not None


def test_damaged_sheet_xml(tmp_path: Path, broken: Path) -> None:
    parts = sheet_parts(broken)
    src = rezip(broken, tmp_path / "cut.xlsx", {parts["表7 三公经费表"]: lambda x: x[: len(x) // 2]})
    findings = validate_file(src).findings
    assert any(f.sheet == "表7 三公经费表" for f in findings)
    code, out = invoke("validate", src, "--annotate")
    assert code == 1
    assert "注意：工作表“表7 三公经费表”的内部数据有误，无法在其中标注" in out
    copy = default_output(src)
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(copy) as b:
        assert b.read(parts["表7 三公经费表"]) == a.read(parts["表7 三公经费表"])  # kept as it was
        assert b"<legacyDrawing" in b.read(parts["资产占用"])  # the other sheets are marked
    before = {(f.rule, f.sheet, f.cell) for f in findings}
    assert {(f.rule, f.sheet, f.cell) for f in validate_file(copy).findings if f.sheet != "错误清单"} == before


def test_missing_sheet_part(tmp_path: Path, broken: Path) -> None:
    """A sheet listed in the workbook whose part is gone: the new 错误清单 part must not take its name."""
    parts = sheet_parts(broken)
    src = rezip(broken, tmp_path / "gone.xlsx", {parts["表5 一般公共预算支出表"]: lambda x: None})
    code, out = invoke("validate", src, "--annotate")
    assert code == 1
    before = {(f.rule, f.sheet, f.cell) for f in validate_file(src).findings}
    after = {(f.rule, f.sheet, f.cell) for f in validate_file(default_output(src)).findings if f.sheet != "错误清单"}
    assert after == before
