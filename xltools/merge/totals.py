"""County totals: the key figures and the classification sums of the included departments, in Decimal.

Each worker already summed its own department by code (render.py), so this is one addition per figure, code
and department, reading the spool one department at a time. It also counts the rows of each stacked sheet,
which the classification sheets' SUMIFS ranges need before any sheet is written.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ..edition.model import Edition
from ..money import ZERO
from . import spec
from .model import ClassRow, InputEntry, Totals
from .spool import Spool


def aggregate(included: list[InputEntry], spool: Spool, ed: Edition) -> tuple[Totals, dict[str, int]]:
    """(county totals, rows of each stacked table)."""
    figs = spec.figures(ed)
    totals = Totals({f.id: ZERO for f in figs})
    classes = spec.classifications(ed)
    sums: dict[str, dict[str, list[Decimal]]] = {c.id: {} for c in classes}
    depts: dict[str, dict[str, int]] = {c.id: defaultdict(int) for c in classes}
    names: dict[str, dict[str, str]] = {c.id: {} for c in classes}
    rows: dict[str, int] = {t.id: 0 for t in spec.stacked_tables(ed)}
    for e in included:
        r = spool.sums(e.key)
        for f in figs:
            v = r.figures.get(f.id)
            if v is not None:
                totals.figures[f.id] += Decimal(v)
        for c in classes:
            mine = r.classes.get(c.id, {})
            for code, (name, values) in mine.items():
                slot = sums[c.id].setdefault(code, [ZERO] * len(c.columns))
                for i, v in enumerate(values):
                    if v is not None:
                        slot[i] += Decimal(v)
                depts[c.id][code] += 1
                if name:
                    names[c.id].setdefault(code, name)
        for tid, n in r.rows.items():
            rows[tid] += n
    for c in classes:
        cl = ed.codes[c.code_list]
        out = []
        for code in sorted(sums[c.id]):
            entry = cl.entries.get(code)
            out.append(
                ClassRow(
                    code,
                    entry.name if entry else names[c.id].get(code, ""),
                    cl.level_of(code),
                    depts[c.id][code],
                    sums[c.id][code],
                )
            )
        totals.classes[c.id] = out
    return totals, rows
