"""The 公开表 workbook: every official table plus the narrative tables, print-ready, totals as formulas
with their computed cached values, and the 概览 sheet with prior year, change and native charts."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest

from xltools.edition import Edition

from .conftest import NAME, NARRATIVE, TABLES, Compiled, run_compile

SHEETS = [
    "概览",
    "表1 收支总表",
    "表2 收入总表",
    "表3 支出总表",
    "表4 财政拨款收支总表",
    "表5 一般公共预算支出表",
    "表6 基本支出表",
    "表7 三公经费表",
    "表8 政府性基金表",
    "表9 国有资本经营表",
    "项目支出经济分类",
    "机构设置",
    "项目绩效",
    "绩效指标",
    "政府采购",
    "机关运行经费",
    "资产占用",
]


@pytest.fixture(scope="module")
def formulas(compiled: Compiled) -> openpyxl.Workbook:
    return openpyxl.load_workbook(compiled.xlsx_path)


@pytest.fixture(scope="module")
def values(compiled: Compiled) -> openpyxl.Workbook:
    return openpyxl.load_workbook(compiled.xlsx_path, data_only=True)  # the cached values


def test_sheets_official_and_narrative_tables(formulas: openpyxl.Workbook, ed: Edition) -> None:
    assert formulas.sheetnames == SHEETS
    official = [t.sheet for t in ed.tables if t.official]
    assert all(s in formulas.sheetnames for s in official)
    assert "封面" not in formulas.sheetnames and "上年数" not in formulas.sheetnames


def test_print_ready_title_header_line_unit(formulas: openpyxl.Workbook) -> None:
    for name in SHEETS[1:]:
        ws = formulas[name]
        assert ws.page_setup.orientation == "landscape", name
        assert ws.page_setup.paperSize == 9, name  # A4
        assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0, name  # 1 page wide
        assert ws.print_title_rows, name
        assert ws["A2"].value.startswith(f"编制单位：288002 {NAME}"), name
        info = [c.value for c in ws[2] if c.value][-1]
        assert "预算年度：2020年" in info, name
        assert ws["A3"].border.left.style == "thin", name
    assert formulas["表1 收支总表"]["A1"].value == "部门收支总体情况表"
    assert formulas["表1 收支总表"].print_title_rows == "$1:$4"
    assert formulas["表1 收支总表"]["D2"].value == "预算年度：2020年    金额单位：元"
    # narrow tables: 编制单位 on one line, the rest on the next, over the table's width (nothing cut or overlapped)
    assert formulas["资产占用"]["A2"].value == (
        f"编制单位：288002 {NAME}\n截止时间：2019年12月31日    预算年度：2020年    金额单位：万元"
    )
    assert "A2:C2" in {str(m) for m in formulas["资产占用"].merged_cells.ranges}
    assert formulas["项目绩效"]["A1"].value == "项目绩效目标表"
    assert formulas["政府采购"]["A2"].value == f"编制单位：288002 {NAME}\n预算年度：2020年    金额单位：元"
    assert formulas["政府采购"].row_dimensions[2].height >= 3 * 14  # the unit's name wraps in the narrow table
    perf = formulas["项目绩效"]
    goal_row = next(r for r in range(6, 12) if str(perf.cell(r, 1).value).startswith("288-"))
    assert perf.row_dimensions[goal_row].height >= 2 * 14  # a two-line 年度绩效目标 fits its row


def test_totals_are_formulas_with_cached_values(formulas: openpyxl.Workbook, values: openpyxl.Workbook) -> None:
    t1, v1 = formulas["表1 收支总表"], values["表1 收支总表"]
    assert t1["B5"].value == "='表2 收入总表'!F5"  # the template's own formula
    assert v1["B5"].value == 477884
    total_row = next(r for r in range(5, 40) if t1.cell(r, 1).value == "收入总计")
    assert str(t1.cell(total_row, 2).value).startswith("=")
    assert v1.cell(total_row, 2).value == 477884
    assert v1.cell(total_row, 4).value == 477884  # 支出总计
    t3, v3 = formulas["表3 支出总表"], values["表3 支出总表"]
    assert t3["D5"].value == "=SUMPRODUCT((LEN(B6:B45)=3)*D6:D45)"
    assert [v3.cell(5, c).value for c in range(4, 9)] == [477884, 327884, 296884, 31000, 150000]
    assert t3["D6"].value == "=E6+H6" and v3["D6"].value == 477884  # a row formula follows its row
    assert [v3.cell(r, 2).value for r in range(6, 10)] == ["201", "20136", "2013601", "2013602"]
    assert v3["C8"].value == "行政运行"  # the code list's name, written as text
    t7, v7 = formulas["表7 三公经费表"], values["表7 三公经费表"]
    assert t7["B5"].value == "=C5+D5+G5" and v7["B5"].value == 0
    assert [v7.cell(5, c).value for c in range(2, 8)] == [0, 0, 0, 0, 0, 0]


def test_list_tables_print_their_filled_rows(values: openpyxl.Workbook) -> None:
    pe = values["项目支出经济分类"]
    rows = [[pe.cell(r, c).value for c in range(1, 4)] for r in range(4, 11)]
    assert rows == [
        ["", "合计", 150000],
        ["302", "商品和服务支出", 150000],
        ["30201", "办公费", 60000],
        ["30202", "印刷费", 50000],
        ["30207", "邮电费", 5000],
        ["30211", "差旅费", 5000],
        ["30213", "维修（护）费", 30000],
    ]
    assert pe.max_row == 10
    org = values["机构设置"]
    assert [[org.cell(r, c).value for c in range(1, 5)] for r in (4, 5)] == [
        ["综合股", "行政", "科级", "财政拨款"],
        ["业务股", "行政", "科级", "财政拨款"],
    ]
    proj = values["项目绩效"]
    assert [proj.cell(6, c).value for c in range(1, 11)] == [
        "288-0204-JXN-KZLZ",
        "网信办工作经费",
        150000,
        150000,
        None,
        "维护网络安全和推动信息化发展",
        25,
        50,
        75,
        100,
    ]
    assert values["绩效指标"].max_row == 12  # 9 indicators under a 3-row head


def test_empty_tables_carry_their_note(values: openpyxl.Workbook) -> None:
    def notes(name: str) -> list[str]:
        return [
            c.value
            for row in values[name].iter_rows()
            for c in row
            if isinstance(c.value, str) and c.value.startswith("注：")
        ]

    assert notes("表8 政府性基金表") == ["注：本部门2020年无政府性基金预算支出，故本表为空表。"]
    assert notes("表9 国有资本经营表") == ["注：本部门2020年无国有资本经营预算支出，故本表为空表。"]
    assert notes("表7 三公经费表") == ["注：本部门2020年无财政拨款“三公”经费预算安排，故本表金额均为0。"]
    assert notes("政府采购") == ["注：本部门2020年无政府采购预算安排，故本表金额均为0。"]
    assert notes("表1 收支总表") == [] and notes("资产占用") == []


def test_summary_figures_prior_year_and_change(formulas: openpyxl.Workbook, values: openpyxl.Workbook) -> None:
    ws, wv = formulas["概览"], values["概览"]
    assert wv["A1"].value == f"{NAME}2020年部门预算概览"
    assert [wv.cell(3, c).value for c in range(1, 6)] == ["项目", "2020年预算数", "2019年预算数", "增减额", "增减率"]
    rows = {wv.cell(r, 1).value: r for r in range(4, 60) if wv.cell(r, 1).value}

    def line(label: str) -> list[Any]:
        return [wv.cell(rows[label], c).value for c in range(2, 6)]

    assert line("收入总计") == [477884, 200000, 277884, pytest.approx(1.38942)]
    assert ws.cell(rows["收入总计"], 2).value == "='表1 收支总表'!B37"
    assert ws.cell(rows["收入总计"], 4).value == f"=B{rows['收入总计']}-C{rows['收入总计']}"
    assert line("支出总计") == [477884, 200000, 277884, pytest.approx(1.38942)]
    assert line("一般公共预算拨款收入") == [477884, "（未提供）", None, None]
    assert line("基本支出")[0] == 327884 and line("其中：人员经费")[0] == 296884
    assert line("　　　日常公用经费")[0] == 31000 and line("项目支出")[0] == 150000
    for label in (
        "“三公”经费合计",
        "因公出国（境）费",
        "公务用车购置费",
        "公务用车运行费",
        "公务接待费",
        "政府采购预算",
    ):
        assert line(label)[0] == 0, label
    assert line("机关运行经费")[0] == 8800
    assert line("资产总额") == [15.33, "—", None, None]
    assert "固定资产（截至2019年12月31日）（金额单位：万元）" in rows


def test_summary_has_native_charts(compiled: Compiled) -> None:
    with zipfile.ZipFile(compiled.xlsx_path) as z:
        charts = sorted(n for n in z.namelist() if re.fullmatch(r"xl/charts/chart\d+\.xml", n))
        assert len(charts) == 3
        xml = [z.read(n).decode("utf-8") for n in charts]
        drawing_rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode("utf-8")
    assert "drawing" in drawing_rels  # the charts sit on 概览, the first sheet
    assert "<c:pieChart>" in xml[0] and "支出构成：基本支出与项目支出" in xml[0]
    assert "<c:pieChart>" in xml[1] and "人员经费与日常公用经费" in xml[1]
    assert "<c:barChart>" in xml[2] and xml[2].count("<c:ser>") == 2  # this year and last year


def test_user_text_is_never_a_formula(example: dict[str, Any], write: Callable[..., Path], tmp_path: Path) -> None:
    example["org"][0]["name"] = '=HYPERLINK("http://example.invalid","点击")'
    example["org"][1]["name"] = "+1|#综合 *股*"
    example["text"]["duties"] = {"text": "@SUM(A1)\n- 第二项 | 竖线"}
    path = write(example)
    code, output = run_compile(str(path), "-o", str(tmp_path / "out"))
    assert code == 0, output
    xlsx = tmp_path / "out" / f"{TABLES}.xlsx"
    wb = openpyxl.load_workbook(xlsx)
    assert wb["机构设置"]["A4"].value == '=HYPERLINK("http://example.invalid","点击")'
    assert wb["机构设置"]["A4"].data_type == "s"
    assert wb["机构设置"]["A5"].value == "+1|#综合 *股*"
    with zipfile.ZipFile(xlsx) as z:
        sheet = z.read(f"xl/worksheets/sheet{SHEETS.index('机构设置') + 1}.xml").decode("utf-8")
    assert "HYPERLINK" not in sheet and "<f>" not in sheet  # text lives in sharedStrings, never as <f>
    doc = docx.Document(str(tmp_path / "out" / f"{NARRATIVE}.docx"))
    texts = [p.text for p in doc.paragraphs]
    assert "部门职责：@SUM(A1)" in texts and "- 第二项 | 竖线" in texts
    org = [[c.text for c in r.cells] for r in doc.tables[0].rows]
    assert org[1][0] == '=HYPERLINK("http://example.invalid","点击")' and org[2][0] == "+1|#综合 *股*"
    md = (tmp_path / "out" / f"{NARRATIVE}.md").read_text(encoding="utf-8")
    assert "| +1\\|\\#综合 \\*股\\* | 行政 |" in md  # escaped, so the row keeps its four cells


def test_counts_without_decimals_and_zeros_alike_on_both_sides(formulas: openpyxl.Workbook) -> None:
    assets = formulas["资产占用"]
    vehicles = next(r for r in range(4, 12) if str(assets.cell(r, 1).value).startswith("2、车辆"))
    assert assets.cell(vehicles, 2).number_format == "#,##0"  # 0 台, not 0.00
    housing = next(r for r in range(4, 12) if str(assets.cell(r, 1).value).startswith("1、房屋"))
    assert assets.cell(housing, 2).number_format == "#,##0.00"  # 37.70 平方米
    t1 = formulas["表1 收支总表"]
    fund = next(r for r in range(5, 40) if str(t1.cell(r, 1).value).startswith("二、政府性基金"))
    class_row = next(r for r in range(5, 40) if t1.cell(r, 3).value == "外交支出")
    assert t1.cell(fund, 2).number_format == t1.cell(class_row, 4).number_format == '#,##0.00;-#,##0.00;""'
    total = next(r for r in range(5, 40) if t1.cell(r, 1).value == "收入总计")
    assert t1.cell(total, 2).number_format == "#,##0.00"  # totals still print 0.00
