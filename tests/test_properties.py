"""Property-based: workbooks generated to satisfy every identity produce no error; a single broken
amount is found at its cell or at the total it breaks."""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xltools.book import book_from_data
from xltools.edition import load_edition
from xltools.rules.check import check_book
from xltools.synth import department
from xltools.template.write import write_template
from xltools.validate import validate_file

ED = load_edition("hebei-county-2020", 2020)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.integers(min_value=0, max_value=10**6))
def test_generated_books_have_no_error_in_memory(seed: int) -> None:
    errors = [f for f in check_book(book_from_data(ED, department(ED, seed))) if f.severity == "error"]
    assert errors == [], [(f.rule, f.sheet, f.cell, f.message) for f in errors]


@settings(max_examples=8, deadline=None)
@given(st.integers(min_value=0, max_value=10**6))
def test_generated_workbooks_validate_clean_from_disk(seed: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.xlsx"
        write_template(ED, path, department(ED, seed))
        r = validate_file(path)
        assert r.errors == [], [(f.rule, f.sheet, f.cell, f.message) for f in r.errors]


@SETTINGS
@given(st.integers(min_value=0, max_value=10**6), st.sampled_from(["t03", "t05", "t06"]), st.data())
def test_one_cent_off_is_caught_at_the_cell_or_its_totals(seed: int, table: str, data: st.DataObject) -> None:
    d = department(ED, seed)
    rows = [
        (i, c)
        for i, rec in enumerate(d[table])
        for c, v in rec.items()
        if isinstance(v, Decimal) and c not in ("total", "basic")
    ]
    if not rows:
        return
    i, col = data.draw(st.sampled_from(rows))
    d[table][i][col] += Decimal("0.01")
    book = book_from_data(ED, d)
    errors = [f for f in check_book(book) if f.severity == "error"]
    assert errors, "a one-cent change must break an identity"
    mutated = book.cell(table, f"r{i}", col)
    assert mutated is not None
    sheets = {f.sheet for f in errors}
    assert ED.table(table).sheet in sheets
