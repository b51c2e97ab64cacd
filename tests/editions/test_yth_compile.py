"""A generated 2021 workbook of the 一体化 edition compiles; its narrative speaks 万元 and 单位资金
(schemas/hebei-county-yth/narrative/, data only)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from xltools.cli import cli
from xltools.edition import Edition
from xltools.money import fmt
from xltools.reader.read import read_workbook
from xltools.synth import department
from xltools.template.write import write_template


def test_generated_2021_workbook_compiles(yth: Edition, tmp_path: Path) -> None:
    path = tmp_path / "部门.xlsx"
    # the first generated department with 单位资金, so the 单位资金 sentence has a figure to show
    data = next(d for d in map(lambda s: department(yth, s), range(50)) if any(r.get("unit_funds") for r in d["t02"]))
    write_template(yth, path, data)
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["compile", str(path), "-o", str(out)])
    assert res.exit_code == 0, res.output
    md = next(out.glob("*.md")).read_text(encoding="utf-8")
    book = read_workbook(path).book
    unit_funds = book.amount("t01", "inc_unit", "inc")
    assert unit_funds
    assert f"单位资金{fmt(unit_funds)}万元" in md
    assert f"预算收入{fmt(book.amount('t01', 'inc_total', 'inc'))}万元" in md
    assert "其他来源收入" not in md and "结转下年" not in md
    assert sorted(p.suffix for p in out.iterdir()) == [".docx", ".md", ".xlsx"]


def test_migrated_workbook_compiles_with_prior_year_in_万元(tmp_path: Path) -> None:
    from ..conftest import EXAMPLE

    new = tmp_path / "2021.xlsx"
    assert CliRunner().invoke(cli, ["migrate", str(EXAMPLE), "--to", "hebei-county-yth", "-o", str(new)]).exit_code == 0
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["compile", str(new), "-o", str(out)])
    assert res.exit_code == 0, res.output
    md = next(out.glob("*.md")).read_text(encoding="utf-8")
    assert "较2020年预算减少47.79万元" in md  # 2020's 477884.00 元 compared in 万元 (the cover: 上年预算)
