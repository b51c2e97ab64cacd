"""The checks over a document's claims; each finding is placed at its heading path and paragraph."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from ..edition.model import Edition
from ..findings import ERROR, NOTICE, WARNING, Finding, finding
from ..money import ZERO, quantize
from ..texts import text as tr
from . import figures as figs
from .claims import Claim, Extraction, Place, Yoy
from .document import Block, Document
from .numbers import MONEY_FACTORS, Number, mark, normalise
from .phrases import Phrases

# The rule ids this module emits (the registry, xltools/rules/registry.py, lists them).
RULES = (
    "audit.parts-sum",
    "audit.parts-exceed",
    "audit.share",
    "audit.share-wrong-base",
    "audit.share-zero-base",
    "audit.shares-total",
    "audit.yoy-delta",
    "audit.yoy-percent",
    "audit.yoy-wrong-base",
    "audit.yoy-direction",
    "audit.yoy-mixed",
    "audit.yoy-flat",
    "audit.yoy-zero-change",
    "audit.yoy-zero-base",
    "audit.placeholder",
    "audit.figure-two-values",
    "audit.unit-factor",
    "audit.unit-mixed",
    "audit.reason-no-change",
    "audit.reason-no-prior",
    "audit.reason-direction",
    "audit.workbook-mismatch",
    "audit.workbook-pair",
    "audit.record-missing",
)

HUNDRED = Decimal(100)
CENT = Decimal("0.01")


def where(b: Block) -> tuple[str, str]:
    """(sheet, cell) of a finding in a document: the heading path and the paragraph (and page)."""
    sheet = " > ".join(b.path) if b.path else ""
    cell = (
        tr("audit.place.page_para", page=b.page, paragraph=b.index)
        if b.page
        else tr("audit.place.para", paragraph=b.index)
    )
    return sheet, cell


def at(rule: str, severity: str, place: Place, num: Number | None = None, **params: object) -> Finding:
    sheet, cell = where(place.block)
    n = num if num is not None else place.number
    sentence = mark(place.sentence, n.start, n.end) if n is not None else place.sentence
    return finding(
        rule,
        severity,
        sheet,
        cell,
        sentence=sentence.strip(),
        page=place.block.page,
        paragraph=place.block.index,
        **params,
    )


def slack(*nums: Number) -> Decimal:
    """Rounding allowed by the printed precision: half the last printed digit of each coarse amount
    (an amount in 元 with two decimals is exact)."""
    return sum((n.resolution / 2 for n in nums if n.is_money and n.resolution > CENT), ZERO)


def _y(n: Number) -> Decimal:
    return n.yuan if n.is_money else n.value


def fmt_money(v: Decimal, unit: str = "元") -> str:
    q = v / MONEY_FACTORS[unit] if unit in MONEY_FACTORS else v
    return f"{quantize(q, 2):f}{unit}"


# ---- 1. parts of a total ----
def check_lists(ex: Extraction, ph: Phrases) -> Iterator[Finding]:
    partial_wholes = ph.words("lists", "partial_wholes")
    for pl in ex.lists:
        whole = pl.whole
        total = sum((_y(p.number) for p in pl.parts), ZERO)
        want = _y(whole.number)
        tol = slack(whole.number, *(p.number for p in pl.parts))
        how = " + ".join(p.number.text for p in pl.parts) + f" = {fmt_money(total, whole.number.unit)}"
        exact = pl.complete and len(pl.parts) >= 2 and not any(w in whole.label for w in partial_wholes)
        diff = total - want
        if exact and diff != ZERO:
            rule, sev = "audit.parts-sum", NOTICE if abs(diff) <= tol else ERROR
        elif not exact and diff > tol:
            rule, sev = "audit.parts-exceed", ERROR
        else:
            continue
        yield at(
            rule,
            sev,
            whole.place,
            expected=whole.number.text,
            actual=fmt_money(total, whole.number.unit),
            how=how,
            marker=pl.marker,
        )


# ---- 2. shares ----
def _pct(part: Decimal, whole: Decimal, decimals: int) -> Decimal | None:
    return None if whole == ZERO else quantize(part * HUNDRED / whole, decimals)


def check_shares(ex: Extraction, ed: Edition, values: dict[str, Decimal | None] | None) -> Iterator[Finding]:
    stated = _first_values(ex)
    for sh in ex.shares:
        whole_val, whole_name = None, ""
        if sh.base_figure and sh.base_figure in stated:
            whole_val, whole_name = stated[sh.base_figure], sh.base_text
        elif sh.whole is not None:
            whole_val, whole_name = _y(sh.whole.number), sh.whole.label or sh.whole.number.text
        if whole_val is None:
            continue
        d = sh.percent.decimals
        want = _pct(_y(sh.part.number), whole_val, d)
        if want is None:
            yield at("audit.share-zero-base", ERROR, sh.place, base=whole_name)
            continue
        unit = Decimal(1).scaleb(-d)
        got = sh.percent.value
        if got == want:
            continue
        how = f"{sh.part.number.text} ÷ {fmt_money(whole_val)} × 100 = {want}%"
        if abs(got - want) <= unit:
            yield at(
                "audit.share", NOTICE, sh.place, expected=f"{want}%", actual=sh.percent.text, how=how, base=whole_name
            )
            continue
        other = _other_base(sh.part, got, d, stated, ex)
        if other:
            yield at(
                "audit.share-wrong-base",
                ERROR,
                sh.place,
                expected=f"{want}%",
                actual=sh.percent.text,
                how=how,
                base=whole_name,
                other=other,
            )
        else:
            yield at(
                "audit.share", ERROR, sh.place, expected=f"{want}%", actual=sh.percent.text, how=how, base=whole_name
            )
    # sibling shares of one whole add up to 100
    groups: dict[int, list] = {}
    for sh in ex.shares:
        if sh.whole is not None:
            groups.setdefault(id(sh.whole), []).append(sh)
    for group in groups.values():
        pl = next((p for p in ex.lists if p.whole is group[0].whole), None)
        total = sum((s.percent.value for s in group), ZERO)
        unit = max(Decimal(1).scaleb(-s.percent.decimals) for s in group)
        tol = unit * len(group) / 2
        complete = pl is not None and pl.complete and len(group) == len(pl.parts) and len(group) >= 2
        if total > HUNDRED + tol or (complete and abs(total - HUNDRED) > tol):
            how = " + ".join(s.percent.text for s in group) + f" = {total}%"
            yield at("audit.shares-total", ERROR, group[-1].place, expected="100%", actual=f"{total}%", how=how)


def _first_values(ex: Extraction) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for c in ex.claims:
        if c.figure and not c.prior and c.figure not in out:
            out[c.figure] = _y(c.number)
    return out


def _other_base(part: Claim, got: Decimal, d: int, stated: dict[str, Decimal], ex: Extraction) -> str:
    """The stated amount on which the printed share was computed, when it is another one."""
    for c in ex.claims:
        if c is part or not c.number.is_money or c.number.value == ZERO:
            continue
        if _pct(_y(part.number), _y(c.number), d) == got:
            return (c.label or "") + c.number.text
    return ""


# ---- 3. year on year ----
def check_yoys(ex: Extraction, ed: Edition, values: dict[str, Decimal | None] | None) -> Iterator[Finding]:
    lex = figs.by_id(ed)
    for y in ex.yoys:
        if y.direction and y.percent_direction and {y.direction, y.percent_direction} == {"up", "down"}:
            yield at("audit.yoy-mixed", WARNING, y.place, y.percent, words=y.words)
            continue
        if y.direction == "flat" and y.delta is not None and y.delta.value != ZERO:
            yield at("audit.yoy-flat", WARNING, y.place, y.delta, words=y.words)
            continue
        if y.direction in ("up", "down") and (
            (y.delta is not None and y.delta.value == ZERO)
            or (y.percent is not None and y.percent.value == ZERO and y.delta is None)
        ):
            yield at("audit.yoy-zero-change", WARNING, y.place, y.delta or y.percent, words=y.words)
            continue
        cur = _y(y.current.number) if y.current is not None else None
        f = lex.get(y.figure)
        prior_wb: Decimal | None = None
        if values is not None and f is not None and f.prior:
            prior_wb = values.get(f.prior)
            if cur is None and values.get(f.id) is not None:
                cur = values[f.id] * MONEY_FACTORS.get(f.unit, Decimal(1))
            if prior_wb is not None:
                prior_wb = prior_wb * MONEY_FACTORS.get(f.unit, Decimal(1))
        if cur is None:
            continue
        r = y.delta.resolution / 2 if y.delta is not None and y.delta.resolution > CENT else ZERO
        rc = slack(y.current.number) if y.current is not None else ZERO
        if prior_wb is not None:
            diff = cur - prior_wb
            sign = "up" if diff > 0 else "down" if diff < 0 else "flat"
            if y.direction and y.direction != sign and abs(diff) > r + rc:
                yield at(
                    "audit.yoy-direction",
                    WARNING,
                    y.place,
                    y.delta,
                    words=y.words,
                    expected=_dir_word(sign),
                    how=f"{fmt_money(cur)} − {fmt_money(prior_wb)} = {fmt_money(diff)}",
                )
                continue
            if y.delta is not None and abs(y.delta.yuan - abs(diff)) > ZERO:
                sev = NOTICE if abs(y.delta.yuan - abs(diff)) <= r + rc else ERROR
                yield at(
                    "audit.yoy-delta",
                    sev,
                    y.place,
                    y.delta,
                    expected=fmt_money(abs(diff), y.delta.unit),
                    actual=y.delta.text,
                    how=f"{fmt_money(cur)} − {fmt_money(prior_wb)}",
                )
                if sev == ERROR:
                    continue
            prior = prior_wb
            x = abs(diff)
        elif y.delta is not None:
            x = y.delta.yuan
            prior = cur - x if y.direction == "up" else cur + x if y.direction == "down" else cur
        else:
            continue
        if y.percent is None:
            continue
        if prior == ZERO:
            if not y.no_base:
                yield at("audit.yoy-zero-base", ERROR, y.place, y.percent, words=y.words)
            continue
        d = y.percent.decimals
        unit = Decimal(1).scaleb(-d)
        got = y.percent.value
        lo, hi = _bounds(x, prior, r, rc, d)
        if lo - unit / 2 <= got <= hi + unit / 2:
            continue
        want = quantize(x * HUNDRED / abs(prior), d)
        how = f"{fmt_money(x)} ÷ {fmt_money(abs(prior))} × 100 = {want}%"
        if lo - unit * Decimal("1.5") <= got <= hi + unit * Decimal("1.5"):
            yield at(
                "audit.yoy-percent", NOTICE, y.place, y.percent, expected=f"{want}%", actual=y.percent.text, how=how
            )
        elif cur != ZERO and quantize(x * HUNDRED / abs(cur), d) == got:
            yield at(
                "audit.yoy-wrong-base",
                ERROR,
                y.place,
                y.percent,
                expected=f"{want}%",
                actual=y.percent.text,
                how=how,
                wrong=f"{fmt_money(x)} ÷ {fmt_money(abs(cur))}",
            )
        else:
            yield at(
                "audit.yoy-percent", ERROR, y.place, y.percent, expected=f"{want}%", actual=y.percent.text, how=how
            )


def _bounds(x: Decimal, prior: Decimal, r: Decimal, rc: Decimal, d: int) -> tuple[Decimal, Decimal]:
    p = abs(prior)
    lo_p, hi_p = p - r - rc, p + r + rc
    lo = (x - r) * HUNDRED / hi_p if hi_p > 0 else Decimal(0)
    hi = (x + r) * HUNDRED / lo_p if lo_p > 0 else Decimal(10) ** 9
    return lo, hi


def _dir_word(sign: str) -> str:
    return tr(f"audit.words.{sign}")


# ---- 4. placeholders ----
PLACEHOLDER = "audit.placeholder"  # compile lists these itself, at their cells (selfaudit.py skips them)


def check_placeholders(doc: Document, ph: Phrases) -> Iterator[Finding]:
    pats = ph.patterns("placeholders", "patterns")
    guards = ph.words("placeholders", "unit_statement")
    for b in doc.blocks:
        if b.kind != "para" and b.kind != "heading":
            continue
        text = normalise(b.text)
        seen: set[int] = set()
        for p in pats:
            for m in p.finditer(text):
                if m.start() in seen:
                    continue
                lead = text[max(0, m.start() - 14) : m.start() + 2]
                if any(g in lead for g in guards):
                    continue
                seen.add(m.start())
                sheet, cell = where(b)
                sentence = mark(b.text, m.start(), m.end())
                yield finding(
                    PLACEHOLDER,
                    ERROR,
                    sheet,
                    cell,
                    sentence=_around(sentence, m.start()),
                    found=b.text[m.start() : m.end()],
                    page=b.page,
                    paragraph=b.index,
                )


def _around(text: str, pos: int, width: int = 60) -> str:
    a = max(0, pos - width)
    return ("…" if a else "") + text[a : pos + width] + ("…" if pos + width < len(text) else "")


# ---- 5/6. one figure one value; units ----
def check_values(ex: Extraction, ed: Edition) -> Iterator[Finding]:
    lex = figs.by_id(ed)
    first: dict[str, Claim] = {}
    reported: set[tuple[str, Decimal]] = set()
    for c in ex.claims:
        if not c.figure or c.prior:
            continue
        ref = first.setdefault(c.figure, c)
        if ref is c:
            continue
        a, b = _y(ref.number), _y(c.number)
        if abs(a - b) <= slack(ref.number, c.number) or (c.figure, b) in reported:
            continue
        reported.add((c.figure, b))
        name = lex[c.figure].name if c.figure in lex else c.figure
        sheet, cell = where(ref.place.block)
        other = f"{sheet} {cell}".strip()
        if (
            a != ZERO
            and b != ZERO
            and (a / b in (Decimal(10000), Decimal("0.0001")) or c.number.value == ref.number.value)
        ):
            yield at(
                "audit.unit-factor",
                WARNING,
                c.place,
                figure=name,
                actual=c.number.text,
                other_value=ref.number.text,
                other_place=other,
            )
        else:
            yield at(
                "audit.figure-two-values",
                ERROR,
                c.place,
                figure=name,
                actual=c.number.text,
                other_value=ref.number.text,
                other_place=other,
            )


def check_units(ex: Extraction) -> Iterator[Finding]:
    for s in ex.sentences:
        money = [n for n in s.nums if n.is_money]
        units = {n.unit for n in money}
        if "元" in units and "万元" in units:
            odd = next(n for n in money if n.unit != money[0].unit)
            yield at("audit.unit-mixed", WARNING, s.place, odd, units="、".join(sorted(units)))


# ---- 7. reasons ----
def check_reasons(
    ex: Extraction, ed: Edition, ph: Phrases, values: dict[str, Decimal | None] | None
) -> Iterator[Finding]:
    lex = figs.by_id(ed)
    markers = ph.patterns("reasons", "markers")
    up, down = ph.regex("yoy", "increase"), ph.regex("yoy", "decrease")
    numeric: dict[str, Yoy] = {}
    by_sentence: dict[tuple[int, int], list[Yoy]] = {}
    for y in ex.yoys:
        by_sentence.setdefault((id(y.place.block), y.place.offset), []).append(y)
    last_in_path: dict[tuple[str, ...], Yoy] = {}
    for s in ex.sentences:
        own = by_sentence.get((id(s.place.block), s.place.offset), [])
        for y in own:
            if y.delta is not None or y.percent is not None or y.direction == "flat" or y.no_base:
                numeric[y.figure] = y
                last_in_path[s.place.block.path] = y
        qualitative = [
            y for y in own if y.delta is None and y.percent is None and y.direction in ("up", "down") and not y.no_base
        ]
        is_reason = any(m.search(s.norm) for m in markers) and (up.search(s.norm) or down.search(s.norm))
        if not qualitative and not is_reason:
            continue
        if any(y.delta is not None or y.percent is not None for y in own):
            continue  # the change is stated in the sentence itself
        if qualitative:
            fig, direction = qualitative[0].figure, qualitative[0].direction
        else:
            ref = last_in_path.get(s.place.block.path)
            if ref is None:
                continue  # a reason with no figure in sight: nothing to compare
            fig, direction = ref.figure, ""
        stated = numeric.get(fig)
        change = _known_change(stated, fig, lex, values)
        name = lex[fig].name if fig in lex else fig
        if change is None:
            yield at("audit.reason-no-prior", WARNING, s.place, figure=name)
        elif change == "flat":
            yield at("audit.reason-no-change", WARNING, s.place, figure=name)
        elif direction and change != direction:
            yield at("audit.reason-direction", WARNING, s.place, figure=name, expected=_dir_word(change))


def _known_change(
    stated: Yoy | None, fig: str, lex: dict[str, figs.Fig], values: dict[str, Decimal | None] | None
) -> str | None:
    if stated is not None:
        if stated.no_base:
            return None
        if stated.direction == "flat" or (stated.delta is not None and stated.delta.value == ZERO):
            return "flat"
        return stated.direction or None
    f = lex.get(fig)
    if values is None or f is None or not f.prior:
        return None
    cur, prior = values.get(f.id), values.get(f.prior)
    if cur is None or prior is None or prior == ZERO:
        return None
    return "up" if cur > prior else "down" if cur < prior else "flat"


# ---- 10. against the workbook ----
def check_workbook(
    ex: Extraction, ed: Edition, values: dict[str, Decimal | None], sheet_of: dict[str, str]
) -> Iterator[Finding]:
    lex = figs.by_id(ed)
    for c in ex.claims:
        if not c.figure:
            continue
        f = lex.get(c.figure)
        v = values.get(c.figure)
        if f is None or v is None:
            continue
        want = v * MONEY_FACTORS.get(f.unit, Decimal(1)) if f.is_money else v
        got = _y(c.number)
        if got == want:
            continue
        tol = slack(c.number) if c.number.is_money else Decimal(1).scaleb(-c.number.decimals) / 2
        sev = NOTICE if abs(got - want) <= tol else ERROR
        unit = c.number.unit if c.number.is_money else ""
        shown = fmt_money(want, unit) if unit else f"{want.normalize():f}{c.number.unit}"
        yield at(
            "audit.workbook-mismatch",
            sev,
            c.place,
            figure=f.name,
            expected=shown,
            actual=c.number.text,
            wb_cell=sheet_of.get(c.figure, ""),
        )


def check_pairs(
    ex: Extraction, ed: Edition, ph: Phrases, values: dict[str, Decimal | None], sheet_of: dict[str, str]
) -> Iterator[Finding]:
    """A stated figure against a different workbook figure it usually equals (机关运行经费 against 日常公用经费):
    the edition's [[pairs]] name both and the check; a difference is a warning, once per pair, at the first
    sentence stating it, since the two may differ by design (口径)."""
    lex = figs.by_id(ed)
    for pair in ph.data.get("pairs", []):
        stated, other = lex.get(str(pair["stated"])), lex.get(str(pair["workbook"]))
        if stated is None or other is None or values.get(other.id) is None:
            continue
        v = values[other.id]
        want = v * MONEY_FACTORS.get(other.unit, Decimal(1)) if other.is_money else v  # type: ignore[operator]
        for c in ex.claims:
            if c.figure != stated.id or c.prior or not c.number.is_money:
                continue
            if abs(_y(c.number) - want) <= slack(c.number):  # type: ignore[operator]
                break
            unit = c.number.unit
            yield at(
                "audit.workbook-pair",
                WARNING,
                c.place,
                check=str(pair["check"]),
                figure=stated.name,
                other=other.name,
                actual=c.number.text,
                expected=fmt_money(want, unit),  # type: ignore[arg-type]
                wb_cell=sheet_of.get(other.id, ""),
            )
            break


def check_records(ex: Extraction, ed: Edition, ph: Phrases, book: object) -> Iterator[Finding]:
    """Parts listed under a figure that are records of a list table: each equals the record of its name."""
    spec = ph.data.get("records", {})
    lex = figs.by_id(ed)
    for pl in ex.lists:
        f = lex.get(pl.whole.figure)
        rec = spec.get(f.name) if f is not None else None
        if not rec or not ed.has_table(str(rec["table"])):
            continue
        table = str(rec["table"])
        t = ed.table(table)
        unit = ed.money_unit if t.unit == "money" else t.unit
        by_name: dict[str, Decimal] = {}
        for r in book.rows(table):  # type: ignore[attr-defined]
            by_name.setdefault(normalise(book.code_name(table, r)), book.amount(table, r, str(rec["amount"])) or ZERO)  # type: ignore[arg-type, attr-defined]
        for c in pl.parts:
            if c.figure:
                continue
            want = by_name.get(normalise(c.label))
            if want is None:
                yield at("audit.record-missing", WARNING, c.place, label=c.label, table_title=t.title)
                continue
            want_y = want * MONEY_FACTORS.get(unit, Decimal(1))
            if _y(c.number) != want_y:
                sev = NOTICE if abs(_y(c.number) - want_y) <= slack(c.number) else ERROR
                yield at(
                    "audit.workbook-mismatch",
                    sev,
                    c.place,
                    figure=c.label,
                    expected=fmt_money(want_y, c.number.unit),
                    actual=c.number.text,
                    wb_cell=t.sheet,
                )
