"""Single-cell mutation operators on the plain data of a valid workbook, and the kill-rate computation
(used by test_mutations.py and bench/robustness_bench.py).

A mutant is killed when `validate_file` on the written workbook reports an error at the mutated cell or at
a cell where the mutation breaks an identity. Whether a mutant breaks anything is decided independently of
the file path: the plain data is turned into a Book in memory (`book_from_data`, no writer, no reader) and
`check_book` gives the broken identities and their cells. A mutant that breaks nothing there is
legitimately valid (e.g. two equal amounts swapped) and is listed with the reason.
"""

from __future__ import annotations

import copy
import random
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from xltools.book import Pasted, book_from_data
from xltools.edition.formulas import is_formula
from xltools.edition.layout import table_layout
from xltools.edition.model import Edition
from xltools.findings import ERROR
from xltools.rules.check import check_book
from xltools.synth import department
from xltools.template.write import write_template
from xltools.validate import validate_file

Data = dict[str, Any]
Where = tuple[str, str, str]  # (table, row key, column) of the mutated cell


@dataclass
class Mutant:
    base: str
    op: str
    where: Where
    data: Data
    before: Any = None
    after: Any = None


# ---------------------------------------------------------------- cells of plain data


def _rows(data: Data, table: str) -> list[dict[str, Any]]:
    return data.get(table) or []


def get(data: Data, ed: Edition, w: Where) -> Any:
    t, row, col = w
    if ed.table(t).kind == "list":
        return data[t][int(row[1:])].get(col)
    return data.get(t, {}).get(row, {}).get(col)


def put(data: Data, ed: Edition, w: Where, value: Any) -> None:
    t, row, col = w
    if ed.table(t).kind == "list":
        data[t][int(row[1:])][col] = value  # a cleared cell of a present row stays a (blank) cell
        return
    rec = data.setdefault(t, {}).setdefault(row, {})
    if value is None:
        rec.pop(col, None)
    else:
        rec[col] = value


def money_cells(ed: Edition, data: Data) -> list[Where]:
    """Input 金额 cells holding a number (formula cells are the writer's, not the clerk's)."""
    out: list[Where] = []
    for t in ed.tables:
        if t.kind == "list":
            for i, rec in enumerate(_rows(data, t.id)):
                for c in t.columns:
                    if c.type == "money" and not is_formula(ed, t, f"r{i}", c.key) and rec.get(c.key) is not None:
                        out.append((t.id, f"r{i}", c.key))
        else:
            for r in t.rows:
                for c in t.value_columns(r.side):
                    if (
                        t.cell_type(r, c) == "money"
                        and c.key not in r.na
                        and not is_formula(ed, t, r.id, c.key)
                        and data.get(t.id, {}).get(r.id, {}).get(c.key) is not None
                    ):
                        out.append((t.id, r.id, c.key))
    return out


def _dec(v: Any) -> Decimal:
    return v.value if isinstance(v, Pasted) else Decimal(str(v))


# ---------------------------------------------------------------- operators

Op = Callable[[Edition, Data, random.Random, int], Iterator[tuple[Where, Data, Any, Any]]]
OPERATORS: dict[str, Op] = {}


def operator(name: str) -> Callable[[Op], Op]:
    def deco(fn: Op) -> Op:
        OPERATORS[name] = fn
        return fn

    return deco


def _amount_op(fn: Callable[[Decimal], Decimal | None]) -> Op:
    def op(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
        cells = money_cells(ed, data)
        for w in rng.sample(cells, min(k, len(cells))):
            d = copy.deepcopy(data)
            before = get(d, ed, w)
            after = fn(_dec(before))
            put(d, ed, w, after)
            yield w, d, before, after

    return op


OPERATORS["cent-up"] = _amount_op(lambda v: v + Decimal("0.01"))
OPERATORS["cent-down"] = _amount_op(lambda v: v - Decimal("0.01"))
OPERATORS["times-10000"] = _amount_op(lambda v: v * 10000 if v else Decimal(10000))
OPERATORS["div-10000"] = _amount_op(lambda v: v / 10000 if v else Decimal("0.01"))
OPERATORS["cleared-amount"] = _amount_op(lambda v: None)


@operator("swap-amounts")
def _swap(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    cells = money_cells(ed, data)
    pairs = [(a, b) for a in cells for b in cells if a < b and a[0] == b[0] and (a[1] == b[1] or a[2] == b[2])]
    for a, b in rng.sample(pairs, min(k, len(pairs))):
        d = copy.deepcopy(data)
        va, vb = get(d, ed, a), get(d, ed, b)
        put(d, ed, a, vb)
        put(d, ed, b, va)
        yield a, d, va, vb


def _coded_rows(ed: Edition, data: Data) -> list[tuple[str, int]]:
    return [(t.id, i) for t in ed.tables if t.kind == "list" and t.code_list for i, _ in enumerate(_rows(data, t.id))]


@operator("wrong-code")
def _wrong_code(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    rows = _coded_rows(ed, data)
    for t, i in rng.sample(rows, min(k, len(rows))):
        d = copy.deepcopy(data)
        before = d[t][i]["code"]
        d[t][i]["code"] = before[:-1] + ("9" if before[-1] != "9" else "8") if len(before) > 3 else "999"
        if d[t][i]["code"] in ed.codes[ed.table(t).code_list].entries:
            d[t][i]["code"] = "9" * len(before)
        yield (t, f"r{i}", "code"), d, before, d[t][i]["code"]


@operator("orphan-item")
def _orphan(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    """Delete the 款 row above a 项 row: the 项 is left without its parent."""
    cands = []
    for t, i in _coded_rows(ed, data):
        code = data[t][i]["code"]
        cl = ed.codes[ed.table(t).code_list]
        if cl.level_of(code) == 3:
            parents = [
                j
                for j, r in enumerate(data[t])
                if r["code"] == cl.parent(code) and r.get("unit") == data[t][i].get("unit")
            ]
            cands += [(t, i, j) for j in parents]
    for t, i, j in rng.sample(cands, min(k, len(cands))):
        d = copy.deepcopy(data)
        del d[t][j]
        i2 = i - 1 if j < i else i
        yield (t, f"r{i2}", "code"), d, data[t][j]["code"], None


@operator("basic-to-project")
def _basic_to_project(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    """Move an amount from 基本支出 (公用经费) to 项目支出 on one row, leaving the totals as they were."""
    cands = []
    for t, basic in (("t03", "basic_public"), ("t05", "public")):
        for i, rec in enumerate(_rows(data, t)):
            if rec.get(basic):
                cands.append((t, i, basic))
    for t, i, basic in rng.sample(cands, min(k, len(cands))):
        d = copy.deepcopy(data)
        rec = d[t][i]
        moved = min(_dec(rec[basic]), Decimal(1000))
        rec[basic] = _dec(rec[basic]) - moved
        rec["project"] = _dec(rec.get("project") or 0) + moved
        yield (t, f"r{i}", "project"), d, moved, None


@operator("cleared-required")
def _cleared_required(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    cands: list[Where] = []
    for t in ed.tables:
        if t.kind == "list":
            for i, rec in enumerate(_rows(data, t.id)):
                cands += [(t.id, f"r{i}", c.key) for c in t.columns if c.required == "error" and rec.get(c.key)]
        else:
            for r in t.rows:
                for c in t.value_columns(r.side):
                    if (r.required or c.required) == "error" and data.get(t.id, {}).get(r.id, {}).get(c.key):
                        cands.append((t.id, r.id, c.key))
    for w in rng.sample(cands, min(k, len(cands))):
        d = copy.deepcopy(data)
        before = get(d, ed, w)
        put(d, ed, w, None)
        yield w, d, before, None


def _plans(data: Data) -> list[int]:
    return [i for i, p in enumerate(_rows(data, "proj")) if p.get("plan_dec") is not None]


@operator("plan-decreases")
def _plan_decreases(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    for i in rng.sample(_plans(data), min(k, len(_plans(data)))):
        d = copy.deepcopy(data)
        p = d["proj"][i]
        before = p["plan_h1"]
        p["plan_h1"] = max(_dec(p["plan_q1"]) - 1, Decimal(0)) if _dec(p["plan_q1"]) > 0 else None
        if p["plan_h1"] is None:  # 3月底 is 0: make it exceed 6月底 instead
            p["plan_h1"], p["plan_q1"] = before, _dec(before) + 1
            yield ("proj", f"r{i}", "plan_q1"), d, 0, p["plan_q1"]
        else:
            yield ("proj", f"r{i}", "plan_h1"), d, before, p["plan_h1"]


@operator("plan-below-100")
def _plan_below(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    for i in rng.sample(_plans(data), min(k, len(_plans(data)))):
        d = copy.deepcopy(data)
        p = d["proj"][i]
        p["plan_dec"] = max(_dec(p.get("plan_oct") or 0), Decimal(90))
        if p["plan_dec"] == 100:
            p["plan_dec"] = Decimal(99)
        yield ("proj", f"r{i}", "plan_dec"), d, 100, p["plan_dec"]


def _formula_targets(ed: Edition, data: Data) -> list[Where]:
    out: list[Where] = [
        (t, f"r{i}", "total") for t in ("t02", "t03", "t05", "t06") for i, _ in enumerate(_rows(data, t))
    ]
    out += [("t01", "inc_total", "inc"), ("t01", "inc_subtotal", "inc"), ("t01", "exp_total", "amount")]
    return out


@operator("total-typed-over")
def _total_over(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    """A wrong constant pasted over a total (the clerk's own arithmetic)."""
    cands = _formula_targets(ed, data)
    for w in rng.sample(cands, min(k, len(cands))):
        d = copy.deepcopy(data)
        right = book_from_data(ed, d).amount(*w) or Decimal(0)
        put(d, ed, w, Pasted(right + 100))
        yield w, d, right, right + 100


@operator("total-typed-same")
def _total_same(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    """The right constant pasted over a total: valid (a warning that the formula is gone)."""
    cands = _formula_targets(ed, data)
    for w in rng.sample(cands, min(max(1, k // 2), len(cands))):
        d = copy.deepcopy(data)
        right = book_from_data(ed, d).amount(*w) or Decimal(0)
        put(d, ed, w, Pasted(right))
        yield w, d, right, right


@operator("duplicate-row")
def _duplicate_row(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    rows = [(t, i) for t, i in _coded_rows(ed, data) if len(data[t]) < ed.table(t).rows_max]
    for t, i in rng.sample(rows, min(k, len(rows))):
        d = copy.deepcopy(data)
        d[t].insert(i + 1, copy.deepcopy(d[t][i]))
        yield (t, f"r{i + 1}", "code"), d, None, d[t][i]["code"]


@operator("negative-amount")
def _negative(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    cells = [w for w in money_cells(ed, data) if _dec(get(data, ed, w)) > 0]
    for w in rng.sample(cells, min(k, len(cells))):
        d = copy.deepcopy(data)
        before = get(d, ed, w)
        put(d, ed, w, -_dec(before))
        yield w, d, before, -_dec(before)


@operator("broken-reference")
def _broken_ref(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    rows = list(range(len(_rows(data, "ind"))))
    for i in rng.sample(rows, min(k, len(rows))):
        d = copy.deepcopy(data)
        before = d["ind"][i]["project"]
        d["ind"][i]["project"] = before + "-X"
        yield ("ind", f"r{i}", "project"), d, before, before + "-X"


@operator("office-over-housing")
def _office(ed: Edition, data: Data, rng: random.Random, k: int) -> Iterator[tuple[Where, Data, Any, Any]]:
    a = data.get("assets", {})
    if "housing" not in a or "office" not in a:
        return
    d = copy.deepcopy(data)
    housing = _dec(d["assets"]["housing"].get("quantity") or 0)
    d["assets"]["office"]["quantity"] = housing + 1
    yield ("assets", "office", "quantity"), d, a["office"].get("quantity"), housing + 1


# ---------------------------------------------------------------- bases and the kill rate


def bases(ed: Edition, seeds: list[int], example: bool = True) -> list[tuple[str, Data]]:
    from . import corpus

    out = [("example", corpus.example_data())] if example else []
    return out + [(f"seed-{s}", department(ed, s)) for s in seeds]


def mutants(ed: Edition, base: str, data: Data, per_op: int, seed: int = 0) -> Iterator[Mutant]:
    for name, op in OPERATORS.items():
        rng = random.Random(f"{seed}:{base}:{name}")
        for where, d, before, after in op(ed, data, rng, per_op):
            yield Mutant(base, name, where, d, before, after)


@dataclass
class Outcome:
    mutant: Mutant
    breaks: bool  # the in-memory oracle finds an error
    killed: bool
    reason: str = ""  # why a mutant that breaks nothing is legitimately valid
    false_alarm: bool = False  # valid by the oracle, yet the file has errors


@dataclass
class KillReport:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def breaking(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.breaks]

    @property
    def survivors(self) -> list[Outcome]:
        return [o for o in self.breaking if not o.killed]

    @property
    def valid(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.breaks]

    @property
    def kill_rate(self) -> float:
        return 1.0 if not self.breaking else sum(o.killed for o in self.breaking) / len(self.breaking)

    def summary(self) -> str:
        lines = [
            f"mutants {len(self.outcomes)}, breaking {len(self.breaking)}, killed "
            f"{len(self.breaking) - len(self.survivors)}, kill rate {self.kill_rate:.1%}, "
            f"legitimately valid {len(self.valid)}, false alarms {sum(o.false_alarm for o in self.outcomes)}"
        ]
        for o in self.survivors:
            m = o.mutant
            lines.append(f"  SURVIVOR {m.base} {m.op} {'.'.join(m.where)} {m.before!r} -> {m.after!r}")
        for o in self.valid:
            m = o.mutant
            lines.append(f"  valid    {m.base} {m.op} {'.'.join(m.where)}: {o.reason}")
        return "\n".join(lines)


def _a1(ed: Edition, w: Where) -> tuple[str, str]:
    t, row, col = w
    return ed.table(t).sheet, table_layout(ed, t).cell(row, col)


def judge(ed: Edition, m: Mutant, folder: Path) -> Outcome:
    oracle = [f for f in check_book(book_from_data(ed, m.data)) if f.severity == ERROR]
    path = folder / f"{m.base}-{m.op}-{'-'.join(m.where)}.xlsx"
    write_template(ed, path, m.data)
    if m.op.startswith("cleared-") and ed.table(m.where[0]).kind == "fixed":
        # the writer pre-fills some blank cells (the cover's 预算年度 and 金额单位): clear it in the file itself
        from . import corpus

        sheet, a1 = _a1(ed, m.where)
        zb = path.read_bytes()
        path.write_bytes(corpus.edit_zip(zb, {corpus.sheet_part(zb, sheet): lambda x: corpus.set_cell(x, a1, "")}))
    report = validate_file(path)
    found = {(f.sheet, f.cell) for f in report.errors}
    if not oracle:
        if m.op == "total-typed-same":
            reason = "粘贴的常数等于公式结果（仅提醒公式被覆盖）"
        elif m.before is not None and m.after is not None and _same(m.before, m.after):
            reason = "两格金额相等：交换后数据不变"
        else:
            reason = f"没有错误级别的规则约束 {'.'.join(m.where)}（如上年数、资产总额“不小于”仅为提醒）"
        return Outcome(m, False, False, reason, false_alarm=bool(report.errors) or report.unreadable)
    targets = {_a1(ed, m.where)} | {(f.sheet, f.cell) for f in oracle}
    return Outcome(m, True, bool(found & targets))


def _same(a: Any, b: Any) -> bool:
    try:
        return _dec(a) == _dec(b)
    except Exception:
        return a == b


def kill_rate(
    ed: Edition, base_list: list[tuple[str, Data]], per_op: int, seed: int = 0, folder: Path | None = None
) -> KillReport:
    """Every operator on every base (per_op cells each, chosen by a seeded generator): the outcomes."""
    report = KillReport()
    with tempfile.TemporaryDirectory(dir=folder) as d:
        for base, data in base_list:
            for m in mutants(ed, base, data, per_op, seed):
                report.outcomes.append(judge(ed, m, Path(d)))
    return report
