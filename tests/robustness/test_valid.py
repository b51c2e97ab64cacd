"""No false alarms on valid workbooks, and the two column-check backends agreeing.

CI: 60 generated departments through the file path (3 chunks), 200 in memory, and a hypothesis sample of
seeds; the full 1,000 through files is `-m slow` (XLTOOLS_SLOW=1) or bench/robustness_bench.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from xltools.book import book_from_data
from xltools.rules.columns import check_columns
from xltools.synth import department
from xltools.template.write import write_template
from xltools.validate import validate_file

from . import corpus
from .falsealarms import in_memory, through_files
from .operators import OPERATORS, bases, mutants

CI_SEEDS = 60
CHUNKS = 3


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_generated_departments_validate_clean(chunk: int, tmp_path: Path) -> None:
    result = through_files(corpus.edition(), range(chunk, CI_SEEDS, CHUNKS), tmp_path)
    assert result.checked == CI_SEEDS // CHUNKS
    assert not result.failures, result.failures


def test_generated_departments_in_memory() -> None:
    result = in_memory(corpus.edition(), range(1000, 1200))
    assert not result.failures, result.failures


@pytest.mark.slow
def test_thousand_departments_validate_clean(full_size: None, tmp_path: Path) -> None:
    result = through_files(corpus.edition(), range(1000), tmp_path)
    assert result.checked == 1000 and not result.failures, result.failures


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
# synth.department derives the 单位编码 from the seed: above ~10^9 it has 13 digits and breaks the cover's
# 3–12 digit pattern (a generator limit, found by this test), so seeds are drawn below 10^8.
@given(seed=st.integers(min_value=0, max_value=10**8))
@example(seed=1735)  # 政府采购 drawn above a small department's 支出总计 (cross.not-exceed), before the cap
def test_any_seed_validates_clean(seed: int, tmp_path: Path) -> None:
    ed = corpus.edition()
    path = tmp_path / f"h-{seed}.xlsx"
    write_template(ed, path, department(ed, seed))
    report = validate_file(path)
    assert not report.errors and not report.unreadable, [(f.rule, f.sheet, f.cell) for f in report.errors]


def _books() -> list[tuple[str, object]]:
    """Valid books and mutated ones (every operator once on two bases), built in memory."""
    ed = corpus.edition()
    out: list[tuple[str, object]] = [(f"seed-{s}", book_from_data(ed, department(ed, s))) for s in range(6)]
    for base, data in bases(ed, [3]):
        for m in mutants(ed, base, data, per_op=1):
            out.append((f"{base}:{m.op}", book_from_data(ed, m.data)))
    return out


def test_backends_agree_on_valid_and_mutated_books() -> None:
    """check_columns in plain Python and through the pandera schema give the same findings."""
    ed = corpus.edition()
    books = _books()
    assert len(books) > len(OPERATORS)
    differ = []
    for name, book in books:
        for t in ed.tables:
            if t.kind != "list":
                continue
            py = check_columns(book, t, engine="python")  # type: ignore[arg-type]
            pa = check_columns(book, t, engine="pandera")  # type: ignore[arg-type]
            if py != pa:
                differ.append((name, t.id, [f.rule for f in py], [f.rule for f in pa]))
    assert not differ, differ
    assert any(
        check_columns(b, ed.table(t), engine="python")
        for _, b in books  # type: ignore[arg-type]
        for t in ("ind", "proj", "t03", "t06")
    ), "no mutant reached a column check: the test is void"
