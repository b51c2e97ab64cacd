"""The cover's 上年数口径 (上年预算 / 上年决算) words the narrative's comparisons (较2019年预算增加 …); blank, they
name no basis, as the reference does (较2019年增加 …)."""

from __future__ import annotations

from typing import Any

import pytest

from xltools.audit import audit_text
from xltools.book import book_from_data
from xltools.narrative import compile_narrative


@pytest.mark.parametrize(
    "basis,words",
    [
        (None, "较2019年增加277884.00元"),
        ("上年预算", "较2019年预算增加277884.00元"),
        ("上年决算", "较2019年决算增加277884.00元"),
    ],
)
def test_the_comparisons_name_the_basis_of_the_prior_figures(ed, example: dict[str, Any], basis, words) -> None:
    if basis:
        example["cover"]["prior_basis"] = {"value": basis}
    book = book_from_data(ed, example)
    md = compile_narrative(book).markdown
    assert f"2020年部门预算收支安排477884.00元，{words}，增长138.94%。" in md
    assert audit_text(md, ed, "md", book, pairs=False).findings == []  # the audit reads every wording


def test_a_basis_outside_the_list_is_an_error_at_its_cell(ed, example: dict[str, Any], write) -> None:
    from xltools.validate import validate_file

    example["cover"]["prior_basis"] = {"value": "上年执行数"}
    r = validate_file(write(example))
    assert [(f.rule, f.sheet, f.cell) for f in r.errors] == [("cell.not-in-list", "封面", "B9")]


def test_the_narrative_compares_each_class_with_its_prior_row(ed, example: dict[str, Any]) -> None:
    """The 上年数 by 功能分类 类: each 类 of 表3, and a 类 of last year only, with its comparison."""
    example["prior"]["f201"] = {"amount": 200000}
    example["prior"]["f208"] = {"amount": 5000}  # a 类 last year had and this year has not
    book = book_from_data(ed, example)
    md = compile_narrative(book).markdown
    assert (
        "按支出功能分类：一般公共服务支出477884.00元，较2019年增加277884.00元，增长138.94%；"
        "社会保障和就业支出0.00元，较2019年减少5000.00元，下降100.00%。"
    ) in md
    # the audit binds no figure to the 类 names (一般公共服务支出 holds 政府采购's 服务): clean
    assert audit_text(md, ed, "md", book, pairs=False).findings == []


def test_no_class_sentence_without_class_rows(ed, example: dict[str, Any]) -> None:
    assert "按支出功能分类" not in compile_narrative(book_from_data(ed, example)).markdown
