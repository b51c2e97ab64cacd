"""Mutation suite: single-cell mutants of valid workbooks (the bundled example and generated departments).
Every mutant that breaks something (decided in memory, without the writer or reader) must be caught by an
error at the mutated cell or at a cell it breaks, in the file `validate` reads. CI runs one cell per operator
on three bases; the full run (bench/robustness_bench.py or -m slow) takes more cells on more bases."""

from __future__ import annotations

from pathlib import Path

import pytest

from xltools.book import Pasted, book_from_data
from xltools.rules.check import check_book
from xltools.validate import validate_file

from . import corpus
from .operators import OPERATORS, bases, kill_rate

ISSUE_OPERATORS = {
    "cent-up",
    "cent-down",
    "times-10000",
    "div-10000",
    "swap-amounts",
    "wrong-code",
    "orphan-item",
    "basic-to-project",
    "cleared-required",
    "plan-decreases",
    "plan-below-100",
    "total-typed-over",
    "duplicate-row",
}


def test_operators_cover_the_issue() -> None:
    assert ISSUE_OPERATORS <= set(OPERATORS)


@pytest.mark.parametrize("base", ["example", "seed-1", "seed-7"])
def test_every_breaking_mutant_is_killed(base: str, tmp_path: Path) -> None:
    ed = corpus.edition()
    chosen = [b for b in bases(ed, [1, 7]) if b[0] == base]
    report = kill_rate(ed, chosen, per_op=1, folder=tmp_path)
    print(report.summary())
    assert report.breaking, "no mutant broke anything: the operators are void"
    assert report.kill_rate == 1.0, report.summary()
    assert not [o for o in report.outcomes if o.false_alarm], report.summary()
    for o in report.valid:  # every survivor is explained
        assert o.reason


@pytest.mark.slow
def test_full_kill_rate(full_size: None, tmp_path: Path) -> None:
    ed = corpus.edition()
    report = kill_rate(ed, bases(ed, list(range(10))), per_op=3, folder=tmp_path)
    print(report.summary())
    assert report.kill_rate == 1.0 and not [o for o in report.outcomes if o.false_alarm], report.summary()


PASTE_TARGETS = [
    ("t01", "inc_total", "inc"),
    ("t01", "exp_subtotal", "amount"),
    ("t03", "r2", "total"),
    ("t02", "total", "general"),
    ("t05", "r0", "basic"),
    ("t07", "budget", "total"),
]


@pytest.mark.parametrize("target", PASTE_TARGETS, ids=".".join)
def test_wrong_constant_pasted_in_the_xml(target: tuple[str, str, str], tmp_path: Path) -> None:
    """Paste-over at the XML level (the formula element removed, a constant left), as Excel saves it."""
    ed = corpus.edition()
    data = corpus.example_data()
    right = book_from_data(ed, data).amount(*target)
    assert right is not None
    wrong = right + 7
    # the oracle: the same paste in memory breaks an identity
    table, row, col = target
    pasted = corpus.example_data()
    if ed.table(table).kind == "list" and row != "total":
        pasted[table][int(row[1:])][col] = Pasted(wrong)
    elif row != "total":
        pasted.setdefault(table, {}).setdefault(row, {})[col] = Pasted(wrong)
    if row != "total":
        assert [f for f in check_book(book_from_data(ed, pasted)) if f.severity == "error"]
    sheet, a1 = corpus.where(*target)
    zb = corpus.workbook_bytes()
    path = tmp_path / "pasted.xlsx"
    path.write_bytes(
        corpus.edit_zip(zb, {corpus.sheet_part(zb, sheet): lambda x: corpus.drop_formula(x, a1, str(wrong))})
    )
    report = validate_file(path)
    assert (sheet, a1) in {(f.sheet, f.cell) for f in report.errors}, [(f.rule, f.cell) for f in report.errors]
