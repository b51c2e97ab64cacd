"""The 概览 sheet: the department's key figures on one page, each with its prior year and change, and
native Excel charts (xlsxwriter). What it shows is edition data (narrative/summary.toml)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .. import texts
from ..book import Book
from ..cells import a1, col_letter, quote_sheet
from ..edition.expr import Ref
from ..edition.layout import table_layout
from ..edition.model import Edition, Figure
from ..errors import EditionError
from ..money import ZERO
from ..template.styles import BODY_FONT, TITLE_FONT
from ..tomlfile import load as load_toml
from .styles import PubStyles

N_COLS = 5  # 项目 | 本年 | 上年 | 增减额 | 增减率
DATA_COL = 7  # chart data block (column H), outside the print area
PIE_SIZE = (330, 260)  # pixels; columns A–E are about 680 px wide
WIDE_SIZE = (670, 300)
CHART_ROWS = 14  # rows of 20 px a pie covers


@dataclass(frozen=True)
class Item:
    id: str  # the figure's id
    label: str
    figure: Figure


@dataclass(frozen=True)
class Group:
    title: str
    unit: str
    items: tuple[Item, ...]


@dataclass(frozen=True)
class Chart:
    type: str  # pie | column
    title: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Summary:
    title: str
    groups: tuple[Group, ...]
    charts: tuple[Chart, ...]

    def item(self, item_id: str) -> Item:
        for g in self.groups:
            for i in g.items:
                if i.id == item_id:
                    return i
        raise KeyError(item_id)


@lru_cache(maxsize=16)
def load_summary(ed: Edition) -> Summary:
    """summary.toml: groups of the edition's named figures ({ figure = id, label = … }) and charts."""
    path = ed.file("narrative/summary.toml")
    where = str(path)
    default_title = texts.text("publish.summary_title")
    if not path.is_file():
        return Summary(default_title, (), ())
    raw = load_toml(path)
    try:
        groups = []
        for g in raw.get("group", []):
            items = []
            for it in g["items"]:
                fid = it["figure"]
                if not ed.has_figure(fid):
                    raise EditionError(texts.raw("publish.summary_errors.load_summary_3").format(where=where, fid=fid))
                f = ed.figure(fid)
                items.append(Item(fid, str(it.get("label", f.title)), f))
            units = {i.figure.unit for i in items}
            unit = str(g.get("unit", units.pop() if len(units) == 1 else ed.money_unit))
            groups.append(Group(g["title"], unit, tuple(items)))
        charts = tuple(Chart(c["type"], c["title"], tuple(c["items"])) for c in raw.get("chart", []))
    except KeyError as e:
        raise EditionError(
            texts.raw("publish.summary_errors.load_summary").format(where=where, e_args_0=e.args[0])
        ) from None
    summary = Summary(raw.get("title", default_title), tuple(groups), charts)
    for c in charts:
        if c.type not in ("pie", "column"):
            raise EditionError(texts.raw("publish.summary_errors.load_summary_2").format(where=where, c_type=c.type))
        for i in c.items:
            try:
                summary.item(i)
            except KeyError:
                raise EditionError(
                    texts.raw("publish.summary_errors.load_summary_4").format(where=where, i=i)
                ) from None
    return summary


@lru_cache(maxsize=16)
def _words(ed: Edition) -> dict[str, str]:
    """The sheet's words: xltools/texts/publish.toml, overridden by the edition's summary.toml [texts]."""
    out = {k: str(v) for k, v in texts.domain("publish").items()}
    path = ed.file("narrative/summary.toml")
    if path.is_file():
        out.update({k: str(v) for k, v in load_toml(path).get("texts", {}).items()})
    return out


def words(ed: Edition, key: str, **values: object) -> str:
    return _words(ed)[key].format(**values)


def value_of(book: Book, item: Item) -> Decimal:
    return book.figure(item.id) or ZERO


def prior_of(book: Book, item: Item) -> Decimal | None:
    return book.figure(item.figure.prior) if item.figure.prior else None


def _formula(ed: Edition, item: Item, published: set[str]) -> str:
    """The figure as a formula over the published tables' cells; '' when it is not a sum of single cells
    of published tables (its value is written instead)."""
    out = ""
    for sign, term in item.figure.side.terms:
        if not isinstance(term, Ref) or term.kind != "cell" or term.table not in published:
            return ""
        cell = f"{quote_sheet(ed.table(term.table).sheet)}!{table_layout(ed, term.table).cell(term.row, term.col)}"
        out += ("-" if sign < 0 else "+" if out else "") + cell
    return "=" + out if out else ""


def write_summary(
    wb: Any,
    st: PubStyles,
    book: Book,
    summary: Summary,
    sheet: str,
    published: set[str],
    unit_name: str,
    unit_line: str,
    year: int,
    no_base: str,
) -> None:
    """no_base: the 增减率 of a figure new this year (narrative.toml [phrases] no_base, 上年无此项)."""
    ed = book.edition
    ws = wb.add_worksheet(sheet)
    title = summary.title.replace("{name}", unit_name).replace("{year}", str(year))
    ws.merge_range(0, 0, 0, N_COLS - 1, title, st.title)
    ws.set_row(0, 30)
    ws.write_string(1, 0, unit_line, st.info)
    ws.write_string(1, N_COLS - 1, words(ed, "money_unit", unit=ed.money_unit), st.info_right)
    heads = (
        words(ed, "item"),
        words(ed, "this_year", year=year),
        words(ed, "prior_year", year=year - 1),
        words(ed, "change"),
        words(ed, "rate"),
    )
    for j, head in enumerate(heads):
        ws.write_string(2, j, head, st.header)
    ws.set_column(0, 0, 30)
    ws.set_column(1, N_COLS - 1, 16)
    rows: dict[str, tuple[int, Decimal, Decimal | None]] = {}  # item id -> (0-based row, value, prior)
    r = 3
    for g in summary.groups:
        head = g.title.replace("{prior_year}", str(year - 1)).replace("{year}", str(year))
        if g.unit != ed.money_unit:
            head += words(ed, "group_unit", unit=g.unit)
        ws.merge_range(r, 0, r, N_COLS - 1, head, st.section)
        r += 1
        for item in g.items:
            rows[item.id] = (r, *_item_row(ws, st, book, item, r, published, no_base))
            r += 1
    r += 1
    ws.write_string(r, 0, words(ed, "note", no_base=no_base), st.info)
    r += 2
    end = _charts(wb, ws, ed, summary, rows, r, year)
    ws.set_landscape()
    ws.set_paper(9)
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    ws.center_horizontally()
    ws.fit_to_pages(1, 0)
    ws.print_area(0, 0, end, N_COLS - 1)
    ws.set_footer(words(ed, "footer"))
    ws.activate()


def _item_row(
    ws: Any, st: PubStyles, book: Book, item: Item, r: int, published: set[str], no_base: str
) -> tuple[Decimal, Decimal | None]:
    """One key figure with its prior year and change; returns (value, prior) for the charts."""
    ed = book.edition
    value = value_of(book, item)
    ws.write_string(r, 0, item.label, st.text)
    formula = _formula(ed, item, published)
    if formula:
        ws.write_formula(r, 1, formula, st.money, float(value))
    else:
        ws.write_number(r, 1, float(value), st.money)
    prior = prior_of(book, item)
    if prior is None:
        ws.write_string(r, 2, words(ed, "not_provided" if item.figure.prior else "no_prior_item"), st.text_right)
        ws.write_blank(r, 3, None, st.text)
        ws.write_blank(r, 4, None, st.text)
        return value, prior
    ws.write_number(r, 2, float(prior), st.money)
    diff = value - prior
    ws.write_formula(r, 3, f"={a1(r + 1, 1)}-{a1(r + 1, 2)}", st.money, float(diff))
    if prior == ZERO:
        if diff == ZERO:
            ws.write_number(r, 4, 0.0, st.rate)
        else:
            ws.write_string(r, 4, no_base, st.text_right)
    else:
        ws.write_formula(r, 4, f"={a1(r + 1, 3)}/{a1(r + 1, 2)}", st.rate, float(diff / prior))
    return value, prior


def _charts(
    wb: Any,
    ws: Any,
    ed: Edition,
    summary: Summary,
    rows: dict[str, tuple[int, Decimal, Decimal | None]],
    top: int,
    year: int,
) -> int:
    """Each chart reads a small contiguous block (column H on) that points at the figures above."""
    name = ws.get_name()
    data_row = 2
    ws.write_string(data_row - 1, DATA_COL, words(ed, "chart_data"), None)
    ws.set_column(DATA_COL, DATA_COL, 24)
    ws.set_column(DATA_COL + 1, DATA_COL + 2, 14)
    anchor_row = top
    pies = 0
    for chart in summary.charts:
        ws.write_string(data_row, DATA_COL, chart.title)
        ws.write_string(data_row, DATA_COL + 1, words(ed, "chart_year", year=year))
        ws.write_string(data_row, DATA_COL + 2, words(ed, "chart_year", year=year - 1))
        first = data_row + 1
        for k, item_id in enumerate(chart.items):
            src, value, prior = rows[item_id]
            label = summary.item(item_id).label.replace(words(ed, "label_prefix"), "").strip("　 ")
            ws.write_string(first + k, DATA_COL, label)
            this_cell, prior_cell = ws_cell(src, 1), ws_cell(src, 2)
            ws.write_formula(first + k, DATA_COL + 1, f"={this_cell}", None, float(value))
            ws.write_formula(
                first + k,
                DATA_COL + 2,
                f'=IF(ISNUMBER({prior_cell}),{prior_cell},"")',
                None,
                "" if prior is None else float(prior),
            )
        last = first + len(chart.items) - 1
        cats = [name, first, DATA_COL, last, DATA_COL]
        font = {"name": BODY_FONT, "size": 9}
        if chart.type == "pie":
            # Two pies side by side over columns A–B and C–E (the print width).
            c = wb.add_chart({"type": "pie"})
            c.add_series(
                {
                    "name": chart.title,
                    "categories": cats,
                    "values": [name, first, DATA_COL + 1, last, DATA_COL + 1],
                    "data_labels": {
                        "percentage": True,
                        "category": True,
                        "separator": "\n",
                        "font": font,
                        "position": "best_fit",
                    },
                }
            )
            c.set_legend({"position": "bottom", "font": font})
            c.set_size({"width": PIE_SIZE[0], "height": PIE_SIZE[1]})
            ws.insert_chart(anchor_row, 0 if pies % 2 == 0 else 2, c, {"x_offset": 4, "y_offset": 4})
            pies += 1
            if pies % 2 == 0:
                anchor_row += CHART_ROWS
        else:
            if pies % 2 == 1:  # a lone pie above: start below it
                anchor_row += CHART_ROWS
                pies += 1
            c = wb.add_chart({"type": "column"})
            for off, label in (
                (1, words(ed, "chart_year", year=year)),
                (2, words(ed, "chart_year", year=year - 1)),
            ):
                c.add_series(
                    {
                        "name": label,
                        "categories": cats,
                        "values": [name, first, DATA_COL + off, last, DATA_COL + off],
                        "data_labels": {"value": True, "num_format": "#,##0", "font": font},
                    }
                )
            c.set_x_axis({"num_font": font})
            c.set_y_axis({"num_font": font, "num_format": "#,##0", "major_gridlines": {"visible": True}})
            c.set_legend({"position": "bottom", "font": font})
            c.set_size({"width": WIDE_SIZE[0], "height": WIDE_SIZE[1]})
            ws.insert_chart(anchor_row, 0, c, {"x_offset": 4, "y_offset": 4})
            anchor_row += CHART_ROWS + 2
        c.set_title({"name": chart.title, "name_font": {"name": TITLE_FONT, "size": 11, "bold": False}})
        data_row = last + 2
    return anchor_row + (CHART_ROWS if pies % 2 == 1 else 0)


def ws_cell(row: int, col: int) -> str:
    return f"${col_letter(col)}${row + 1}"
