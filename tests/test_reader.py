"""Bad inputs get a clear read.* finding (exit 3) or a located finding, never a traceback."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xltools.edition.layout import table_layout
from xltools.validate import validate_file

from .conftest import EXAMPLE


def rules(path: Path) -> list[tuple[str, str, str]]:
    return [(f.rule, f.sheet, f.cell) for f in validate_file(path).findings]


def _rezip(src: Path, dst: Path, change: dict[str, bytes | None]) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in change:
                data = change[info.filename]
                if data is not None:
                    zout.writestr(info.filename, data)
            else:
                zout.writestr(info, zin.read(info.filename))
        for name, data in change.items():
            if name not in zin.namelist() and data is not None:
                zout.writestr(name, data)
    return dst


def _stamp(path: Path, tmp: Path, **values: str) -> Path:
    """Rewrite the hidden stamp sheet's values (edition, version, year)."""
    wb = openpyxl.load_workbook(path)
    ws = wb["_xltools"]
    for row in ws.iter_rows():
        if row[0].value in values:
            row[1].value = values[row[0].value]
    props = wb.custom_doc_props
    for p in list(props.props):
        if p.name[len("xltools_") :] in values:
            p.value = values[p.name[len("xltools_") :]]
    out = tmp / "stamped.xlsx"
    wb.save(out)
    return out


@pytest.mark.parametrize(
    "content,rule",
    [
        (b"name,amount\n\xe5\x8a\x9e,1\n", "read.not-xlsx"),
        (b"%PDF-1.4 ...", "read.not-xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "read.xls"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 64 + "EncryptedPackage".encode("utf-16-le") + b"\0" * 64,
            "read.encrypted",
        ),
        (b"", "read.empty-file"),
    ],
)
def test_not_a_workbook(tmp_path: Path, content: bytes, rule: str) -> None:
    p = tmp_path / "部门.xlsx"
    p.write_bytes(content)
    r = validate_file(p)
    assert r.unreadable and [f.rule for f in r.findings] == [rule]
    assert str(p) in r.findings[0].message


def test_truncated_file(tmp_path: Path) -> None:
    p = tmp_path / "half.xlsx"
    p.write_bytes(EXAMPLE.read_bytes()[: EXAMPLE.stat().st_size // 2])
    r = validate_file(p)
    assert r.unreadable and r.findings[0].rule == "read.corrupt"


def test_missing_and_directory(tmp_path: Path) -> None:
    assert validate_file(tmp_path / "nope.xlsx").findings[0].rule == "read.not-found"
    assert validate_file(tmp_path).findings[0].rule == "read.is-directory"


def test_foreign_workbook(tmp_path: Path) -> None:
    p = tmp_path / "foreign.xlsx"
    wb = openpyxl.Workbook()
    wb.active.title = "表1 收支总表"
    wb.save(p)
    r = validate_file(p)
    assert r.unreadable and r.findings[0].rule == "read.not-xltools"
    assert "同名" in r.findings[0].message  # says why it was probably copied sheets


def test_other_edition_version_and_year(tmp_path: Path) -> None:
    assert (
        validate_file(_stamp(EXAMPLE, tmp_path, edition="shanghai-district-2020")).findings[0].rule
        == "read.unknown-edition"
    )
    assert validate_file(_stamp(EXAMPLE, tmp_path, version="2019.3")).findings[0].rule == "read.wrong-version"
    assert validate_file(_stamp(EXAMPLE, tmp_path, year="1999")).findings[0].rule == "read.wrong-year"


def test_unsafe_xml_and_zip_bomb(tmp_path: Path) -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><sst/>'
    p = _rezip(EXAMPLE, tmp_path / "xxe.xlsx", {"xl/sharedStrings.xml": xxe})
    assert validate_file(p).findings[0].rule == "read.unsafe-xml"
    bomb = b"<sst>" + b" " * (41 * 1024 * 1024) + b"</sst>"
    p = _rezip(EXAMPLE, tmp_path / "bomb.xlsx", {"xl/sharedStrings.xml": bomb})
    assert validate_file(p).findings[0].rule == "read.too-large"


def test_macro_workbook_is_read_with_a_warning(tmp_path: Path) -> None:
    p = _rezip(EXAMPLE, tmp_path / "macro.xlsx", {"xl/vbaProject.bin": b"\0" * 100})
    r = validate_file(p)
    assert not r.unreadable and "read.macro" in [f.rule for f in r.warnings]


def test_renamed_sheet(tmp_path: Path, ed) -> None:
    p = tmp_path / "renamed.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    wb["表7 三公经费表"].title = "三公"
    wb.save(p)
    r = validate_file(p)
    got = [(f.rule, f.sheet) for f in r.findings]
    assert ("read.sheet-missing", "表7 三公经费表") in got and ("read.sheet-extra", "三公") in got
    missing = next(f for f in r.findings if f.rule == "read.sheet-missing")
    assert "三公" in missing.message and not r.valid


def test_header_and_fixed_rows_changed(tmp_path: Path, ed) -> None:
    p = tmp_path / "header.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    wb["表3 支出总表"]["D3"] = "合 计（元）"
    ws = wb["表1 收支总表"]
    ws.insert_rows(6)
    wb.save(p)
    got = rules(p)
    assert ("read.header-changed", "表3 支出总表", "D3") in got
    assert ("read.row-label-changed", "表1 收支总表", "A6") in got


def test_data_below_the_input_area(tmp_path: Path, ed) -> None:
    p = tmp_path / "below.xlsx"
    wb = openpyxl.load_workbook(EXAMPLE)
    lay = table_layout(ed, "t06")
    wb["表6 基本支出表"].cell(lay.last_row + 3, 3, 100)
    wb.save(p)
    assert ("read.rows-beyond-area", "表6 基本支出表", f"A{lay.last_row + 3}") in rules(p)


def test_text_and_full_width_in_number_cells(example, write, ed) -> None:
    example["t06"][1]["personnel"] = "待定"
    example["t06"][3]["public"] = "３１０００"
    p = write(example)
    got = [(f.rule, f.severity, f.cell) for f in validate_file(p).findings]
    assert ("cell.not-a-number", "error", table_layout(ed, "t06").cell("r1", "personnel")) in got
    assert ("cell.text-number", "warning", table_layout(ed, "t06").cell("r3", "public")) in got


def test_openpyxl_resaved_workbook_still_validates(tmp_path: Path) -> None:
    """openpyxl drops cached formula values; we recompute, so the result is the same."""
    p = tmp_path / "resaved.xlsx"
    shutil.copy(EXAMPLE, p)
    wb = openpyxl.load_workbook(p)
    wb.save(p)
    assert [(f.rule, f.cell) for f in validate_file(p).findings] == [
        (f.rule, f.cell) for f in validate_file(EXAMPLE).findings
    ]


_RAW = st.one_of(
    st.integers(min_value=-(10**14), max_value=10**14),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["", " 12 ", "\x0b税", "\u3000１２３", "1,234.5", "2000万", "（一）", "—", "a\tb", "x" * 10001]),
)


@settings(max_examples=400, deadline=None)
@given(raw=_RAW, ctype=st.sampled_from(["money", "number", "percent", "year", "code", "unit", "text", "enum"]))
def test_plain_values_are_what_the_full_parse_gives_without_notes(raw: object, ctype: str) -> None:
    """The reader's quick path (normalise.plain) gives the full parse's value, and only where it makes no note."""
    from decimal import Decimal

    from xltools.reader.normalise import SLOW, clean_code, clean_text, parse_number, plain

    got = plain(raw, ctype, 2)
    if ctype in ("money", "number", "percent", "year"):
        full = parse_number(raw, "元", percent=ctype == "percent")
        if ctype == "money" and isinstance(full.value, Decimal) and full.value.as_tuple().exponent < -2:
            full.notes.append(("cell.excess-precision", {}))
    else:
        full = (clean_code if ctype in ("code", "unit") else clean_text)(raw)
    if got is SLOW:  # the quick path is taken for the usual cells: text in a text cell, an integer amount
        assert full.notes or not (type(raw) is str and ctype == "text" or type(raw) is int and ctype == "number")
    else:
        assert not full.notes and got == full.value and type(got) is type(full.value)
        if isinstance(got, Decimal):
            assert got.as_tuple() == full.value.as_tuple()  # the same digits and exponent, not only equal


def _read_both(data: bytes) -> tuple[object, object]:
    """The reader's view of a workbook with the quick cell path on and off (QUICK_CELLS)."""
    from xltools.reader import read

    def view() -> object:
        result = read.read_workbook(data)
        cells = {k: (c.sheet, c.a1, c.value, str(c.value), repr(c.raw), c.state) for k, c in result.book.cells.items()}
        return cells, result.book.list_rows, [f.to_json() for f in result.findings]

    quick = view()
    read.QUICK_CELLS = False
    try:
        slow = view()
    finally:
        read.QUICK_CELLS = True
    return quick, slow


def _formulas_edited(data: bytes, picks: list[int]) -> bytes:
    """Each picked formula of the first sheets removed (a constant left where it was) or its text changed."""
    import io
    import re

    parts: dict[str, bytes] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            parts[name] = z.read(name)
    sheets = sorted(n for n in parts if n.startswith("xl/worksheets/sheet"))
    for k, pick in enumerate(picks):
        name = sheets[pick % len(sheets)]
        found = list(re.finditer(rb"<f>([^<]*)</f>", parts[name]))
        if found:
            m = found[(pick // len(sheets)) % len(found)]
            new = b"" if k % 2 == 0 else b"<f>" + m.group(1) + b"+1</f>"
            parts[name] = parts[name][: m.start()] + new + parts[name][m.end() :]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, body in parts.items():
            z.writestr(name, body)
    return out.getvalue()


# What a clerk can type (the writer stores no NaN or infinity).
_TYPED = st.one_of(
    st.integers(min_value=-(10**14), max_value=10**14),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["", " 12 ", "\x0b税", "\u3000１２３", "1,234.5", "2000万", "（一）", "—", "a\tb", "1.005"]),
)


@settings(max_examples=10, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=400),
    changes=st.lists(st.tuples(st.integers(min_value=0, max_value=10**6), _TYPED), max_size=8),
    picks=st.lists(st.integers(min_value=0, max_value=10**6), max_size=4),
)
def test_quick_cells_read_what_the_cell_by_cell_path_reads(tmp_path_factory, seed, changes, picks) -> None:
    """The reader's quick path for the usual cell (an intact formula, a plain input) gives exactly the cells,
    rows and findings of the cell-by-cell path, on departments with odd values typed and formulas edited."""
    from xltools.edition import load_edition
    from xltools.synth import department
    from xltools.template.write import write_template

    ed = load_edition("hebei-county-2020")
    data = department(ed, seed)
    slots = [
        (row, key)
        for table in sorted(data)
        for row in (data[table] if isinstance(data[table], list) else data[table].values())
        if isinstance(row, dict)
        for key in sorted(row)
        if key not in ("code", "unit")
    ]
    for at, raw in changes:
        row, key = slots[at % len(slots)]
        row[key] = raw
    path = tmp_path_factory.mktemp("quick") / "book.xlsx"
    write_template(ed, path, data)
    quick, slow = _read_both(_formulas_edited(path.read_bytes(), picks))
    assert quick == slow
