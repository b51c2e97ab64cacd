"""compile audits the narrative it writes: generated sentences have no finding; the clerk's own free text
that contradicts the numbers is a warning at its cell in 文字说明."""

from __future__ import annotations

from pathlib import Path

from xltools import synth
from xltools.audit.selfaudit import self_audit
from xltools.book import book_from_data
from xltools.edition import load_edition
from xltools.narrative import compile_narrative
from xltools.publish import compile_book
from xltools.validate import validate_file

ROOT = Path(__file__).resolve().parents[2]
ED = load_edition("hebei-county-2020")


def test_compile_example_reports_the_clerks_reason_at_its_cell(tmp_path: Path) -> None:
    book = validate_file(ROOT / "examples" / "longyao-cac-2020.xlsx").book
    result = compile_book(book, tmp_path)
    assert [(f.rule, f.severity, f.sheet, f.cell) for f in result.audit] == [
        ("audit.clerk-text", "warning", "文字说明", "B6")
    ]
    assert "三公" in result.audit[0].message


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
