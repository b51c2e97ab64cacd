"""The OOXML layer: the sheet scan reads XML by its grammar (any attribute order, quoting or prefix, comments,
CDATA, cells placed by position), its two scanners agree, the package resolves styles and shared-string
indexes, and the reader gives the same findings for the same workbook however its XML is written."""

from __future__ import annotations

import io
import os
import threading
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from xltools.errors import UnreadableError
from xltools.ooxml.package import open_package, read_at_most, resolve
from xltools.ooxml.scan import _exact, _region, scan_sheet
from xltools.ooxml.styles import Styles, is_date_code
from xltools.reader.read import read_workbook
from xltools.validate import validate_file

from .robustness import corpus_producers as producers
from .robustness.corpus import edit_zip, sheet_part, where, with_cell, workbook_bytes

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
VARIANTS = [
    producers.attribute_order,
    producers.single_quotes,
    producers.namespace_prefix,
    producers.strict_namespaces,
    producers.sheet_target_parent,
]


def _findings(path: Path) -> list[tuple[str, str, str, str, str]]:
    return [(f.rule, f.severity, f.sheet, f.cell, f.message) for f in validate_file(path).findings]


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("orig") / "example.xlsx"
    p.write_bytes(workbook_bytes())
    return p


@pytest.mark.parametrize("make", VARIANTS, ids=lambda f: f.__name__)
def test_other_producers_give_exactly_the_original_findings(make, original: Path, tmp_path: Path) -> None:
    p = tmp_path / "variant.xlsx"
    p.write_bytes(make())
    assert _findings(p) == _findings(original)


def _sheets(zb: bytes) -> list[bytes]:
    with zipfile.ZipFile(io.BytesIO(zb)) as zf:
        return [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/") and n.endswith(".xml")]


@pytest.mark.parametrize("make", [workbook_bytes, *VARIANTS[:3]], ids=lambda f: f.__name__)
def test_fast_and_exact_scanners_agree(make) -> None:
    for data in _sheets(make()):
        fast = scan_sheet(data)
        exact = _exact(_region(data)[0])
        assert not fast.exact
        assert fast.formulas == exact.formulas and fast.errors == exact.errors
        assert {c.ref: c for c in fast.cells()} == {c.ref: c for c in exact.cells()}


def _sheet(rows: str, prefix: str = "") -> bytes:
    p = f"{prefix}:" if prefix else ""
    ns = f"xmlns:{prefix}" if prefix else "xmlns"
    return (
        f'<?xml version="1.0"?><{p}worksheet {ns}="{MAIN}"><{p}sheetData>{rows}</{p}sheetData></{p}worksheet>'.encode()
    )


def test_cell_view_exposes_type_style_formula_and_value() -> None:
    scan = scan_sheet(
        _sheet(
            '<row r="3"><c s="7" t="s" r="B3"><v>12</v></c>'
            "<c r='C3' t='str'><f t='shared' ref='C3:C9' si='0'>A3&amp;\"x\"</f><v>ax</v></c>"
            '<c r="D3"><f t="shared" si="0"/></c><c r="E3" t="e"><v>#N/A</v></c>'
            '<c r="F3" t="inlineStr"><is><t>文字</t></is></c><c r="G3" s="2"/></row>'
        )
    )
    b3, c3, d3, e3, f3 = (scan.cell(r) for r in ("B3", "C3", "D3", "E3", "F3"))
    assert (b3.t, b3.s, b3.value, b3.has_value, b3.formula) == ("s", 7, "12", True, None)
    assert c3.formula == b'A3&amp;"x"' and c3.shared_index == "0" and c3.formula_attrs["ref"] == "C3:C9"
    assert d3.formula == b"" and d3.shared_index == "0" and not d3.has_value
    assert (e3.t, e3.value) == ("e", "#N/A") and scan.errors == {"E3": "#N/A"}
    assert f3.inline and f3.t == "inlineStr"
    assert scan.cell("G3") is None  # an empty styled cell holds nothing
    assert scan.formulas == {"C3": b'A3&amp;"x"', "D3": b""}


def test_prefixed_cells_are_cells() -> None:
    scan = scan_sheet(_sheet('<x:row r="1"><x:c r="A1"><x:f>SUM(B1:C1)</x:f><x:v>3</x:v></x:c></x:row>', "x"))
    assert scan.formulas == {"A1": b"SUM(B1:C1)"} and not scan.exact


def test_comments_and_cdata_are_not_cells() -> None:
    scan = scan_sheet(
        _sheet(
            '<row r="1"><!-- <c r="A1"><f>FAKE()</f></c> -->'
            '<c r="B1" t="inlineStr"><is><t><![CDATA[<c r="C1"><f>X</f></c>]]></t></is></c>'
            '<c r="D1"><f><![CDATA[IF(A1<2,1,0)]]></f><v>1</v></c></row>'
        )
    )
    assert scan.exact
    assert scan.formulas == {"D1": b"IF(A1&lt;2,1,0)"}
    assert sorted(c.ref for c in scan.cells()) == ["B1", "D1"]


def test_cells_placed_by_position_get_their_implied_reference() -> None:
    scan = scan_sheet(_sheet('<row><c><v>1</v></c><c/><c><f>A1</f><v>1</v></c></row><row r="5"><c><v>2</v></c></row>'))
    assert scan.exact and scan.formulas == {"C1": b"A1"}
    assert [c.ref for c in scan.cells()] == ["A1", "C1", "A5"]
    assert (scan.rows, scan.cols) == (5, 3)


def test_greater_than_inside_an_attribute_value() -> None:
    scan = scan_sheet(_sheet('<row r="2"><c x:note="a>b" r="A2" xmlns:x="urn:x"><f>1+1</f><v>2</v></c></row>'))
    assert scan.formulas == {"A2": b"1+1"}


@pytest.mark.parametrize("note", ["", ' x:n="p>q"'], ids=["quick", "greater-than-in-a-value"])
def test_formulas_errors_and_string_values_agree_with_the_exact_scan(note: str) -> None:
    data = _sheet(
        f'<row r="1"><c r="A1" s="2" t="s"><v>3</v></c><c r="B1"{note}><f>1+1</f><v>2</v></c>'
        '<c r="C1" t="s"><f>"a"</f><v>-1</v></c><c r="D1" t="e"><v>#N/A</v></c><c r="E1" s="1"/>'
        "<c r='F1' t='s'><v>7</v></c></row>"
    )
    fast, exact = scan_sheet(data), _exact(_region(data)[0])
    assert not fast.exact
    assert fast.formulas == exact.formulas == {"B1": b"1+1", "C1": b'"a"'}
    assert fast.errors == exact.errors == {"D1": "#N/A"}
    assert sorted(fast.string_values or []) == [b"-1", b"3", b"7"]
    assert sorted(c.ref for c in exact.cells() if c.t == "s") == ["A1", "C1", "F1"]


def test_far_cell_is_measured_exactly() -> None:
    scan = scan_sheet(_sheet('<row r="1"><c r="A1"><v>1</v></c></row><row r="70000"><c r="AB70000"><v>1</v></c></row>'))
    assert (scan.rows, scan.cols, scan.far, scan.bound) == (70000, 28, "AB70000", False)


def test_relationship_targets_resolve_like_paths() -> None:
    assert resolve("xl/workbook.xml", "worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve("xl/workbook.xml", "../xl/worksheets/sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve("xl/workbook.xml", "/xl/worksheets/./sheet1.xml") == "xl/worksheets/sheet1.xml"
    assert resolve("xl/workbook.xml", "../../etc/passwd").startswith("/")  # outside: no part has that name


def test_date_formats() -> None:
    assert is_date_code("yyyy-mm-dd") and is_date_code('yyyy"年"m"月"d"日"') and is_date_code("[h]:mm")
    assert not is_date_code("#,##0.00") and not is_date_code("General") and not is_date_code('0.00"元"')
    assert not is_date_code("[Red]0.00") and not is_date_code("@")
    styles = Styles(xf_formats=[0, 14, 164, 165], codes={164: "0.00", 165: "yyyy/m/d"})
    assert [styles.is_date(i) for i in range(5)] == [False, True, False, True, False]


def test_package_resolves_styles_and_shared_string_indexes() -> None:
    zb = workbook_bytes()
    sheet, ref = where("cover", "year", "value")
    pkg = open_package(zb, "example.xlsx")
    try:
        n = pkg.shared_strings
        assert n > 100
        assert pkg.valid_string_index("0") and pkg.valid_string_index(str(n - 1))
        for bad in ("-1", str(10**20), str(n), "1.5", "", None):
            assert not pkg.valid_string_index(bad), bad
        cell = pkg.scan(sheet).cell(ref)
        assert cell is not None and cell.t == "n" and not pkg.is_date(cell.s)
        assert pkg.sheets[sheet] == sheet_part(zb, sheet)
    finally:
        pkg.close()


def test_read_from_bytes_is_read_from_the_file(original: Path) -> None:
    data = original.read_bytes()
    by_path, by_bytes = read_workbook(original), read_workbook(data, name=original)
    assert by_path.book.cells.keys() == by_bytes.book.cells.keys()
    assert all(by_path.book.cells[k].value == by_bytes.book.cells[k].value for k in by_path.book.cells)
    assert [f.message for f in by_path.findings] == [f.message for f in by_bytes.findings]


def test_value_bytes_store_the_verified_parts_and_copy_the_rest() -> None:
    """calamine reads the parts inflated and checked at open, stored (not inflated again); a part not kept (a
    picture, a non-ASCII name, a part already stored) is copied with its own method; same names, order, bytes."""
    from python_calamine import CalamineWorkbook

    extra = zipfile.ZipInfo("xl/media/图1.png")
    extra.compress_type = zipfile.ZIP_STORED
    buf = io.BytesIO(workbook_bytes())
    with zipfile.ZipFile(buf, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(extra, b"\x89PNG" + bytes(range(256)))
        zf.writestr("xl/vbaProject.bin", b"\x00" * 500)
    original = buf.getvalue()
    pkg = open_package(original)
    try:
        copy = pkg.value_bytes()
    finally:
        pkg.close()
    with zipfile.ZipFile(io.BytesIO(original)) as a, zipfile.ZipFile(io.BytesIO(copy)) as b:
        assert b.testzip() is None  # every CRC holds
        assert [i.filename for i in b.infolist()] == [i.filename for i in a.infolist()]
        assert all(b.read(n) == a.read(n) for n in a.namelist())
        methods = {i.filename: i.compress_type for i in b.infolist()}
    assert methods["xl/worksheets/sheet1.xml"] == methods["xl/sharedStrings.xml"] == zipfile.ZIP_STORED
    assert methods["xl/vbaProject.bin"] == zipfile.ZIP_DEFLATED and methods["xl/media/图1.png"] == zipfile.ZIP_STORED
    before, after = (
        CalamineWorkbook.from_filelike(io.BytesIO(original)),
        CalamineWorkbook.from_filelike(io.BytesIO(copy)),
    )
    assert after.sheet_names == before.sheet_names
    for name in before.sheet_names:
        assert after.get_sheet_by_name(name).to_python() == before.get_sheet_by_name(name).to_python()


def test_value_bytes_write_a_parent_target_the_usual_way() -> None:
    pkg = open_package(producers.sheet_target_parent())
    try:
        copy = pkg.value_bytes()
    finally:
        pkg.close()
    with zipfile.ZipFile(io.BytesIO(copy)) as zf:
        rels = zf.read("xl/_rels/workbook.xml.rels")
    assert b"../" not in rels and b'Target="worksheets/' in rels


def test_bytes_that_are_not_a_workbook_name_the_given_path() -> None:
    from xltools.errors import UnreadableError

    with pytest.raises(UnreadableError) as e:
        read_workbook(b"%PDF-1.4", name="收件/网信办.xlsx")
    assert e.value.finding.rule == "read.not-xlsx" and "收件/网信办.xlsx" in e.value.finding.message


def test_date_formatted_cell_is_seen_as_a_date() -> None:
    """A number typed in a cell whose format is a date: the package tells it from a plain number."""
    import re

    sheet, ref = where("t02", "r0", "special")
    zb = with_cell("t02", "r0", "special", "<v>43891</v>")
    with zipfile.ZipFile(io.BytesIO(zb)) as zf:
        xfs = zf.read("xl/styles.xml").split(b"<cellXfs", 1)[1].split(b"</cellXfs>", 1)[0].count(b"<xf ")

    def add_style(x: bytes) -> bytes:
        fmt = b'<numFmts count="1"><numFmt numFmtId="200" formatCode="yyyy-mm-dd"/></numFmts>'
        x = x.replace(b"<fonts", fmt + b"<fonts", 1)
        return x.replace(b"</cellXfs>", b'<xf numFmtId="200" fontId="0" fillId="0" borderId="0"/></cellXfs>', 1)

    def restyle(x: bytes) -> bytes:
        return re.sub(rb'<c r="' + ref.encode() + rb'" s="\d+"', b'<c s="%d" r="%s"' % (xfs, ref.encode()), x)

    out = edit_zip(zb, {"xl/styles.xml": add_style, sheet_part(zb, sheet): restyle})
    pkg = open_package(out, "dated.xlsx")
    try:
        cell = pkg.scan(sheet).cell(ref)
        assert cell is not None and (cell.s, cell.value) == (xfs, "43891") and pkg.is_date(cell.s)
        assert not pkg.is_date(0)
    finally:
        pkg.close()


@pytest.mark.parametrize("part", ["xl/workbook.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels"])
def test_parts_parsed_by_the_c_parser_still_refuse_a_dtd_in_any_encoding(part: str) -> None:
    """The package parses a part with the C parser only after every prolog was checked: a DTD in UTF-16 (no
    byte pattern sees it) in a part the package itself parses is refused, never expanded."""

    def to16(x: bytes) -> bytes:
        text = x.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"')
        root = text.index("<", text.index("?>") + 2 if text.startswith("<?xml") else 0)
        dtd = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        return "\ufeff".encode("utf-16-le") + (text[:root] + dtd + text[root:]).encode("utf-16-le")

    data = edit_zip(workbook_bytes(), {part: to16})
    with pytest.raises(UnreadableError) as err:
        open_package(data, "dtd.xlsx").close()
    assert err.value.finding.rule == "read.unsafe-xml"


def test_c_parser_and_defusedxml_build_the_same_trees() -> None:
    import defusedxml.ElementTree as DET

    from xltools.ooxml.package import _parse_xml

    def shape(el: ET.Element) -> tuple:
        return (el.tag, sorted(el.attrib.items()), (el.text or "").strip(), [shape(c) for c in el])

    pkg = open_package(workbook_bytes(), "example.xlsx")
    try:
        for part in ("xl/workbook.xml", "[Content_Types].xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"):
            assert shape(_parse_xml(pkg, part)) == shape(DET.fromstring(pkg.part(part), forbid_dtd=True))
    finally:
        pkg.close()


@pytest.mark.parametrize("size", [0, 1, 99, 100, 101, 250])
def test_a_file_is_read_whole_or_to_one_byte_past_the_limit(tmp_path: Path, size: int) -> None:
    f = tmp_path / "f.bin"
    f.write_bytes(bytes(range(256))[:size])
    with f.open("rb") as fh:
        assert read_at_most(fh, limit=100) == f.read_bytes()[:101]


@pytest.mark.parametrize(("written", "expected"), [(10, 10), (100, 100), (250, 101)])
def test_a_file_that_grows_after_its_size_was_taken_is_read_on_to_the_limit(
    tmp_path: Path, written: int, expected: int
) -> None:
    # a FIFO's size reads 0 though bytes come: the case of a file that grew between fstat and read
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    data = bytes(range(256))[:written]
    writer = threading.Thread(target=fifo.write_bytes, args=(data,))
    writer.start()
    with fifo.open("rb") as fh:
        got = read_at_most(fh, limit=100)
    writer.join()
    assert got == data[:expected]
