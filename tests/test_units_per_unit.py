"""Subordinate budget units (所属单位): list tables with a 单位编码 column; the 类/款/项 identities hold per
unit and the 合计 row over all units."""

from __future__ import annotations

from decimal import Decimal

from xltools.edition.layout import table_layout
from xltools.validate import validate_file


def _two_units(example: dict) -> None:
    """Split the example's 行政运行 spending between 本级 (blank) and a school 288002001, in T2 and T3."""
    example["t02"] = [
        {"code": "201", "general": 400000},
        {"code": "20136", "general": 400000},
        {"code": "2013601", "general": 250000},
        {"code": "2013602", "general": 150000},
        {"unit": "288002001", "code": "201", "general": 77884},
        {"unit": "288002001", "code": "20136", "general": 77884},
        {"unit": "288002001", "code": "2013601", "general": 77884},
    ]
    example["t03"] = [
        {"code": "201", "basic_personnel": 220000, "basic_public": 30000, "project": 150000},
        {"code": "20136", "basic_personnel": 220000, "basic_public": 30000, "project": 150000},
        {"code": "2013601", "basic_personnel": 220000, "basic_public": 30000},
        {"code": "2013602", "project": 150000},
        {"unit": "288002001", "code": "201", "basic_personnel": 76884, "basic_public": 1000},
        {"unit": "288002001", "code": "20136", "basic_personnel": 76884, "basic_public": 1000},
        {"unit": "288002001", "code": "2013601", "basic_personnel": 76884, "basic_public": 1000},
    ]


def test_two_units_validate_and_total_over_units(example, write) -> None:
    _two_units(example)
    r = validate_file(write(example))
    assert r.errors == [], [(f.rule, f.sheet, f.cell, f.message) for f in r.errors]
    assert r.book is not None
    assert r.book.amount("t03", "total", "total") == Decimal(477884)
    assert r.book.amount("t01", "c201", "amount") == Decimal(477884)  # T1 sums 201 over both units


def test_hierarchy_is_checked_per_unit(example, write, ed) -> None:
    """Moving 1000 of the school's 类 row to 本级's 类 row keeps the column totals but breaks both units."""
    _two_units(example)
    example["t03"][0]["basic_public"] = 31000
    example["t03"][4]["basic_public"] = 0
    r = validate_file(write(example))
    hier = {(f.rule, f.cell) for f in r.errors if f.rule == "table.hierarchy"}
    lay = table_layout(ed, "t03")
    assert ("table.hierarchy", lay.cell("r0", "basic_public")) in hier
    assert ("table.hierarchy", lay.cell("r4", "basic_public")) in hier


def test_duplicate_code_is_per_unit(example, write, ed) -> None:
    _two_units(example)
    example["t03"].append({"unit": "288002001", "code": "2013601"})
    r = validate_file(write(example))
    assert ("table.duplicate-code", table_layout(ed, "t03").cell("r7", "code")) in {(f.rule, f.cell) for f in r.errors}
