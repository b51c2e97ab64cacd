"""For every rule: a workbook where it fires (at the expected sheet and cell) and the clean example,
where it does not. Mutations are applied to the bundled example's plain data."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from xltools.book import Pasted
from xltools.edition.layout import table_layout
from xltools.rules.registry import declared
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


E, W = "error", "warning"
# 表6: r0 is 类 301 (工资福利支出) over r1 (30101 …); a change in r1 makes the 类 row differ from its 款.
T06_CLASS = [("table.hierarchy", E, "t06", "r0", "total"), ("table.hierarchy", E, "t06", "r0", "personnel")]
# 表3 r0 is 类 201, the whole expenditure: a wrong amount there reaches 表1's balance, 表2 = 表3 and 表5 ⊆ 表3.
T03_CLASS_WRONG = [
    ("table.sum-of-parts", E, "t01", "inc_total", "inc"),
    ("cross.totals-agree", E, "t02", "total", "total"),
    ("table.hierarchy", E, "t03", "r0", "total"),
]

# rule id, mutation, the exact findings (rule, severity, table, row, col) of the mutated example. Every one is
# the mutation's own or a consequence named in the comment; none is merely "among" the findings.
CASES: list[tuple[str, Callable[[Data], None], list[tuple[str, str, str, str, str]]]] = [
    (
        "cell.text-number",
        _set("t02", 0, "general", "４７７，８８４"),
        [("cell.text-number", W, "t02", "r0", "general")],
    ),
    # an amount that cannot be read counts as blank: the 类 row above no longer adds up
    (
        "cell.not-a-number",
        _set("t06", 1, "personnel", "N/A"),
        [("cell.not-a-number", E, "t06", "r1", "personnel")] + T06_CLASS,
    ),
    (
        "cell.unit-in-cell",
        _set("t06", 1, "personnel", "29.6884万"),
        [("cell.unit-in-cell", E, "t06", "r1", "personnel")] + T06_CLASS,
    ),
    # 296884.001 prints as 296884.00: the 类 row agrees at the printed precision, the warning alone remains
    (
        "cell.excess-precision",
        _set("t06", 1, "personnel", Decimal("296884.001")),
        [("cell.excess-precision", W, "t06", "r1", "personnel")],
    ),
    (
        "cell.out-of-range",
        _set("t06", 1, "personnel", 1e300),
        [("cell.out-of-range", E, "t06", "r1", "personnel")] + T06_CLASS,
    ),
    # 项目支出经济分类 r5 is under 类 r0: the negative amount breaks the 类's sum
    (
        "cell.negative",
        _set("pe", 5, "amount", -30000),
        [("cell.negative", E, "pe", "r5", "amount"), ("table.hierarchy", E, "pe", "r0", "amount")],
    ),
    ("cell.required", _fixed("cover", "name", "value", None), [("cell.required", E, "cover", "name", "value")]),
    (
        "cell.bad-pattern",
        _fixed("cover", "code", "value", "28800A"),
        [("cell.bad-pattern", E, "cover", "code", "value")],
    ),
    ("cell.not-in-list", _fixed("cover", "unit", "value", "美元"), [("cell.not-in-list", E, "cover", "unit", "value")]),
    ("cell.wrong-year", _fixed("cover", "year", "value", 2021), [("cell.wrong-year", E, "cover", "year", "value")]),
    ("cell.wrong-unit", _fixed("cover", "unit", "value", "万元"), [("cell.wrong-unit", E, "cover", "unit", "value")]),
    # 2013698 fits the pattern of a 项 but is not listed (the list is not declared complete: a warning); it is
    # not in 表3 either, so 表5's row exceeds 表3's (zero) amounts for it
    (
        "cell.code-unlisted",
        _set("t05", 3, "code", "2013698"),
        [
            ("cell.code-unlisted", W, "t05", "r3", "code"),
            ("cross.not-exceed", E, "t05", "r3", "total"),
            ("cross.not-exceed", E, "t05", "r3", "project"),
        ],
    ),
    # a malformed code is no 项 at all: its 款 (r1) loses a child
    (
        "cell.code-format",
        _set("t05", 3, "code", "2013-602"),
        [
            ("cell.code-format", E, "t05", "r3", "code"),
            ("table.hierarchy", E, "t05", "r1", "total"),
            ("table.hierarchy", E, "t05", "r1", "project"),
        ],
    ),
    (
        "cell.code-name-mismatch",
        _set("t03", 3, "name", "错误名称"),
        [("cell.code-name-mismatch", W, "t03", "r3", "name")],
    ),
    (
        "cell.stale-name",
        lambda d: d.__setitem__("t08", [{"code": "210", "name": "医疗卫生与计划生育支出"}]),
        [("cell.stale-name", W, "t08", "r0", "name")],
    ),
    # the copied project doubles the projects' budget against 表3's 项目支出
    (
        "cell.duplicate",
        _dup_project,
        [("cell.duplicate", E, "proj", "r1", "code"), ("cross.totals-agree", W, "proj", "total", "budget")],
    ),
    (
        "cell.unknown-reference",
        _set("ind", 0, "project", "288-XXXX"),
        [("cell.unknown-reference", E, "ind", "r0", "project")],
    ),
    (
        "cell.formula-overwritten",
        _set("t03", 2, "basic", Pasted(327884)),
        [("cell.formula-overwritten", W, "t03", "r2", "basic")],
    ),
    (
        "cell.control-chars",
        _fixed("text", "duties", "text", "负责\x07网络安全"),
        [("cell.control-chars", W, "text", "duties", "text")],
    ),
    (
        "cell.too-long",
        _fixed("text", "other_matters", "text", "长" * 10001),
        [("cell.too-long", W, "text", "other_matters", "text")],
    ),
    # a wrong constant over 表3 类 201's total: its row, its 类 sum and every table compared with 表3
    (
        "table.sum-of-parts",
        _set("t03", 0, "total", Pasted(477000)),
        [("table.sum-of-parts", E, "t03", "r0", "total"), ("cross.not-exceed", E, "t05", "r0", "total")]
        + T03_CLASS_WRONG,
    ),
    (
        "table.not-exceed",
        _fixed("assets", "housing", "quantity", 0),
        [("table.not-exceed", E, "assets", "office", "quantity")],
    ),
    # see _column_total_book: 表3's 合计 typed over with 1, which 表2's total no longer equals
    (
        "table.column-total",
        lambda d: None,
        [("table.column-total", E, "t03", "total", "total"), ("cross.totals-agree", E, "t02", "total", "total")],
    ),
    # one 分 more on a 项 of 类 201: the 类's three amount columns that include it, and 表3's reach
    (
        "table.hierarchy",
        _set("t03", 0, "basic_personnel", 296885),
        [("table.hierarchy", E, "t03", "r0", "basic"), ("table.hierarchy", E, "t03", "r0", "basic_personnel")]
        + T03_CLASS_WRONG,
    ),
    # without 款 20136 both of its 项 are orphans (they move up to r1 and r2)
    (
        "table.code-orphan",
        _drop_row("t05", 1),
        [("table.code-orphan", E, "t05", "r1", "code"), ("table.code-orphan", E, "t05", "r2", "code")],
    ),
    ("table.duplicate-code", _add_row("t06", {"code": "30299"}), [("table.duplicate-code", E, "t06", "r4", "code")]),
    ("table.plan-monotone", _set("proj", 0, "plan_h1", 20), [("table.plan-monotone", E, "proj", "r0", "plan_h1")]),
    ("table.plan-final", _set("proj", 0, "plan_dec", 90), [("table.plan-final", E, "proj", "r0", "plan_dec")]),
    # 120 % is out of range and is not the 100 % a year ends on
    (
        "table.plan-range",
        _set("proj", 0, "plan_dec", 120),
        [("table.plan-range", E, "proj", "r0", "plan_dec"), ("table.plan-final", E, "proj", "r0", "plan_dec")],
    ),
    (
        "table.project-no-indicators",
        lambda d: d.__setitem__("ind", []),
        [("table.project-no-indicators", W, "proj", "r0", "code")],
    ),
    # 表6's 公用经费 moved between two 302 款 (sum kept) to 30000 each: 表5's 基本支出 and 公用经费 no longer agree
    (
        "cross.totals-agree",
        lambda d: (_set("t06", 2, "public", 30000)(d), _set("t06", 3, "public", 30000)(d)),
        [("cross.totals-agree", E, "t05", "total", "basic"), ("cross.totals-agree", E, "t05", "total", "public")],
    ),
    ("cross.not-exceed", _x10, [("cross.not-exceed", E, "t06", "r4", "total")]),
    # last year's 收入总计 typed in 万元 (47.79) in a 元 workbook
    (
        "cross.unit-magnitude",
        _fixed("prior", "inc_total", "amount", Decimal("47.79")),
        [("cross.unit-magnitude", W, "t01", "inc_total", "inc")],
    ),
]


def _places(ed, report) -> list[tuple[str, str, str, str]]:
    # The diagnosis (notices naming the cell to change, tests/diagnose/) is left out: these lists are the rules'.
    return sorted((f.rule, f.severity, f.sheet, f.cell) for f in report.findings if not f.rule.startswith("diagnosis."))


@pytest.mark.parametrize("rule,mutate,expected", CASES, ids=[c[0] for c in CASES])
def test_rule_fires_exactly_where_expected(rule, mutate, expected, ed, example, write) -> None:
    if rule == "table.column-total":
        path = _column_total_book(ed, example, write)
    else:
        mutate(example)
        path = write(example)
    report = validate_file(path)
    want = sorted((r, sev, *at(ed, t, row, col)) for r, sev, t, row, col in expected)
    assert _places(ed, report) == want, [(f.rule, f.sheet, f.cell, f.message) for f in report.findings]
    assert rule in {f.rule for f in report.findings}
    for f in report.findings:  # every placeholder filled
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


def test_clean_example_fires_nothing(ed) -> None:
    # 机关运行经费 8800.00 within 公用经费 31000.00: no warning since opex-t06.within-public replaced the equality;
    # the corrected 三公 reason states no direction (text.reason-contradicts has no reason to fire)
    report = validate_file(EXAMPLE)
    assert _places(ed, report) == []


def test_every_identity_kind_is_exercised_by_some_case() -> None:
    """The cases above cover each rule family the identity engine emits."""
    emitted = {c[0] for c in CASES}
    assert {"table.sum-of-parts", "table.not-exceed", "cross.totals-agree", "cross.not-exceed"} <= emitted


# ---- the registry, walked both ways ----

# A rule may be emitted outside its declaring module only here, each with its reason.
SHARED = {
    ("read.corrupt", "xltools.reader.read"): "a sheet part that cannot be parsed; open.py declares it for the package",
    (
        "audit.read-corrupt",
        "xltools.audit.pdftext",
    ): "the PDF reader's own refusals; readers.py declares them for every format",
    ("audit.read-encrypted", "xltools.audit.pdftext"): "as above",
    ("audit.read-too-large", "xltools.audit.pdftext"): "as above",
    ("audit.read-unsupported", "xltools.audit.pdftext"): "as above",
}
_FILE_SUFFIXES = (".toml", ".md", ".j2", ".py", ".csv", ".json", ".xlsx", ".xlsm", ".docx", ".html", ".txt")


def _rule_literals(path: Path, families: set[str]) -> set[str]:
    """Strings in a module shaped like a rule id of a known family, outside docstrings and the RULES
    declaration itself (an emitter names its rule where it builds the finding)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "RULES" for t in node.targets):
            skip.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.Call) and node.args:  # a key of the text catalogue (texts.text("merge.x")) is no rule
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if name in ("text", "raw", "text_list"):
                skip.add(id(node.args[0]))
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            m = _RULE_ID.match(node.value)
            if m and m.group(1) in families and not node.value.endswith(_FILE_SUFFIXES):
                out.add(node.value)
    return out


_RULE_ID = re.compile(r"^([a-z]+)\.[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def test_every_declared_rule_has_its_words_in_the_catalogue() -> None:
    entries = catalogue()
    for rule in declared():
        entry = entries.get(rule)
        assert entry is not None, f"{rule} is declared but has no entry in xltools/texts/findings.toml"
        assert not entry.get("retired"), f"{rule} is retired in the catalogue but still declared"
        for part in ("title", "description", "why", "message", "hint"):
            assert isinstance(entry.get(part), str), f"{rule}: no {part}"
        assert entry["title"] and entry["description"] and entry["why"], rule


def test_every_catalogue_entry_is_declared_or_marked_retired() -> None:
    rules = declared()
    for rule, entry in catalogue().items():
        if entry.get("retired"):
            assert rule not in rules, rule
        else:
            assert rule in rules, f"{rule} has a catalogue entry but no module declares it (or mark it retired)"


def test_each_rule_is_emitted_by_its_declaring_module_only() -> None:
    rules = declared()
    families = {r.split(".")[0] for r in catalogue()}
    users: dict[str, set[str]] = {}
    for py in sorted((ROOT / "xltools").rglob("*.py")):
        for rule in _rule_literals(py, families):
            users.setdefault(rule, set()).add(_module_name(py))
    undeclared = {r: sorted(m) for r, m in users.items() if r not in rules}
    assert not undeclared, f"emitted but declared by no module's RULES: {undeclared}"
    for rule, module in rules.items():
        others = users.get(rule, set()) - {module} - {m for (r, m) in SHARED if r == rule}
        assert not others, f"{rule} is declared by {module} but also emitted by {sorted(others)}"
        assert module in users.get(rule, set()), f"{rule} is declared by {module}, which never emits it"


def test_the_registry_declares_the_modules_check_book_runs() -> None:
    from xltools.rules import registry

    for module in registry.CHECKS:
        assert callable(module.check) and module.RULES, module.__name__
    assert len(set(registry.CHECKS)) == len(registry.CHECKS)


def test_rules_command_prints_the_registry() -> None:
    from click.testing import CliRunner

    from xltools.cli import cli

    out = CliRunner().invoke(cli, ["rules"]).output.splitlines()
    assert [line.split("\t")[0] for line in out] == list(declared())
    assert out[0] == f"read.not-found\t{catalogue()['read.not-found']['title']}"
    long = CliRunner().invoke(cli, ["rules", "--long"]).output
    assert catalogue()["cross.unit-magnitude"]["why"] in long and "xltools.rules.magnitude" in long
