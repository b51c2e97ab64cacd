"""Acceptance: an edition made of data only goes through every stage, with no Python change. The test
edition zz-mini (its own tables, figures and narrative) and hebei-county-yth-yuan (the 一体化 format in 元,
a few lines of edition.toml over hebei-county-yth) are templated, validated, compiled, merged and migrated
through the command line, as a bureau would."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xltools.cli import cli
from xltools.edition import load_edition
from xltools.reader.read import read_workbook
from xltools.synth import department
from xltools.template.write import write_template

from ..conftest import EXAMPLE
from .test_third_edition import DATA


def _run(*args: str) -> str:
    res = CliRunner().invoke(cli, list(args))
    assert res.exit_code == 0, res.output
    return res.output


def _mini(name: str, code: str, spending: str, items: list[tuple[str, str]]) -> dict:
    return {
        **DATA,
        "cover": {**DATA["cover"], "name": {"value": name}, "code": {"value": code}},
        "summary": {**DATA["summary"], "spending": {"amount": Decimal(spending)}},
        "items": [{"code": c, "amount": Decimal(a)} for c, a in items],
    }


def test_mini_edition_every_stage(mini_path: Path, tmp_path: Path) -> None:
    ed = load_edition("zz-mini", 2022)
    _run("template", "-e", "zz-mini", "-y", "2022", "-o", str(tmp_path / "blank.xlsx"))
    inbox = tmp_path / "in"
    inbox.mkdir()
    books = [
        _mini("测试一局", "901001", "300.50", [("1", "200.25"), ("101", "200.25"), ("2", "100.25"), ("201", "100.25")]),
        _mini("测试二局", "901002", "50", [("1", "50"), ("102", "50")]),
    ]
    for i, data in enumerate(books):
        write_template(ed, inbox / f"d{i}.xlsx", data)
    assert "通过" in _run("validate", str(inbox / "d0.xlsx"))

    out = _run("compile", str(inbox / "d0.xlsx"), "-o", str(tmp_path / "pub"))
    md = (tmp_path / "pub" / "测试一局2022年支出情况说明.md").read_text(encoding="utf-8")
    assert "2022年收入合计300.50元，较2021年增加50.50元，增长20.20%；支出合计300.50元，其中人员支出200.25元。" in md
    assert "| 101 | 工资 | 200.25 |  |" in md and "| 2 | 公用 | 100.25 |  |" in md
    assert (tmp_path / "pub" / "测试一局2022年公开表.xlsx").is_file() and "已生成" in out
    wb = openpyxl.load_workbook(tmp_path / "pub" / "测试一局2022年公开表.xlsx")
    assert wb.sheetnames[0] == "概览" and wb["概览"]["A1"].value == "测试一局2022年概览"
    assert [wb["概览"].cell(r, 1).value for r in (5, 6, 7)] == ["收入合计", "支出合计", "人员支出"]

    _run("merge", str(inbox), "-o", str(tmp_path / "county.xlsx"), "--json", str(tmp_path / "county.json"))
    summary = json.loads((tmp_path / "county.json").read_text(encoding="utf-8"))
    figures = summary["totals"]["figures"]
    assert [(f["id"], f["label"], f["amount"]) for f in figures] == [
        ("income", "收入合计", "350.50"),
        ("spending", "支出合计", "350.50"),
    ]
    ws = openpyxl.load_workbook(tmp_path / "county.xlsx")["类别汇总"]
    assert ws.title == "类别汇总"

    new = tmp_path / "next.xlsx"
    _run("migrate", str(inbox / "d0.xlsx"), "--to", "zz-mini", "--year", "2022", "-o", str(new))
    book = read_workbook(new).book
    assert book.figure("prior_income") == Decimal("300.50") and book.text_cell("unit_code") == "901001"


def test_yuan_variant_is_data_only() -> None:
    yuan, yth = load_edition("hebei-county-yth-yuan", 2021), load_edition("hebei-county-yth", 2021)
    own = sorted(p.name for p in yuan.path.rglob("*") if p.is_file())
    assert own == ["edition.toml"] and len(yuan.file("edition.toml").read_text(encoding="utf-8").splitlines()) < 10
    assert (yuan.money_unit, yuan.money_factor, yuan.table("t01").unit) == ("元", 1, "元")
    assert [t.id for t in yuan.tables] == [t.id for t in yth.tables] and len(yuan.identities) == len(yth.identities)
    assert yuan.table("assets").unit == "万元"  # a table with its own unit keeps it
    assert yuan.fingerprint not in (yth.fingerprint, load_edition("hebei-county-2020").fingerprint)
    assert [f.id for f in yuan.figures] == [f.id for f in yth.figures] and yuan.figure("inc_total").unit == "元"


def test_yuan_variant_every_stage(tmp_path: Path) -> None:
    ed = load_edition("hebei-county-yth-yuan", 2021)
    _run("template", "-e", "hebei-county-yth-yuan", "-o", str(tmp_path / "blank.xlsx"))
    inbox = tmp_path / "in"
    inbox.mkdir()
    for seed in (1, 2):
        write_template(ed, inbox / f"d{seed}.xlsx", department(ed, seed))
    out = _run("validate", str(inbox / "d1.xlsx"))
    assert "通过" in out
    book = read_workbook(inbox / "d1.xlsx").book
    assert book.edition.id == "hebei-county-yth-yuan" and book.figure("inc_total") > 10000  # 元, not 万元

    _run("compile", str(inbox / "d1.xlsx"), "-o", str(tmp_path / "pub"), "--allow-placeholders")
    (md,) = (tmp_path / "pub").glob("*.md")
    text = md.read_text(encoding="utf-8")
    total = format(book.figure("inc_total"), ".2f")
    assert f"2021年预算收入{total}元，" in text and "单位资金" in text and "万元，" not in text.split("七、")[0]

    _run("merge", str(inbox), "-o", str(tmp_path / "county.xlsx"), "--json", str(tmp_path / "county.json"))
    summary = json.loads((tmp_path / "county.json").read_text(encoding="utf-8"))
    assert (summary["edition"]["id"], summary["edition"]["money_unit"]) == ("hebei-county-yth-yuan", "元")
    assert "inc_unit" in [f["id"] for f in summary["totals"]["figures"]]

    # last year's 2020 workbook (元) and a 万元 一体化 workbook both migrate into it with the inherited maps
    _run("migrate", str(EXAMPLE), "--to", "hebei-county-yth-yuan", "-o", str(tmp_path / "from2020.xlsx"))
    assert read_workbook(tmp_path / "from2020.xlsx").book.figure("prior_inc_total") == Decimal("477884.00")
    yth = load_edition("hebei-county-yth", 2021)
    write_template(yth, tmp_path / "wan.xlsx", department(yth, 4))
    wan = read_workbook(tmp_path / "wan.xlsx").book.figure("inc_total")
    _run("migrate", str(tmp_path / "wan.xlsx"), "--to", "hebei-county-yth-yuan", "-o", str(tmp_path / "from-wan.xlsx"))
    assert read_workbook(tmp_path / "from-wan.xlsx").book.figure("prior_inc_total") == wan * 10000
    _run("migrate", str(inbox / "d1.xlsx"), "--to", "hebei-county-yth-yuan", "-o", str(tmp_path / "next.xlsx"))
    nxt = read_workbook(tmp_path / "next.xlsx").book
    assert nxt.edition.year == 2022 and nxt.figure("prior_inc_total") == book.figure("inc_total")


@pytest.mark.parametrize("edition", ["hebei-county-yth-yuan", "zz-mini"])
def test_listed(mini_path: Path, edition: str) -> None:
    assert edition in _run("editions")
