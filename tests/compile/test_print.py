"""Print-ready, checked by rendering: the publication workbook and the template go through LibreOffice to PDF,
and every printed cell's text must appear whole in the PDF's text. LibreOffice leaves out the glyphs a cell
clips (text cut by its neighbour, wrapped lines taller than the row), so a cut cell fails here."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.utils.cell import range_boundaries

from xltools.edition import load_edition
from xltools.merge import merge
from xltools.publish.pdf import soffice, to_pdf
from xltools.template.write import write_template

from ..conftest import EXAMPLE
from .conftest import Compiled

pytestmark = pytest.mark.skipif(
    soffice() is None or shutil.which("pdftotext") is None,
    reason="LibreOffice (soffice) and pdftotext (poppler-utils) are needed to render and read the print",
)

_SPACE = re.compile(r"\s+")


def printed(value: object, number_format: str) -> str:
    """A cell's value as its number format prints it ('' where the format hides it)."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if number_format.endswith(';""') and value == 0:
        return ""
    if number_format == "0.00%":
        return f"{value * 100:.2f}%"
    if number_format in ("0", "General") and float(value).is_integer():
        return str(int(value))
    if "#,##0" in number_format:
        decimals = len(number_format.split(";")[0].partition(".")[2])
        return f"{value:,.{decimals}f}"
    if number_format.startswith("0."):
        return f"{value:.{len(number_format) - 2}f}"
    return str(value)


def cell_texts(path: Path) -> dict[str, list[tuple[str, str]]]:
    """(A1, text) of every non-empty cell inside each visible sheet's print area (cached formula values)."""
    wb = openpyxl.load_workbook(path, data_only=True)
    out: dict[str, list[tuple[str, str]]] = {}
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        area = ws.print_area
        area = area if isinstance(area, str) or not area else area[0]
        bounds = range_boundaries(area.split("!")[-1].replace("$", "")) if area else None
        cells = []
        for row in ws.iter_rows():
            for c in row:
                if bounds and not (bounds[0] <= c.column <= bounds[2] and bounds[1] <= c.row <= bounds[3]):
                    continue
                text = _SPACE.sub("", printed(c.value, c.number_format))
                if text:
                    cells.append((c.coordinate, text))
        out[ws.title] = cells
    return out


def pdf_text(pdf: Path) -> str:
    res = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, timeout=120, check=True)
    return _SPACE.sub("", res.stdout)


@pytest.fixture(scope="module")
def rendered(compiled: Compiled, tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path]]:
    """The publication workbook, the blank template and a workbook cut on purpose, each with its PDF (one
    LibreOffice run: a start costs seconds)."""
    tmp = tmp_path_factory.mktemp("print")
    sources = {k: tmp / f"{k}.xlsx" for k in ("publication", "template", "merged", "cut")}
    shutil.copyfile(compiled.xlsx_path, sources["publication"])
    (tmp / "in").mkdir()
    shutil.copyfile(EXAMPLE, tmp / "in" / "example.xlsx")
    merge([tmp / "in"], sources["merged"], jobs=1)
    write_template(load_edition("hebei-county-2020"), sources["template"])
    _cut_workbook(sources["cut"])
    pdfs = to_pdf(list(sources.values()), tmp)
    return {k: (src, pdf) for (k, src), pdf in zip(sources.items(), pdfs, strict=True)}


@pytest.mark.parametrize("kind", ["publication", "template", "merged"])
def test_every_cell_prints_whole(rendered: dict[str, tuple[Path, Path]], kind: str) -> None:
    src, pdf = rendered[kind]
    text = pdf_text(pdf)
    cut = [
        f"{sheet}!{ref}: {value}"
        for sheet, cells in cell_texts(src).items()
        for ref, value in cells
        if value not in text
    ]
    assert not cut, "cut or missing in print:\n" + "\n".join(cut)


def _cut_workbook(src: Path) -> None:
    wb = xlsxwriter.Workbook(str(src))
    ws = wb.add_worksheet()
    ws.set_column(0, 1, 10)
    ws.write_string(0, 0, "编制单位：中共隆尧县委网络安全和信息化委员会办公室")
    ws.write_string(0, 1, "截止时间：2019年12月31日")
    ws.set_row(2, 15)
    ws.write_string(2, 0, "维护网络安全和推动信息化发展，提高网络舆情处置率", wb.add_format({"text_wrap": True}))
    wb.close()


def test_the_check_sees_a_cut_cell(rendered: dict[str, tuple[Path, Path]]) -> None:
    """The check can fail: a long 编制单位 beside a filled cell, and wrapped text in a row too low for it."""
    src, pdf = rendered["cut"]
    text = pdf_text(pdf)
    cut = [value for _, value in cell_texts(src)["Sheet1"] if value not in text]
    assert cut == [
        "编制单位：中共隆尧县委网络安全和信息化委员会办公室",
        "维护网络安全和推动信息化发展，提高网络舆情处置率",
    ]


def test_merged_workbook_print_setup(rendered: dict[str, tuple[Path, Path]]) -> None:
    """Every sheet of the merged workbook: A4 landscape, one page wide, its header row repeated, 金额单位 above."""
    wb = openpyxl.load_workbook(rendered["merged"][0])
    for ws in wb.worksheets:
        assert ws.page_setup.paperSize == 9 and ws.page_setup.orientation == "landscape", ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToHeight == 0, ws.title
    assert wb["表1 收支总表"].print_title_rows == "$1:$1"
    assert "金额单位：元" in wb["表1 收支总表"].oddHeader.left.text


def test_word_tables_keep_their_header_with_the_first_rows(compiled: Compiled) -> None:
    """A table's title, header and first rows stay on one page; no last row is left alone on the next."""
    import docx

    doc = docx.Document(str(compiled.docx_path))
    assert doc.tables
    for table in doc.tables:
        keeps = [all(p.paragraph_format.keep_with_next for c in row.cells for p in c.paragraphs) for row in table.rows]
        assert keeps[:-1] == [True] * (len(keeps) - 1) if len(keeps) <= 16 else keeps[:4] == [True] * 4
        assert keeps[-1] is False and (len(keeps) < 2 or keeps[-2] is True)
        title = table._tbl.getprevious()
        assert title is not None and title.tag.endswith("}p")
