"""A third edition, data only (tests/editions/data/zz-mini: a cover, two tables, identities, a code list
and a migration map): it is listed, templated, read back, validated and migrated into without code."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from xltools.cli import cli
from xltools.edition import load_edition
from xltools.edition.layout import table_layout
from xltools.migrate import migrate_file
from xltools.reader.read import read_workbook
from xltools.template.write import write_template
from xltools.validate import validate_file

from ..conftest import EXAMPLE

DATA = {
    "cover": {
        "name": {"value": "测试局"},
        "code": {"value": "901001"},
        "year": {"value": 2022},
        "unit": {"value": "元"},
    },
    "summary": {"spending": {"amount": Decimal("300.50")}, "prior_income": {"amount": Decimal("250")}},
    "items": [
        {"code": "1", "amount": Decimal("200.25")},
        {"code": "101", "amount": Decimal("200.25"), "note": "在职人员"},
        {"code": "2", "amount": Decimal("100.25")},
        {"code": "201", "amount": Decimal("100.25")},
    ],
}


def test_listed_and_loaded_by_id_or_path(mini_path: Path) -> None:
    res = CliRunner().invoke(cli, ["editions"])
    assert res.exit_code == 0 and "zz-mini\t版本 1.0\t年度 2021、2022\t金额单位 元" in res.output
    by_path = load_edition(str(mini_path), 2022)
    assert by_path.id == "zz-mini" and [t.id for t in by_path.tables] == ["cover", "summary", "items"]
    # 2022 has no code list of its own: the 2021 list is used
    assert list(by_path.codes["kind"].entries) == ["1", "101", "102", "2", "201"]


def test_template_read_back_and_validate(mini_path: Path, tmp_path: Path) -> None:
    ed = load_edition("zz-mini", 2022)
    blank = tmp_path / "blank.xlsx"
    res = CliRunner().invoke(cli, ["template", "-e", "zz-mini", "-y", "2022", "-o", str(blank)])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(blank)["总表"]
    assert [ws.cell(r, 1).value for r in (3, 4, 5, 6, 7)] == ["序号", "栏次", 1, 2, 3]
    assert ws["C5"].value == "='明细'!D5"  # the identity became the template's formula

    path = tmp_path / "filled.xlsx"
    write_template(ed, path, DATA)
    book = read_workbook(path).book
    assert book.edition.id == "zz-mini" and book.edition.year == 2022
    assert book.amount("summary", "income", "amount") == Decimal("300.50")  # recomputed, not cached
    assert book.cell("items", "r1", "note").value == "在职人员"
    assert book.cell("items", "r1", "note").a1 == table_layout(ed, "items").cell("r1", "note") == "E7"
    report = validate_file(path)
    assert report.findings == [] and (report.edition, report.year) == ("zz-mini", 2022)


def test_its_identities_and_rules_apply(mini_path: Path, tmp_path: Path) -> None:
    ed = load_edition("zz-mini", 2022)
    data = {
        **DATA,
        "summary": {"spending": {"amount": Decimal("400")}},
        "items": [*DATA["items"][:3], {"code": "202", "amount": Decimal("100.25")}],
    }
    path = tmp_path / "bad.xlsx"
    write_template(ed, path, data)
    got = {(f.rule, f.sheet, f.cell, f.check) for f in validate_file(path).errors}
    assert got == {
        ("table.not-exceed", "总表", "C6", "summary.balance"),  # 支出 400.00 > 收入 300.50
        ("cell.code-not-in-list", "明细", "B9", ""),  # 202 is not in the test code list
    }


def test_migrating_into_it_needs_only_a_mapping_file(mini_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "new.xlsx"
    mig = migrate_file(EXAMPLE, "zz-mini", 2021, out)
    assert mig.amounts == {("summary", "prior_income", "amount"): Decimal("477884.00")}
    book = read_workbook(out).book
    assert book.amount("summary", "prior_income", "amount") == Decimal("477884")
    assert book.text("cover", "name", "value") == "中共隆尧县委网络安全和信息化委员会办公室"
    assert book.cell("cover", "year", "value").value == Decimal(2021)
    reasons = {u.table: u.reason for u in mig.unmapped}
    assert reasons["t02"] == "测试版本没有收入明细" and reasons["t03"] == "新版本中没有对应的位置"
    assert ("target", "summary", "“支出合计”") in {(u.side, u.table, u.what) for u in mig.unmapped}
