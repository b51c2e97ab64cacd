"""No edition's table, row or column id appears in xltools/: every stage names figures, text cells and
record sets (figures.toml), or walks the edition's declarations. A new edition needs no code."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from xltools.edition import load_edition

from .conftest import MINI

PACKAGE = Path(__file__).resolve().parents[2] / "xltools"

# Names that are conventions of every edition, not one edition's ids: the 合计 row of a list table
# ("total" in the identity language), and the keys of the code / name / unit columns of coded list
# tables (the identity language's T[CODE].COL and the reader rely on them).
CONVENTIONS = {"total", "code", "name", "unit"}
# Table ids that are also ordinary words of the code (a JSON key, a column type): a bare literal is
# not a reference; a dotted reference or an accessor argument still is.
COMMON_WORDS = {"text", "summary", "items", "prior"}
# Files allowed to name one edition family's ids, and why.
ALLOWED = {
    # The seeded generator of valid Hebei departments (tests, mutation suite, benchmarks): it builds every
    # amount bottom-up by the Hebei family's accounting (功能分类 项 × fund source, summed into 款, 类, T1,
    # T4, T5 …), which no declaration states. It is test tooling, not a stage: no command imports it.
    "synth.py",
}
# Methods of Edition, Table, Book and layouts whose string arguments are table, row or column ids.
ACCESSORS = {"table", "has_table", "row", "has_row", "column", "has_column", "amount", "computed", "cell", "text"}


def _ids() -> tuple[set[str], set[str]]:
    tables: set[str] = set()
    parts: set[str] = set()
    for ed in (load_edition("hebei-county-2020"), load_edition("hebei-county-yth"), load_edition(str(MINI))):
        for t in ed.tables:
            tables.add(t.id)
            parts |= {r.id for r in t.rows} | {c.key for c in t.columns}
    return tables, (parts | tables) - CONVENTIONS


def _violations(path: Path, tables: set[str], ids: set[str]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = "|".join(sorted(map(re.escape, tables)))
    ref = re.compile(rf"({names})(\[[^\]]+\])?(\.[\w*]+)+")
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            v = node.value
            m = ref.fullmatch(v)
            # a reference T.ROW.COL / T[CODE].COL (a file name such as summary.toml has one dot)
            if (v in tables and v not in COMMON_WORDS) or (m and (m.group(1) not in COMMON_WORDS or v.count(".") > 1)):
                out.append(f"{path.name}:{node.lineno}: {v!r}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ACCESSORS:
            if len(node.args) < 2 and node.func.attr in ("text", "cell"):
                continue  # texts.text("domain.key"), a one-argument lookup of the catalogue
            for a in node.args:
                if isinstance(a, ast.Constant) and isinstance(a.value, str) and a.value in ids:
                    out.append(f"{path.name}:{a.lineno}: .{node.func.attr}({a.value!r})")
    return out


def test_no_edition_ids_in_the_package() -> None:
    tables, ids = _ids()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).as_posix() not in ALLOWED:
            found += _violations(path, tables, ids)
    assert found == []
    # the package's own data names no table either (merge.toml's figure lists moved into the editions)
    for path in sorted(PACKAGE.rglob("*.toml")):
        text = path.read_text(encoding="utf-8")
        names = "|".join(sorted(tables - COMMON_WORDS))
        assert not re.search(rf"[\"']({names})\.\w", text), path


def test_the_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    tables, ids = _ids()
    bad = tmp_path / "bad.py"
    bad.write_text(
        'x = book.amount("t01", "inc_total", "inc")\n'
        'y = ed.table("prior")\n'
        'z = "t03.total.basic"\n'
        'w = texts.text("merge.col_unit")\n'
        'v = lay.cell("total", "code")\n'
        'u = "summary.toml"\n'
        't = "text.duties.text"\n',
        encoding="utf-8",
    )
    assert sorted(_violations(bad, tables, ids)) == [
        "bad.py:1: 't01'",
        "bad.py:1: .amount('inc')",
        "bad.py:1: .amount('inc_total')",
        "bad.py:1: .amount('t01')",
        "bad.py:2: .table('prior')",
        "bad.py:3: 't03.total.basic'",
        "bad.py:7: 'text.duties.text'",
    ]
