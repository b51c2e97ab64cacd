"""Reasons against their figures (the edition's reasons.toml, xltools/reasons.py): a change of at least the
threshold needs its reason text; a reason that speaks of an increase or a decrease where its figure is 持平,
has no 上年数 or moved the other way contradicts the numbers; a text migrate carried over from last year and
left unedited is to be checked when its figures changed. Each finding is at the reason's cell."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

from .. import reasons as rs
from ..book import Book
from ..edition.layout import table_layout
from ..edition.model import Edition, Table, TextCell
from ..findings import WARNING, Finding, finding
from ..texts import text as tr

RULES = ("text.reason-missing", "text.reason-contradicts", "text.carried-over")


def check(book: Book) -> Iterator[Finding]:
    ed = book.edition
    s = _spec(ed)
    stamp = getattr(book, "stamp", {}) or {}
    for reason, tc, t, a1, label in _places(ed):
        if tc.table in book.missing_tables:
            continue
        value = book.text(tc.table, tc.row, tc.col).strip()  # book.text_cell(reason.text)
        place = {"table": t.id, "label": label}
        if not value:
            changes = rs.needed(book, reason, s)
            if changes:
                yield finding(
                    "text.reason-missing",
                    WARNING,
                    t.sheet,
                    a1,
                    **place,
                    changes=[_describe(book, c) for c in changes],
                    threshold=f"{s.threshold.normalize():f}%",
                )
            continue
        mark = stamp.get(rs.CARRIED_PREFIX + reason.text)
        if mark and mark == rs.carried_mark(value):  # carried over and not edited since
            moved = [c for f in reason.figures if (c := rs.change(book, f)).kind in ("up", "down")]
            if moved:
                yield finding(
                    "text.carried-over",
                    WARNING,
                    t.sheet,
                    a1,
                    **place,
                    changes=[_describe(book, c) for c in moved],
                )
                continue  # the one thing to do at this cell: rewrite the text for this year
        spoken = rs.directions(s, value)
        if spoken:
            for fid in rs.spoken_figures(ed, reason, value):
                c = rs.change(book, fid)
                situation = _contradiction(c, spoken)
                if situation:
                    yield finding(
                        "text.reason-contradicts",
                        WARNING,
                        t.sheet,
                        a1,
                        **place,
                        figure=ed.figure(fid).name,
                        situation=situation,
                        said=_said(spoken),
                        actual=_describe(book, c),
                    )
                    break


@lru_cache(maxsize=16)
def _spec(ed: Edition) -> rs.Spec:
    """The edition's reasons, found and checked once per edition (rs.spec), not once per workbook."""
    return rs.spec(ed)


@lru_cache(maxsize=16)
def _places(ed: Edition) -> tuple[tuple[rs.Reason, TextCell, Table, str, str], ...]:
    """(reason, its text cell, table, A1 and label) of each reason of the edition, once per edition."""
    out = []
    for reason in _spec(ed).reasons:
        tc = ed.text_cell(reason.text)
        t = ed.table(tc.table)
        label = t.row(tc.row).label if t.kind == "fixed" else tc.name
        out.append((reason, tc, t, table_layout(ed, tc.table).cell(tc.row, tc.col), label))
    return tuple(out)


def _contradiction(c: rs.Change, spoken: set[str]) -> str:
    """'' when the text's direction words agree with the figure; else which contradiction (catalogue key)."""
    if c.kind == "blank":
        return ""
    if c.kind == "none":
        return "no_prior"
    if c.kind == "flat":
        return "flat"
    if c.kind not in spoken:
        return "opposite"
    return ""


def _said(spoken: set[str]) -> str:
    return tr("reasons.said." + ("both" if len(spoken) > 1 else next(iter(spoken))))


def _describe(book: Book, c: rs.Change) -> str:
    """'收入总计 较上年增长138.94%' in the catalogue's words."""
    name = book.edition.figure(c.figure).name
    if c.kind == "none":
        return tr("reasons.change.none", figure=name)
    if c.kind == "flat":
        return tr("reasons.change.flat", figure=name)
    if c.percent is None:
        return tr(f"reasons.change.{c.kind}_zero_base", figure=name)
    return tr(f"reasons.change.{c.kind}", figure=name, percent=f"{c.percent.quantize(rs.CENT):f}%")
