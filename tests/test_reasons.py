"""Reasons as edition rules (schemas/<edition>/reasons.toml, issue 12): a change of ≥ the threshold needs its
reason (validate at the text cell, compile's placeholder), a reason against its figures is a warning at its
cell, and a text migrate carried over stays flagged until the clerk edits it, when its figures changed."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from xltools import reasons
from xltools.book import book_from_data
from xltools.migrate import migrate_file
from xltools.narrative import compile_narrative
from xltools.reader.read import read_workbook
from xltools.validate import validate_file

from .conftest import EXAMPLE

SG_PUBLISHED = "2019年我部门为机构改革新成立单位，根据上级规定，三公经费预算应较上年减少"


def _text_findings(path: Path) -> list[tuple[str, str, str, str]]:
    r = validate_file(path)
    return [(f.rule, f.sheet, f.cell, f.message) for f in r.findings if f.rule.startswith("text.")]


def test_the_threshold_and_the_reasons_are_edition_data(ed) -> None:
    s = reasons.spec(ed)
    assert s.threshold == Decimal(10)
    assert [(r.text, r.figures[0]) for r in s.reasons] == [("change_reason", "inc_total"), ("sg_reason", "sg_total")]
    assert reasons.spec(ed) is reasons.spec(ed)  # read once
    from xltools.edition import load_edition

    assert reasons.spec(load_edition("hebei-county-yth", 2021)).reasons == s.reasons  # inherited by the child


@pytest.mark.parametrize(
    "prior,current,kind,needed",
    [
        (None, "5", "none", False),  # no 上年数: no comparison
        ("5", "5", "flat", False),
        ("100", "109.99", "up", False),  # 9.99 %
        ("100", "110", "up", True),  # exactly 10 %
        ("100", "90", "down", True),
        ("0", "5", "up", True),  # from a zero base: a new item
    ],
)
def test_a_change_needs_its_reason_from_the_threshold(prior, current, kind, needed) -> None:
    pct = None if prior in (None, "0") or prior == current else abs(Decimal(current) - Decimal(prior)) / Decimal(prior)
    c = reasons.Change("x", Decimal(current), None if prior is None else Decimal(prior), kind, pct and pct * 100)
    assert c.needs_reason(Decimal(10)) is needed


def test_a_big_change_without_its_reason_is_named_at_its_cell(example: dict[str, Any], write) -> None:
    del example["text"]["change_reason"]  # 收入 477884 against 200000 last year: +138.94 %
    found = _text_findings(write(example))
    assert [f[:3] for f in found] == [("text.reason-missing", "文字说明", "B5")]
    assert "收入总计较上年增长138.94%、支出总计较上年增长138.94%，变化达到10%及以上" in found[0][3]


def test_a_small_change_needs_no_reason_and_no_placeholder(example: dict[str, Any], write, ed) -> None:
    del example["text"]["change_reason"]
    del example["text"]["sg_reason"]
    example["prior"]["inc_total"]["amount"] = 450000  # +6.20 %
    example["prior"]["exp_total"]["amount"] = 450000
    path = write(example)
    assert _text_findings(path) == []
    md = compile_narrative(read_workbook(path).book).markdown
    assert "【请填写" not in md and "增减变化原因：" not in md
    assert "较2019年增加27884.00元，增长6.20%。" in md


def test_a_reason_against_its_figures(example: dict[str, Any], write) -> None:
    # the published 三公 reason: a decrease next to 0 and no prior figure
    example["text"]["sg_reason"] = {"text": SG_PUBLISHED}
    found = _text_findings(write(example))
    assert [f[:3] for f in found] == [("text.reason-contradicts", "文字说明", "B6")]
    assert "说明了减少（下降）的原因，但“三公”经费合计没有上年数，无从比较增减。" in found[0][3]
    # with a 上年数 of 0: 持平
    example["prior"]["sg_total"] = {"amount": 0}
    found = _text_findings(write(example))
    assert [f[:3] for f in found] == [("text.reason-contradicts", "文字说明", "B6")]
    assert "“三公”经费合计与上年持平，没有增减。" in found[0][3]
    # a reason for an increase where the figures fell: the other way
    example["prior"]["inc_total"]["amount"] = 600000
    found = _text_findings(write(example))
    assert [f[:3] for f in found][0] == ("text.reason-contradicts", "文字说明", "B5")
    assert "收入总计较上年下降20.35%，方向相反。" in found[0][3]


def test_a_reason_speaks_of_the_figure_it_names(example: dict[str, Any], write) -> None:
    # 项目支出 has no 上年数 in the example: a reason naming it is checked against it, not against 收入
    example["text"]["change_reason"] = {"text": "项目支出增加，主要是新增网络安全项目"}
    found = _text_findings(write(example))
    assert [f[:3] for f in found] == [("text.reason-contradicts", "文字说明", "B5")]
    assert "项目支出没有上年数" in found[0][3]


def test_generated_departments_need_their_reasons_where_their_figures_moved(ed) -> None:
    from xltools import synth
    from xltools.rules import reasons as rule

    for seed in range(5):
        data = synth.department(ed, seed)
        data.setdefault("text", {}).pop("change_reason", None)
        book = book_from_data(ed, data)
        want = bool(reasons.needed(book, reasons.spec(ed).reasons[0], reasons.spec(ed)))
        got = [f.rule for f in rule.check(book) if f.cell == "B5"]
        assert got == (["text.reason-missing"] if want else []), seed
        placeholder = "【请填写：收支比上年增减的主要原因】" in compile_narrative(book).markdown
        assert placeholder is want, seed


def _edit(path: Path, sheet: str, cell: str, value: str, out: Path) -> Path:
    """The clerk's edit in a spreadsheet program (openpyxl keeps the very hidden stamp sheet)."""
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = value
    wb.save(out)
    return out


def test_a_carried_reason_is_flagged_until_the_clerk_edits_it(tmp_path: Path) -> None:
    out = tmp_path / "2021.xlsx"
    mig = migrate_file(EXAMPLE, "hebei-county-yth", 2021, out)
    text = read_workbook(EXAMPLE).book.text_cell("change_reason")
    assert mig.stamp == {
        "carried.change_reason": reasons.carried_mark(text),
        "carried.sg_reason": reasons.carried_mark(read_workbook(EXAMPLE).book.text_cell("sg_reason")),
    }
    book = read_workbook(out).book
    assert book.stamp["carried.change_reason"] == reasons.carried_mark(book.text_cell("change_reason"))
    # Freshly migrated, 收入 and 支出 are 0 against last year's 47.79 万元: the carried reason is to be checked.
    # 三公 stays 0 against 0: its carried text is not flagged (no change), it is checked as written (the
    # corrected example's text states no direction).
    filled = tmp_path / "filled.xlsx"
    shutil.copyfile(out, filled)
    found = _text_findings(filled)
    assert [f[:3] for f in found] == [("text.carried-over", "文字说明", "B5")]
    assert "从上年工作簿带入的，尚未改动，而收入总计较上年下降100.00%" in found[0][3]
    edited = _edit(filled, "文字说明", "B5", text + "；2021年人员经费继续增加", tmp_path / "edited.xlsx")
    found = _text_findings(edited)
    assert [f[0] for f in found] == ["text.reason-contradicts"]  # edited: now checked as the clerk's own text
    same = _edit(filled, "文字说明", "B5", "  " + text + " ", tmp_path / "same.xlsx")
    assert [f[0] for f in _text_findings(same)] == ["text.carried-over"]  # whitespace is no edit
