"""The named figures the audit binds sentences to: names and synonyms from the edition (figures.toml),
values from a workbook when one is given."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..book import Book
from ..edition import expr as ex
from ..edition.model import Edition
from ..errors import EditionError
from ..tomlfile import tomllib

PRIOR_GROUP = "上年数"


@dataclass(frozen=True)
class Fig:
    id: str
    name: str
    synonyms: tuple[str, ...]
    group: str
    unit: str  # 元 / 万元 / 平方米 / … ("money" resolved to the edition's money unit)
    prior: str
    expr: str

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)

    @property
    def is_money(self) -> bool:
        return self.unit in ("元", "万元", "亿元")


def _from_edition(ed: Edition) -> list[dict[str, Any]] | None:
    figures = getattr(ed, "figures", None)
    if not figures:
        return None
    out = []
    for f in figures:
        side = getattr(f, "side", None)
        text = getattr(f, "expr", "") or _side_text(side)
        out.append(
            {
                "id": f.id,
                "name": f.name,
                "synonyms": list(f.synonyms),
                "group": getattr(f, "group", ""),
                "unit": getattr(f, "unit", "money"),
                "prior": getattr(f, "prior", "") or "",
                "expr": text,
            }
        )
    return out


def _side_text(side: Any) -> str:
    if side is None:
        return ""
    parts = []
    for sign, term in side.terms:
        t = format(term.value, "f") if isinstance(term, ex.Const) else _ref_text(term)
        parts.append(("- " if sign < 0 else "+ ") + t)
    return " ".join(parts).lstrip("+ ")


def _ref_text(r: ex.Ref) -> str:
    if r.kind == "code":
        return f"{r.table}[{r.row}].{r.col}"
    if r.kind == "range":
        return f"{r.table}.{r.row}..{r.last}.{r.col}"
    if r.kind == "prefix":
        return f"{r.table}.{r.row}*.{r.col}"
    return f"{r.table}.{r.row}.{r.col}"


def _from_files(ed: Edition) -> list[dict[str, Any]]:
    for name in ("figures.toml", "audit/figures-draft.toml"):
        p = ed.path / name
        if p.is_file():
            try:
                with p.open("rb") as fh:
                    return list(tomllib.load(fh).get("figure", []))
            except (OSError, tomllib.TOMLDecodeError) as e:
                raise EditionError(f"{p}: {e}") from None
    return []


@lru_cache(maxsize=32)
def lexicon(ed: Edition) -> tuple[Fig, ...]:
    raw = _from_edition(ed)
    if raw is None:
        raw = _from_files(ed)
    out = []
    for d in raw:
        unit = str(d.get("unit", "money"))
        out.append(
            Fig(
                str(d["id"]),
                str(d["name"]),
                tuple(str(s) for s in d.get("synonyms", ())),
                str(d.get("group", "")),
                ed.money_unit if unit == "money" else unit,
                str(d.get("prior", "") or ""),
                str(d.get("expr", "")),
            )
        )
    return tuple(out)


def by_id(ed: Edition) -> dict[str, Fig]:
    return {f.id: f for f in lexicon(ed)}


def _norm_name(s: str) -> str:
    return s.replace("(", "（").replace(")", "）").replace('"', "”")


@lru_cache(maxsize=32)
def matcher(ed: Edition) -> tuple[re.Pattern[str], dict[str, tuple[str, ...]]]:
    """One alternation of every name (longest first) and name -> figure ids (one name may name a value and
    a quantity: 房屋 is 房屋价值 in 万元 and 房屋面积 in 平方米; the number's unit chooses). Prior-year
    figures are reached through the prior-year wording, never by name."""
    names: dict[str, list[str]] = {}
    for f in lexicon(ed):
        if f.group == PRIOR_GROUP:
            continue
        for n in f.names:
            for variant in {
                n,
                _norm_name(n),
                n.replace("（", "(").replace("）", ")"),
                n.replace("“", '"').replace("”", '"'),
            }:
                ids = names.setdefault(variant, [])
                if f.id not in ids:
                    ids.append(f.id)
    # The top-level names of the code lists (一般公共服务支出, 商品和服务支出, …) are matched as names of no
    # figure, so that a figure's shorter name inside them (政府采购's 服务) does not bind their amounts.
    for cl in ed.codes.values():
        for e in cl.entries.values():
            if cl.level_of(e.code) == 1 and e.name:
                names.setdefault(e.name, [])
    alt = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return (re.compile(alt) if alt else re.compile(r"(?!x)x")), {k: tuple(v) for k, v in names.items()}


def values(book: Book) -> dict[str, Decimal | None]:
    """Every figure's value in the workbook (None: not provided, such as a blank 上年数)."""
    native = getattr(book, "figures", None)
    if callable(native):
        try:
            return dict(native())
        except Exception:  # noqa: BLE001 - fall back to evaluating the expressions ourselves
            pass
    out: dict[str, Decimal | None] = {}
    for f in lexicon(book.edition):
        if not f.expr:
            continue
        try:
            side = ex.parse_side([t for t in ex._TOKEN.findall(f.expr) if t], None)
        except ex.ExprError:
            continue
        refs = side.refs()
        if refs and all(book.is_blank(r) for r in refs):
            out[f.id] = None
            continue
        try:
            out[f.id] = book.eval_side(side)
        except KeyError:
            out[f.id] = None
    return out


def single_cell(f: Fig) -> tuple[str, str, str] | None:
    """(table, row, col) when the figure is one cell of a fixed table (document tables are compared by it)."""
    m = re.fullmatch(r"([A-Za-z_]\w*)\.([A-Za-z_]\w*)\.([A-Za-z_]\w*)", f.expr.strip())
    return (m.group(1), m.group(2), m.group(3)) if m else None
