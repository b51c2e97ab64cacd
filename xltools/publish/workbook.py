"""The publication workbook (<单位名称><年度>年部门预算公开表.xlsx): the 概览 sheet, then every published
table, print-ready. Byte-deterministic (fixed document date); text is always written as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import xlsxwriter

from .. import __version__, texts
from ..book import Book
from ..narrative.context import Context
from .styles import PubStyles
from .summary import load_summary, write_summary
from .tables import SheetWriter


def write_publication(book: Book, ctx: Context, path: Path) -> None:
    ed = book.edition
    name, code, year = ctx.unit_name, ctx.unit_code, ctx.year
    wb = xlsxwriter.Workbook(
        str(path),
        {
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    wb.set_properties(
        {
            "title": ctx.config.tables_title(name, year),
            "subject": texts.text("publish.subject"),
            "author": name,
            "company": "",
            "comments": f"xltools {__version__}; edition={ed.id} version={ed.version}",
            "created": dt.datetime(year, 1, 1),  # fixed, so the file is byte-deterministic
        }
    )
    st = PubStyles(wb)
    published = set(ctx.published)
    unit_line = texts.text("publish.unit_line") + " ".join(p for p in (code, name) if p)
    write_summary(
        wb,
        st,
        book,
        load_summary(ed),
        ctx.config.summary_sheet,
        published,
        name,
        unit_line,
        year,
        ctx.phrases.word("no_base"),
    )
    sheets = SheetWriter(wb, st, book, published, unit_line, year)
    for tid in ctx.published:
        sheets.write(ed.table(tid), ctx.config.title(ed, tid), ctx.empty_notes.get(tid, ""))
    wb.close()
