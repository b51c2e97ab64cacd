"""County totals: the key figures and the classification sums of the included departments, in Decimal."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from ..edition.model import Edition
from ..money import ZERO
from . import spec
from .model import ClassRow, InputEntry, Totals
from .spool import Spool


def aggregate(included: list[InputEntry], spool: Spool, ed: Edition) -> Totals:
    figs = spec.figures(ed)
    totals = Totals({f.id: ZERO for f in figs})
    classes = spec.classifications(ed)
    sums: dict[str, dict[str, list[Decimal]]] = {c.id: {} for c in classes}
    depts: dict[str, dict[str, int]] = {c.id: defaultdict(int) for c in classes}
    names: dict[str, dict[str, str]] = {c.id: {} for c in classes}
    for e in included:
        data = spool.get(e.spool)  # type: ignore[arg-type]
        for f in figs:
            v = data.figures.get(f.id)
            if v is not None:
                totals.figures[f.id] += Decimal(v)
        for c in classes:
            seen: set[str] = set()
            for i, col in enumerate(c.columns):
                part = data.tables.get(col.table)
                if part is None:
                    continue
                cols = part.cols
                ci, code_i = cols.index(col.col), cols.index("code")
                name_i = cols.index("name") if "name" in cols else -1
                for _row, vals in part.rows:
                    code = vals[code_i]
                    if not code:
                        continue
                    slot = sums[c.id].setdefault(code, [ZERO] * len(c.columns))
                    if vals[ci] is not None:
                        slot[i] += Decimal(vals[ci])
                    seen.add(code)
                    if name_i >= 0 and vals[name_i]:
                        names[c.id].setdefault(code, vals[name_i])
            for code in seen:
                depts[c.id][code] += 1
    for c in classes:
        cl = ed.codes[c.code_list]
        rows = []
        for code in sorted(sums[c.id]):
            entry = cl.entries.get(code)
            rows.append(
                ClassRow(
                    code,
                    entry.name if entry else names[c.id].get(code, ""),
                    cl.level_of(code),
                    depts[c.id][code],
                    sums[c.id][code],
                )
            )
        totals.classes[c.id] = rows
    return totals
