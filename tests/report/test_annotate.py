"""validate --annotate: the annotated copy marks exactly the cells with findings and keeps everything
the template gave (dropdowns, names, protection, formulas with their cached values)."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from openpyxl.comments import Comment

from xltools.edition import Edition
from xltools.findings import ERROR, WARNING, finding
from xltools.report.annotate import LIST_SHEET, annotate_workbook, default_output
from xltools.validate import validate_file

from ..conftest import AS_PUBLISHED
from .conftest import filled_cells, formula_values, invoke, places, sha256, sheet_parts


def test_acceptance_three_broken_cells(broken: Path, ed: Edition) -> None:
    p = places(ed)
    assert [p[k][1] for k in ("total", "code", "text", "warning")] == ["B5", "A10", "C8", "B4"]
    before = sha256(broken)
    code, out = invoke("validate", broken, "--annotate")
    assert code == 1, out
    copy = default_output(broken)
    assert copy == broken.with_name("隆尧网信办2020.检查结果.xlsx") and copy.exists()
    assert f"已生成带标注的副本：{copy}" in out
    assert sha256(broken) == before  # the original is never touched

    # exactly those cells are filled: red for the three errors, yellow for the example's warning
    assert filled_cells(copy) == {p["total"]: "error", p["code"]: "error", p["text"]: "error", p["warning"]: "warning"}
    wb = openpyxl.load_workbook(copy)
    for key in ("total", "code", "text", "warning"):
        sheet, cell = p[key]
        note = wb[sheet][cell].comment
        assert note is not None and note.author == "xltools"
        assert "怎么改：" in note.text and ("【错误】" in note.text or "【提醒】" in note.text)
    assert "应为：0.00；实际：100.00" in wb[p["total"][0]][p["total"][1]].comment.text
    assert "201369" in wb[p["code"][0]][p["code"][1]].comment.text
    assert "N/A" in wb[p["text"][0]][p["text"][1]].comment.text

    # 错误清单 comes first, is the active sheet, and every 单元格 entry links to its cell
    assert wb.sheetnames[0] == LIST_SHEET and wb.active.title == LIST_SHEET
    ws = wb[LIST_SHEET]
    assert [c.value for c in ws[3]] == ["表", "单元格", "严重程度", "问题", "怎么改"]
    rows = list(ws.iter_rows(min_row=4))
    assert len(rows) == 4
    links = {r[1].hyperlink.location for r in rows}
    assert links == {f"'{s}'!{c}" for s, c in p.values()}
    for r in rows:
        sheet, cell = r[0].value, r[1].value
        assert r[1].hyperlink.location == f"'{sheet}'!{cell}"
        assert r[2].value in ("错误", "提醒") and r[3].value and r[4].value
    # errors first, as in the terminal report
    assert [r[2].value for r in rows] == ["错误", "错误", "错误", "提醒"]
    # only one sheet is selected (several selected sheets would open grouped in Excel)
    assert [w.title for w in wb.worksheets if w.sheet_view.tabSelected] == [LIST_SHEET]


def test_copy_keeps_what_the_template_gave(broken: Path) -> None:
    assert invoke("validate", broken, "--annotate")[0] == 1
    copy = default_output(broken)
    # formulas and their cached values, read from the sheet XML (openpyxl would have emptied <v>)
    before, after = formula_values(broken), formula_values(copy)
    assert before and after == before
    assert sum(1 for _, v in before.values() if v) > 100  # the input had cached values; so does the copy

    a, b = openpyxl.load_workbook(broken), openpyxl.load_workbook(copy)
    assert b.sheetnames == [LIST_SHEET] + a.sheetnames
    assert {n: d.attr_text for n, d in b.defined_names.items()} == {n: d.attr_text for n, d in a.defined_names.items()}
    for ws in a.worksheets:
        wc = b[ws.title]
        assert wc.sheet_state == ws.sheet_state
        assert wc.protection.sheet == ws.protection.sheet
        assert wc.print_title_rows == ws.print_title_rows  # sheet-scoped names still point at the right sheet
        dv = [(str(d.sqref), d.type, d.formula1, d.formula2, d.error) for d in ws.data_validations.dataValidation]
        dvc = [(str(d.sqref), d.type, d.formula1, d.formula2, d.error) for d in wc.data_validations.dataValidation]
        assert dvc == dv
        assert [str(m) for m in wc.merged_cells.ranges] == [str(m) for m in ws.merged_cells.ranges]
    assert sum(1 for ws in a.worksheets if ws.protection.sheet) > 10
    assert sum(len(ws.data_validations.dataValidation) for ws in a.worksheets) > 10
    # a marked cell keeps its number format and its lock (only the fill changed)
    for sheet, cell in [("表7 三公经费表", "B5"), ("资产占用", "C8"), ("表5 一般公共预算支出表", "A10")]:
        c0, c1 = a[sheet][cell], b[sheet][cell]
        assert (c1.number_format, c1.protection.locked, c1.font.b, c1.border.left.style) == (
            c0.number_format,
            c0.protection.locked,
            c0.font.b,
            c0.border.left.style,
        )
        assert c1.value == c0.value

    # every part other than the few that must change is byte-identical; custom properties (the stamp) kept
    with zipfile.ZipFile(broken) as za, zipfile.ZipFile(copy) as zb:
        names_a = za.namelist()
        assert zb.namelist()[: len(names_a)] == names_a
        changed = {n for n in names_a if za.read(n) != zb.read(n)}
    marked_parts = {
        p
        for s, p in sheet_parts(broken).items()
        if s in ("表7 三公经费表", "资产占用", "表5 一般公共预算支出表", "机关运行经费", "填报说明")
    }
    assert (
        changed
        <= {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "docProps/app.xml"}
        | marked_parts
    )
    assert "docProps/custom.xml" not in changed and "xl/sharedStrings.xml" not in changed

    # the copy is still a workbook xltools reads, with the same findings (plus a note on the extra sheet)
    r = validate_file(copy)
    assert not r.unreadable
    keys = {(f.rule, f.sheet, f.cell) for f in r.findings if f.rule != "read.sheet-extra"}
    assert keys == {(f.rule, f.sheet, f.cell) for f in validate_file(broken).findings}


def test_as_published_example(tmp_path: Path) -> None:
    src = tmp_path / AS_PUBLISHED.name
    shutil.copyfile(AS_PUBLISHED, src)
    out = tmp_path / "标注.xlsx"
    code, text = invoke("validate", src, "--annotate", out)
    assert code == 1 and out.exists()
    # the diagnosis: either 房屋 B5 (first: it is empty) or 办公用房 B6 can change; no value is determined
    assert filled_cells(out) == {
        ("资产占用", "B5"): "change",
        ("资产占用", "B6"): "change",
        ("文字说明", "B6"): "warning",  # the published 三公 reason: a decrease next to 0 and no prior figure
    }  # 机关运行经费 8800.00 within 公用经费 31000.00: no warning since opex-t06.within-public
    assert sha256(src) == sha256(AS_PUBLISHED)


def test_unreadable_file_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "报表.xlsx"
    bad.write_text("这不是工作簿", encoding="utf-8")
    code, out = invoke("validate", bad, "--annotate")
    assert code == 3
    assert "不是 .xlsx 工作簿" in out and "未生成带标注的副本" in out and "Traceback" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["报表.xlsx"]


def test_refuses_to_overwrite_and_never_writes_over_the_input(broken: Path) -> None:
    copy = default_output(broken)
    copy.write_bytes(b"clerk's own file")
    code, out = invoke("validate", broken, "--annotate")
    assert code == 2 and "--force" in out and copy.read_bytes() == b"clerk's own file"
    assert invoke("validate", broken, "--annotate", "--force")[0] == 1
    assert zipfile.is_zipfile(copy)
    before = sha256(broken)
    code, out = invoke("validate", broken, "--annotate", broken, "--force")
    assert code == 2 and "不能与输入文件相同" in out and sha256(broken) == before
    assert not list(broken.parent.glob(".xltools-*"))  # no temporary file left behind


def test_several_files(tmp_path: Path, broken: Path) -> None:
    other = tmp_path / "第二个.xlsx"
    shutil.copyfile(AS_PUBLISHED, other)
    code, out = invoke("validate", broken, other, "--annotate", "--html")
    assert code == 1
    for p in (broken, other):
        assert default_output(p).exists() and p.with_name(f"{p.stem}.检查结果.html").exists()
    code, out = invoke("validate", broken, other, "--annotate", tmp_path / "x.xlsx")
    assert code == 2 and "多个文件" in out and not (tmp_path / "x.xlsx").exists()


def test_deterministic(tmp_path: Path, broken: Path) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert invoke("validate", broken, "--annotate", a)[0] == 1
    assert invoke("validate", broken, "--annotate", b)[0] == 1
    assert a.read_bytes() == b.read_bytes()


def test_places_of_table_range_missing_sheet_and_empty_cell(tmp_path: Path, broken: Path, ed: Edition) -> None:
    fs = [
        finding("table.sum-of-parts", ERROR, "表1 收支总表", "", table="t01", expected=1, actual=2),  # whole table
        finding("cell.not-a-number", WARNING, "表3 支出总表", "F6:F7", table="t03"),  # a range
        finding("read.sheet-missing", ERROR, "表99", "", expected="表99", title="某表", renamed=""),
        finding("cell.not-a-number", ERROR, "表7 三公经费表", "K40"),  # beyond the used area: no <c> yet
        finding("read.not-xltools", ERROR, "", "", path="x", guess=""),  # the file as a whole
    ]
    out = tmp_path / "synthetic.xlsx"
    result = annotate_workbook(broken, fs, out, ed)
    assert result.lost == []
    assert filled_cells(out) == {
        ("表1 收支总表", "A1"): "error",
        ("表3 支出总表", "F6"): "warning",
        ("表3 支出总表", "F7"): "warning",
        ("表7 三公经费表", "K40"): "error",
    }
    wb = openpyxl.load_workbook(out)
    rows = {r[1].value: r for r in wb[LIST_SHEET].iter_rows(min_row=4)}
    assert rows["A1（整张表）"][1].hyperlink.location == "'表1 收支总表'!A1"
    assert rows["F6:F7"][1].hyperlink.location == "'表3 支出总表'!F6:F7"
    assert wb["表3 支出总表"]["F6"].comment is not None and wb["表3 支出总表"]["F7"].comment is None
    missing = rows["（缺少此工作表，无法定位）"]
    assert missing[0].value == "表99"
    assert missing[1].hyperlink.location == f"'{LIST_SHEET}'!B{missing[1].row}"  # links to its own row
    whole = rows["（整个文件）"]
    assert whole[1].hyperlink.location == f"'{LIST_SHEET}'!B{whole[1].row}"
    assert wb["表1 收支总表"]["A1"].comment.text.count("【错误】") == 1
    assert wb["表7 三公经费表"]["K40"].comment is not None


def test_existing_comments_and_an_openpyxl_saved_input(tmp_path: Path, broken: Path, ed: Edition) -> None:
    """A workbook re-saved by another program (here openpyxl: absolute part names, no r: prefix on the
    root, its own comment parts) with the clerk's own comments: they are kept and ours added."""
    wb = openpyxl.load_workbook(broken)
    wb["表7 三公经费表"]["B5"].comment = Comment("科长：这里再核一下", "张三")
    wb["表7 三公经费表"]["A5"].comment = Comment("无关的批注", "张三")
    src = tmp_path / "resaved.xlsx"
    wb.save(src)
    out = tmp_path / "out.xlsx"
    annotate_workbook(src, validate_file(src).findings, out, ed)
    b = openpyxl.load_workbook(out)
    ws = b["表7 三公经费表"]
    assert ws["B5"].comment.text.startswith("科长：这里再核一下")
    assert "xltools 检查结果" in ws["B5"].comment.text and "【错误】" in ws["B5"].comment.text
    assert ws["A5"].comment.text == "无关的批注"
    assert filled_cells(out)[("表7 三公经费表", "B5")] == "error"
    assert b["资产占用"]["C8"].comment is not None


@pytest.mark.parametrize("name", ["x.xlsx", "x.XLSX", "x.xlsm"])
def test_default_names(name: str) -> None:
    out = default_output(Path("/d") / name)
    assert out.parent == Path("/d") and out.name.startswith("x.检查结果.")
    assert out.suffix == (".xlsm" if name.endswith("xlsm") else ".xlsx")


EXT = (
    '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" '
    'xmlns:x14="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"><x14:dataValidations count="1" '
    'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation type="list" '
    'allowBlank="1" showErrorMessage="1"><x14:formula1><xm:f>代码表!$I$2:$I$5</xm:f></x14:formula1>'
    "<xm:sqref>C5</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>"
)


@pytest.mark.filterwarnings("ignore:Data Validation extension")
def test_excel_extensions_are_kept(tmp_path: Path, broken: Path, ed: Edition) -> None:
    """What Excel itself writes and openpyxl drops: x14 dropdowns in extLst, mc:Ignorable attributes."""
    from lxml import etree

    part = sheet_parts(broken)["表7 三公经费表"]
    src = tmp_path / "excel.xlsx"
    src_xml = ""
    with zipfile.ZipFile(broken) as zin, zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                text = data.decode()
                text = text.replace(
                    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">',
                    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
                    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
                    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
                    'mc:Ignorable="x14ac">',
                    1,
                )
                text = text.replace("<sheetFormatPr ", '<sheetFormatPr x14ac:dyDescent="0.25" ', 1)
                text = text.replace("</worksheet>", EXT + "</worksheet>")
                assert EXT in text and 'mc:Ignorable="x14ac"' in text
                data = text.encode()
                src_xml = text
            zout.writestr(info, data)
    out = tmp_path / "out.xlsx"
    annotate_workbook(src, validate_file(src).findings, out, ed)
    with zipfile.ZipFile(out) as z:
        xml = z.read(part).decode().split("\n", 1)[1]
    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ext_in = etree.fromstring(src_xml.encode()).find(f"{ns}extLst")
    ext_out = etree.fromstring(xml.encode()).find(f"{ns}extLst")
    assert etree.tostring(ext_out, method="c14n") == etree.tostring(ext_in, method="c14n")  # same XML
    assert 'mc:Ignorable="x14ac"' in xml and 'x14ac:dyDescent="0.25"' in xml
    assert xml.index("<legacyDrawing") < xml.index("<extLst>")  # new elements in schema order
    assert filled_cells(out)[("表7 三公经费表", "B5")] == "error"


def test_what_cannot_be_kept_is_said(tmp_path: Path, broken: Path) -> None:
    """A digital signature (any change breaks it) and a threaded comment on a marked cell (new Excel shows
    the thread, not our note): the copy is still written and the command line says so."""
    wb = openpyxl.load_workbook(broken)
    wb["表7 三公经费表"]["B5"].comment = Comment("[Threaded comment] 请核对", "张三")
    resaved = tmp_path / "resaved.xlsx"
    wb.save(resaved)
    part = sheet_parts(resaved)["表7 三公经费表"]
    rels = part.replace("worksheets/", "worksheets/_rels/") + ".rels"
    src = tmp_path / "签名.xlsx"
    with zipfile.ZipFile(resaved) as zin, zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == rels:
                data = data.replace(
                    b"</Relationships>",
                    b'<Relationship Id="rIdT" Type="http://schemas.microsoft.'
                    b'com/office/2017/10/relationships/threadedComment" '
                    b'Target="../threadedComments/threadedComment1.xml"/></Relationships>',
                )
            zout.writestr(info, data)
        zout.writestr("xl/threadedComments/threadedComment1.xml", b"<ThreadedComments/>")
        zout.writestr("_xmlsignatures/sig1.xml", b"<Signature/>")
    code, out = invoke("validate", src, "--annotate")
    assert code == 1
    assert "注意：原文件带有数字签名" in out
    assert "注意：工作表“表7 三公经费表”的单元格 B5 原有“线程批注”" in out
    copy = default_output(src)
    with zipfile.ZipFile(src) as a, zipfile.ZipFile(copy) as b:
        for name in ("_xmlsignatures/sig1.xml", "xl/threadedComments/threadedComment1.xml"):
            assert b.read(name) == a.read(name)


def test_annotating_an_annotated_copy(tmp_path: Path, broken: Path) -> None:
    """A clerk who runs --annotate on the copy itself: a second list sheet, nothing renamed or lost."""
    assert invoke("validate", broken, "--annotate")[0] == 1
    first = default_output(broken)
    again = tmp_path / "again.xlsx"
    assert invoke("validate", first, "--annotate", again)[0] == 1
    wb = openpyxl.load_workbook(again)
    assert wb.sheetnames[:3] == [f"{LIST_SHEET}2", LIST_SHEET, "填报说明"]
    rows = {r[1].value for r in wb[f"{LIST_SHEET}2"].iter_rows(min_row=4)}
    assert {"B5", "A10", "C8", "B4"} <= rows
    assert "A1" not in rows  # the reader ignores the 错误清单 sheet it added itself
    assert formula_values(again) == formula_values(broken)
