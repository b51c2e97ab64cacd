"""For every rule: a workbook where it fires (at the expected sheet and cell) and the clean example,
where it does not. Mutations are applied to the bundled example's plain data."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xltools.book import Pasted
from xltools.edition.layout import table_layout
from xltools.texts import catalogue
from xltools.validate import validate_file

from .conftest import EXAMPLE, ROOT

Data = dict[str, Any]


def at(ed, table: str, row: str, col: str) -> tuple[str, str]:
    return ed.table(table).sheet, table_layout(ed, table).cell(row, col)


def _set(table: str, index: int, col: str, value: Any) -> Callable[[Data], None]:
    def apply(d: Data) -> None:
        d[table][index][col] = value

    return apply


def _fixed(table: str, row: str, col: str, value: Any) -> Callable[[Data], None]:
    def apply(d: Data) -> None:
        d.setdefault(table, {}).setdefault(row, {})[col] = value

    return apply


def _drop_row(table: str, index: int) -> Callable[[Data], None]:
    return lambda d: d[table].pop(index)


def _add_row(table: str, rec: dict[str, Any]) -> Callable[[Data], None]:
    return lambda d: d[table].append(rec)


def _x10(d: Data) -> None:
    d["t06"][3]["public"] = 30900
    d["t06"].append({"code": "30217", "public": 100})


def _dup_project(d: Data) -> None:
    d["proj"].append(dict(d["proj"][0]))


# rule id, severity, mutation, (table, row, col) where it must fire
CASES: list[tuple[str, str, Callable[[Data], None], tuple[str, str, str]]] = [
    ("cell.text-number", "warning", _set("t02", 0, "general", "４７７，８８４"), ("t02", "r0", "general")),
    ("cell.not-a-number", "error", _set("t06", 1, "personnel", "N/A"), ("t06", "r1", "personnel")),
    ("cell.unit-in-cell", "error", _set("t06", 1, "personnel", "29.6884万"), ("t06", "r1", "personnel")),
    (
        "cell.excess-precision",
        "warning",
        _set("t06", 1, "personnel", Decimal("296884.001")),
        ("t06", "r1", "personnel"),
    ),
    ("cell.out-of-range", "error", _set("t06", 1, "personnel", 1e300), ("t06", "r1", "personnel")),
    ("cell.negative", "error", _set("pe", 5, "amount", -30000), ("pe", "r5", "amount")),
    ("cell.required", "error", _fixed("cover", "name", "value", None), ("cover", "name", "value")),
    ("cell.bad-pattern", "error", _fixed("cover", "code", "value", "28800A"), ("cover", "code", "value")),
    ("cell.not-in-list", "error", _fixed("cover", "unit", "value", "美元"), ("cover", "unit", "value")),
    ("cell.wrong-year", "error", _fixed("cover", "year", "value", 2021), ("cover", "year", "value")),
    ("cell.wrong-unit", "error", _fixed("cover", "unit", "value", "万元"), ("cover", "unit", "value")),
    ("cell.code-unlisted", "warning", _set("t05", 3, "code", "2013698"), ("t05", "r3", "code")),
    ("cell.code-format", "error", _set("t05", 3, "code", "2013-602"), ("t05", "r3", "code")),
    ("cell.code-name-mismatch", "warning", _set("t03", 3, "name", "错误名称"), ("t03", "r3", "name")),
    (
        "cell.stale-name",
        "warning",
        lambda d: d.__setitem__("t08", [{"code": "210", "name": "医疗卫生与计划生育支出"}]),
        ("t08", "r0", "name"),
    ),
    ("cell.duplicate", "error", _dup_project, ("proj", "r1", "code")),
    ("cell.unknown-reference", "error", _set("ind", 0, "project", "288-XXXX"), ("ind", "r0", "project")),
    ("cell.formula-overwritten", "warning", _set("t03", 2, "basic", Pasted(327884)), ("t03", "r2", "basic")),
    ("cell.control-chars", "warning", _fixed("text", "duties", "text", "负责\x07网络安全"), ("text", "duties", "text")),
    (
        "cell.too-long",
        "warning",
        _fixed("text", "other_matters", "text", "长" * 10001),
        ("text", "other_matters", "text"),
    ),
    ("table.sum-of-parts", "error", _set("t03", 0, "total", Pasted(477000)), ("t03", "r0", "total")),
    ("table.not-exceed", "error", _fixed("assets", "housing", "quantity", 0), ("assets", "office", "quantity")),
    ("table.column-total", "error", lambda d: None, ("t03", "total", "total")),  # see _column_total_book
    ("table.hierarchy", "error", _set("t03", 0, "basic_personnel", 296885), ("t03", "r0", "basic_personnel")),
    ("table.code-orphan", "error", _drop_row("t05", 1), ("t05", "r1", "code")),
    ("table.duplicate-code", "error", _add_row("t06", {"code": "30299"}), ("t06", "r4", "code")),
    ("table.plan-monotone", "error", _set("proj", 0, "plan_h1", 20), ("proj", "r0", "plan_h1")),
    ("table.plan-final", "error", _set("proj", 0, "plan_dec", 90), ("proj", "r0", "plan_dec")),
    ("table.plan-range", "error", _set("proj", 0, "plan_dec", 120), ("proj", "r0", "plan_dec")),
    ("table.project-no-indicators", "warning", lambda d: d.__setitem__("ind", []), ("proj", "r0", "code")),
    (
        "cross.totals-agree",
        "error",
        lambda d: (_set("t06", 2, "public", 30000)(d), _set("t06", 3, "public", 30000)(d)),
        ("t05", "total", "public"),
    ),
    ("cross.not-exceed", "error", _x10, ("t06", "r4", "total")),
    (
        "cross.unit-magnitude",
        "warning",
        _fixed("prior", "inc_total", "amount", Decimal("47.7884")),
        ("t01", "inc_total", "inc"),
    ),
]


@pytest.mark.parametrize("rule,severity,mutate,where", CASES, ids=[c[0] for c in CASES])
def test_rule_fires_where_expected(rule, severity, mutate, where, ed, example, write) -> None:
    if rule == "table.column-total":
        path = _column_total_book(ed, example, write)
    else:
        mutate(example)
        path = write(example)
    report = validate_file(path)
    sheet, cell = at(ed, *where)
    hits = [f for f in report.findings if f.rule == rule]
    assert (rule, severity, sheet, cell) in [(f.rule, f.severity, f.sheet, f.cell) for f in hits], [
        (f.rule, f.sheet, f.cell, f.message) for f in report.findings
    ]
    for f in hits:  # every placeholder filled
        assert "{" not in f.message and "{" not in f.hint, f.message


def _column_total_book(ed, example: Data, write) -> Path:
    """A 合计 row typed over with a wrong constant (the list table's total row is not in plain data)."""
    import zipfile

    path = write(example)
    t = ed.table("t03")
    a1 = table_layout(ed, "t03").cell("total", "total")
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i.filename) for i in zf.infolist()}
    sheet_part = f"xl/worksheets/sheet{[x.sheet for x in ed.tables].index(t.sheet) + 2}.xml"
    xml = parts[sheet_part].decode()
    xml, n = re.subn(rf'<c r="{a1}"([^>]*)><f>[^<]*</f><v>[^<]*</v></c>', rf'<c r="{a1}"\1><v>1</v></c>', xml)
    assert n == 1
    parts[sheet_part] = xml.encode()
    out = path.with_name("coltotal.xlsx")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return out


def test_clean_example_fires_none_of_them() -> None:
    fired = {f.rule for f in validate_file(EXAMPLE).findings}
    assert fired == {"cross.totals-agree"}  # the documented 机关运行经费 warning only
    assert not fired & ({c[0] for c in CASES} - {"cross.totals-agree"})


def test_every_emitted_rule_has_a_catalogue_entry() -> None:
    ids: set[str] = set()
    for py in (ROOT / "xltools").rglob("*.py"):
        ids |= set(
            re.findall(r'(?<!text\()"((?:read|cell|table|cross|merge|narrative)\.[a-z][a-z-]+)"', py.read_text())
        )
    ids = {i for i in ids if i.rsplit(".", 1)[1] not in ("toml", "md", "j2", "py", "csv", "json", "xlsx", "docx")}
    missing = ids - set(catalogue())
    assert not missing, missing
    for rule, entry in catalogue().items():
        assert entry.get("title") and "message" in entry and "hint" in entry, rule


def test_every_identity_kind_is_exercised_by_some_case() -> None:
    """The cases above cover each rule family the identity engine emits."""
    emitted = {c[0] for c in CASES}
    assert {"table.sum-of-parts", "table.not-exceed", "cross.totals-agree", "cross.not-exceed"} <= emitted
