"""compile audits the narrative it writes: generated sentences have no finding; the clerk's own free text
that contradicts the numbers is a warning at its cell in 文字说明."""

from __future__ import annotations

import sys
from pathlib import Path

from xltools import synth
from xltools.audit.selfaudit import self_audit
from xltools.book import book_from_data
from xltools.edition import load_edition
from xltools.narrative import compile_narrative
from xltools.publish import compile_book

ROOT = Path(__file__).resolve().parents[2]
ED = load_edition("hebei-county-2020")


def test_the_published_sangong_reason_is_said_once_at_its_cell(tmp_path: Path) -> None:
    """The reference's 三公 reason (a decrease next to 0 and no prior figure) in the corrected example: validate
    reports it at 文字说明 B6 (text.reason-contradicts), so the self-audit does not say it again."""
    from xltools.rules.check import check_book

    sys.path.insert(0, str(ROOT / "examples"))
    from build import example_data

    data = example_data("longyao-cac-2020.xlsx")[2]
    data["text"]["sg_reason"] = {"text": "2019年我部门为机构改革新成立单位，根据上级规定，三公经费预算应较上年减少"}
    book = book_from_data(ED, data)
    assert [(f.rule, f.sheet, f.cell) for f in check_book(book) if f.rule.startswith("text.")] == [
        ("text.reason-contradicts", "文字说明", "B6")
    ]
    result = compile_book(book, tmp_path)
    assert result.audit == []
    assert "应较上年减少" in result.markdown.read_text(encoding="utf-8")


def test_generated_text_has_no_defect() -> None:
    for seed in range(3):  # the 20 of the mutation suite are audited in test_mutations.py
        book = book_from_data(ED, synth.department(ED, seed))
        assert self_audit(book, compile_narrative(book).markdown) == []


def test_a_clerks_reason_quoting_a_wrong_number_is_a_warning_at_its_cell() -> None:
    data = synth.department(ED, 3)
    data["text"]["change_reason"] = {"text": "主要原因是项目支出较上年增加"}
    data["prior"] = {"inc_total": {"amount": 1}, "project": {"amount": 0}}
    book = book_from_data(ED, data)
    found = self_audit(book, compile_narrative(book).markdown)
    assert found and all(f.rule == "audit.clerk-text" and f.sheet == "文字说明" for f in found)


def test_a_blank_text_is_a_placeholder_at_its_cell_not_a_defect_of_ours(tmp_path: Path) -> None:
    """A 部门职责 left blank: compile lists the 【请填写】 at 文字说明 B4; the self-audit does not call it a defect
    of xltools (it did, twice: once per placeholder pattern)."""
    data = synth.department(ED, 2)
    data["text"]["duties"] = {"text": ""}
    result = compile_book(book_from_data(ED, data), tmp_path)
    assert [(p.sheet, p.cell, p.label) for p in result.placeholders] == [("文字说明", "B4", "部门职责")]
    assert "【请填写：部门职责】" in result.markdown.read_text(encoding="utf-8")
    assert result.audit == []


def test_sangong_items_with_prior_figures_audit_clean() -> None:
    """The 三公 sentence with every item compared (the 公务用车 pair after a comma, not nested): no defect."""
    data = synth.department(ED, 1)
    book = book_from_data(ED, data)
    f = book.figures()
    assert f["sg_vehicle_run"]  # a department with 公务用车运行费
    items = {k: (f[k] or 0) * 2 for k in ("sg_vehicle_purchase", "sg_vehicle_run", "sg_reception")}
    items["sg_abroad"] = f["sg_abroad"] or 0
    data["prior"] = {k: {"amount": v} for k, v in {**items, "sg_total": sum(items.values())}.items()}
    book = book_from_data(ED, data)
    md = compile_narrative(book).markdown
    assert (
        "公务用车购置及运行费14079.60元，其中公务用车购置费0.00元（与2019年持平），公务用车运行费14079.60元（较2019年减少"
        in md
    )
    assert self_audit(book, md) == []
