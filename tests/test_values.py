"""The one-pass read of a sheet's values (xltools/ooxml/values.py) gives python-calamine's grid, the scan's
formulas and error cells, or nothing (the caller then reads with calamine): checked against calamine itself on
the template's workbooks, the robustness corpus, hand-written edge cases and generated sheets; and the reader
gives the same cells and findings with it on and off."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from xltools.errors import UnreadableError
from xltools.ooxml import values
from xltools.ooxml.package import open_package
from xltools.ooxml.scan import scan_sheet
from xltools.ooxml.values import plain_styles, shared_strings, sheet_values
from xltools.reader import read

from .robustness import corpus

ROOT = Path(__file__).resolve().parent.parent


def _same(a: list[list[Any]], b: list[list[Any]]) -> bool:
    """Equal grids, value by value and type by type (3.0 and 3, True and 1 differ)."""
    return (
        len(a) == len(b)
        and all(len(ra) == len(rb) for ra, rb in zip(a, b, strict=True))
        and all(x == y and type(x) is type(y) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True))
    )


def _check_against_calamine(data: bytes) -> int:
    """Every sheet the one pass takes: calamine's grid, the scan's formulas and error cells. Returns how many
    sheets it took."""
    pkg = open_package(data)
    if pkg.quick_book() is None:
        return 0
    wb = CalamineWorkbook.from_filelike(io.BytesIO(pkg.value_bytes()))
    assert list(wb.sheet_names) == list(pkg.sheets)
    taken = 0
    for name, part in pkg.sheets.items():
        got = pkg.quick_values(name)
        if got is None:
            continue
        taken += 1
        grid, formulas, errors = got
        assert _same(grid, wb.get_sheet_by_name(name).to_python(skip_empty_area=False)), name
        scan = scan_sheet(pkg.part(part))
        assert formulas == scan.formulas and errors == scan.errors, name
    return taken


def _view(source: Path | bytes) -> object:
    try:
        res = read.read_workbook(source)
    except UnreadableError as e:
        return "unreadable", e.finding.to_json()
    cells = {k: (c.sheet, c.a1, c.value, str(c.value), repr(c.raw), c.state) for k, c in res.book.cells.items()}
    return cells, res.book.list_rows, [f.to_json() for f in res.findings], sorted(res.book.missing_tables)


def _both(source: Path | bytes) -> tuple[object, object]:
    quick = _view(source)
    read.QUICK_VALUES = False
    try:
        slow = _view(source)
    finally:
        read.QUICK_VALUES = True
    return quick, slow


# ---- the template's own workbooks ----


@pytest.mark.parametrize("name", ["longyao-cac-2020.xlsx", "longyao-cac-2020.as-published.xlsx"])
def test_every_sheet_of_the_examples_is_read_in_one_pass_as_calamine_reads_it(name: str) -> None:
    data = (ROOT / "examples" / name).read_bytes()
    assert _check_against_calamine(data) == len(open_package(data).sheets)  # all of them: the path is used
    quick, slow = _both(data)
    assert quick == slow


def test_the_generated_departments_read_the_same_with_and_without_the_one_pass(tmp_path: Path) -> None:
    from xltools.edition import load_edition
    from xltools.synth import department
    from xltools.template.write import write_template

    ed = load_edition("hebei-county-2020")
    for seed in (3, 17):
        path = tmp_path / f"dept{seed}.xlsx"
        write_template(ed, path, department(ed, seed))
        data = path.read_bytes()
        assert _check_against_calamine(data) == len(open_package(data).sheets)
        quick, slow = _both(data)
        assert quick == slow


# ---- the robustness corpus: every kind reads as before ----


@pytest.fixture(scope="module")
def corpus_files(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("values-corpus")
    return [(kid, p) for kid, p in corpus.build_all(folder) if p.is_file() and not corpus.KINDS[kid].big]


def test_the_robustness_corpus_reads_the_same_with_and_without_the_one_pass(corpus_files) -> None:
    taken = 0
    for kid, p in corpus_files:
        quick, slow = _both(p)
        assert quick == slow, kid
        try:
            taken += _check_against_calamine(p.read_bytes())
        except UnreadableError:
            pass
    assert taken > 100  # most kinds are the template's workbook with one thing wrong: the one pass reads them


# ---- edge cases, each against calamine ----

_CT = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WB_RELS = (
    '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
# styles 0 General, 1 #,##0.00, 2 built-in date 14, 3 yyyy-mm-dd, 4 [h]:mm, 5 #,##0.00;[Red]-#,##0.00
_STYLES = (
    '<?xml version="1.0"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="4"><numFmt numFmtId="164" formatCode="#,##0.00"/><numFmt numFmtId="165" '
    'formatCode="yyyy-mm-dd"/><numFmt numFmtId="166" formatCode="[h]:mm"/>'
    '<numFmt numFmtId="167" formatCode="#,##0.00;[Red]-#,##0.00"/></numFmts><cellXfs count="6">'
    '<xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="14"/><xf numFmtId="165"/><xf numFmtId="166"/>'
    '<xf numFmtId="167"/></cellXfs></styleSheet>'
)


def _book(rows: str, strings: tuple[str, ...] = (), outside: str = "") -> bytes:
    strings = strings or ("<si><t>x</t></si>",)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr(
            "xl/sharedStrings.xml",
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/'
            f'2006/main" count="{len(strings)}" uniqueCount="{len(strings)}">' + "".join(strings) + "</sst>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet '
            'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="A1"/>'
            f"<sheetData>{rows}</sheetData>{outside}</worksheet>",
        )
    return out.getvalue()


def _si(text: str, preserve: bool = False) -> str:
    return f'<si><t xml:space="preserve">{text}</t></si>' if preserve else f"<si><t>{text}</t></si>"


def _calamine(data: bytes) -> list[list[Any]]:
    return CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_name("S").to_python(skip_empty_area=False)


# (rows, shared strings, what the one pass must give: the grid, or None for "left to calamine")
TAKEN = {
    "numbers in plain styles": (
        '<row r="1"><c r="A1"><v>3</v></c><c r="B1" s="1"><v>-0.5</v></c><c r="C1" s="5"><v>1E3</v></c>'
        '<c r="D1" t="n"><v>+.5</v></c></row>',
        (),
        [[3.0, -0.5, 1000.0, 0.5]],
    ),
    "a formula's empty text counts, an uncached result does not": (
        '<row r="1"><c r="A1"><v>1</v></c><c r="C1" t="str"><f>""</f><v></v></c>'
        '<c r="E1"><f>1+1</f></c><c r="F1"><f>1+1</f><v></v></c></row>',
        (),
        [[1.0, "", ""]],
    ),
    "an error value is a blank that counts": (
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="4"><c r="B4" t="e"><v>#N/A</v></c></row>',
        (),
        [[1.0, ""], ["", ""], ["", ""], ["", ""]],
    ),
    "shared strings trimmed unless preserved": (
        '<row r="2"><c r="B2" t="s"><v>0</v></c><c r="C2" t="s"><v>1</v></c><c r="D2" t="s"><v>2</v></c></row>',
        (_si(" a "), _si(" b ", preserve=True), _si("&amp;&lt;&#37096;&#x41;")),
        [["", "", "", ""], ["", "a", " b ", "&<部A"]],
    ),
    "shared strings without entities (read as decoded text), trimmed unless preserved": (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c>'
        '<c r="D1" t="s"><v>3</v></c></row>',
        (_si("\t项目 \n"), _si(" b ", preserve=True), _si("\u3000全角\u3000"), "<si><t/></si>"),
        [["项目", " b ", "\u3000全角\u3000", ""]],
    ),
    "CJK phonetic properties are ignored": (
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        ('<si><t>项目</t><phoneticPr fontId="1" type="noConversion"/></si>',),
        [["项目"]],
    ),
    "booleans, empty styled cells, rows out of order": (
        '<row r="2"><c r="B2" t="b"><v>0</v></c><c r="C2" s="3"/></row><row r="1"><c r="A1" t="b"><v>1</v></c></row>',
        (),
        [[True, ""], ["", False]],
    ),
    "no value at all": ('<row r="1"><c r="A1" s="1"/></row>', (), []),
}
LEFT = {
    "a date style (built-in)": ('<row r="1"><c r="A1" s="2"><v>43000</v></c></row>', ()),
    "a date style (custom)": ('<row r="1"><c r="A1" s="3"><v>43000.5</v></c></row>', ()),
    "a duration style": ('<row r="1"><c r="A1" s="4"><v>1.5</v></c></row>', ()),
    "a number with blanks (calamine: text)": ('<row r="1"><c r="A1"><v> 5 </v></c></row>', ()),
    "infinity": ('<row r="1"><c r="A1"><v>inf</v></c></row>', ()),
    "a shared-string index too large": ('<row r="1"><c r="A1" t="s"><v>5</v></c></row>', (_si("x"),)),
    "an _xHHHH_ escape": ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', (_si("a_x000D_b"),)),
    "rich text": ('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', ("<si><r><t>a</t></r><r><t>b</t></r></si>",)),
    "a carriage return": ('<row r="1"><c r="A1" t="str"><f>1</f><v>a\r\nb</v></c></row>', ()),
    "a cell in a comment": ('<row r="1"><!-- /> <c r="A1"><v>5</v></c> --></row>', ()),
    "attributes in another order": ('<row r="1"><c s="1" r="A1"><v>5</v></c></row>', ()),
    "a prefixed cell": ('<row r="1"><x:c xmlns:x="urn:x" r="A1"><x:v>5</x:v></x:c></row>', ()),
    "a shared formula": ('<row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="0">1</f><v>1</v></c></row>', ()),
    "an inline string": ('<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>', ()),
    "a date cell": ('<row r="1"><c r="A1" t="d"><v>2020-01-01</v></c></row>', ()),
    "an unknown entity": ('<row r="1"><c r="A1" t="str"><f>1</f><v>a&nbsp;b</v></c></row>', ()),
    "a cell beyond Z": ('<row r="1"><c r="AA1"><v>5</v></c></row>', ()),
}


STRINGS_LEFT = {"an _xHHHH_ escape", "rich text"}


@pytest.mark.parametrize("case", TAKEN)
def test_a_sheet_in_the_writers_form_gives_calamines_grid(case: str) -> None:
    rows, strings, expected = TAKEN[case]
    data = _book(rows, strings)
    assert _same(_calamine(data), expected)  # the case states what calamine gives
    got = open_package(data).quick_values("S")
    assert got is not None and _same(got[0], expected)


@pytest.mark.parametrize("case", LEFT)
def test_anything_else_is_left_to_calamine(case: str) -> None:
    rows, strings = LEFT[case]
    data = _book(rows, strings)
    pkg = open_package(data)
    if case in STRINGS_LEFT:  # the shared strings themselves: no sheet of the workbook is read in one pass
        assert pkg.quick_book() is None
    else:
        assert pkg.quick_book() is not None and pkg.quick_values("S") is None


def test_malformed_xml_after_the_sheet_data_is_left_to_calamine() -> None:
    data = _book('<row r="1"><c r="A1"><v>5</v></c></row>', outside="<mergeCells><mergeCell ref='A1:B1'></mergeCells>")
    assert open_package(data).quick_values("S") is None


def test_a_constant_error_cell_is_an_error_of_the_sheet_and_a_formula_error_is_not() -> None:
    data = _book('<row r="1"><c r="A1" t="e"><v>#DIV/0!</v></c><c r="B1" t="e"><f>1/0</f><v>#DIV/0!</v></c></row>')
    grid, formulas, errors = open_package(data).quick_values("S")  # type: ignore[misc]
    assert errors == {"A1": "#DIV/0!"} and formulas == {"B1": b"1/0"} and grid == [["", ""]]


def test_styles_and_strings_parts() -> None:
    assert plain_styles(_STYLES.encode()) == frozenset({b"", b"0", b"1", b"5"})
    assert plain_styles(b"<styleSheet") is None  # does not parse: calamine decides
    assert shared_strings(None) == []
    sst = shared_strings(b'<sst xmlns="m"><si><t> a </t></si><si><t>&#20013;</t></si></sst>')
    assert sst is not None and [sst.text(i) for i in range(2)] == ["a", "中"]
    assert shared_strings(b'<sst xmlns="m"><si><t>a&nbsp;</t></si></sst>') is None  # an entity XML lacks
    assert shared_strings(b'<sst xmlns="m"><si><t>a</t></si> <si><t>b</t></si></sst>') is None  # a blank between
    # without entities: the part is decoded once, by the same grammar
    plain = b'\xef\xbb\xbf<?xml version="1.0"?>\n<sst xmlns="m"><si><t> a </t></si><si><t>\xe4\xb8\xad</t></si></sst>\n'
    assert shared_strings(plain) == ["a", "中"]
    assert shared_strings(b'<sst xmlns="m"><si><t>\xe4\xb8</t></si></sst>') is None  # not UTF-8
    assert shared_strings('<sst xmlns="m"><si><t>a</t></si></sst>\u3000'.encode()) is None  # not an XML blank
    assert shared_strings('<sst xmlns="m" \u00e9="1"><si><t>a</t></si></sst>'.encode()) is None  # attribute name
    assert shared_strings(b'<sst xmlns="m"><si><t>a</t></si>x</sst>') is None  # text between strings


_TEXTS = st.text(alphabet=st.sampled_from(list("ab 中文\t\n\u3000\u00a0\u2028_x<>/\"'=")), max_size=6)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_TEXTS, st.booleans()), max_size=6), st.sampled_from(["", "\n", " ", "\u3000", "x"]))
def test_shared_strings_read_as_text_and_as_bytes_agree(strings: list[tuple[str, bool]], tail: str) -> None:
    """The part without entities (decoded at once) and the same part with one more string holding an entity
    (read as bytes, each string decoded on its own) give the same strings, or are both refused."""
    body = "".join(_si(text, keep) for text, keep in strings)
    as_text = shared_strings(f'<sst xmlns="m">{body}</sst>{tail}'.encode())
    as_bytes = shared_strings(f'<sst xmlns="m">{body}<si><t>&amp;</t></si></sst>{tail}'.encode())
    if as_bytes is None:
        assert as_text is None
        return
    assert as_text is not None
    assert list(as_text) == [as_bytes.text(i) for i in range(len(as_bytes) - 1)] and as_bytes.text(len(strings)) == "&"


# ---- generated sheets ----

_VALUES = st.one_of(
    st.tuples(
        st.just("n"), st.sampled_from(["", "1"]), st.from_regex(r"[-+]?[0-9]{1,6}(\.[0-9]{0,3})?", fullmatch=True)
    ),
    st.tuples(st.just("n"), st.sampled_from(["2", "3", "4", "5"]), st.sampled_from(["1", "43000", "0.5"])),
    st.tuples(st.just("n"), st.just(""), st.sampled_from([" 1", "1_0", "nan", "-", "", "1e5", ".5"])),
    st.tuples(st.just("s"), st.just(""), st.sampled_from(["0", "1", "2", "3", " 1", "9", ""])),
    st.tuples(st.just("str"), st.just(""), st.sampled_from(["", "a b", " x ", "&amp;", "&#20013;", "a&b", "_x0041_"])),
    st.tuples(st.just("b"), st.just(""), st.sampled_from(["0", "1", ""])),
    st.tuples(st.just("e"), st.just(""), st.sampled_from(["#N/A", "#DIV/0!", ""])),
)
_STRINGS = (_si("x"), _si(" y "), _si(" z ", preserve=True), _si("&lt;中&gt;"))


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(1, 30), st.integers(0, 25), _VALUES, st.booleans(), st.booleans()),
        min_size=1,
        max_size=25,
    )
)
def test_generated_sheets_give_calamines_grid_or_are_left_to_it(cells) -> None:
    by_row: dict[int, dict[int, str]] = {}
    for row, col, (t, s, v), formula, empty in cells:
        ref = f"{chr(65 + col)}{row}"
        attrs = f' r="{ref}"' + (f' s="{s}"' if s else "") + (f' t="{t}"' if t != "n" or not s else "")
        inner = ("<f>1+1</f>" if formula else "") + ("" if empty and formula else f"<v>{v}</v>")
        by_row.setdefault(row, {})[col] = f"<c{attrs}>{inner}</c>"
    rows = "".join(
        f'<row r="{r}">' + "".join(c for _, c in sorted(by_row[r].items())) + "</row>" for r in sorted(by_row)
    )
    data = _book(rows, _STRINGS)
    got = open_package(data).quick_values("S")
    if got is None:
        return
    assert _same(got[0], _calamine(data))
    scan = scan_sheet(zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml"))
    assert got[1] == scan.formulas and got[2] == scan.errors


def test_sheet_values_needs_the_sheet_data() -> None:
    assert sheet_values(b"<worksheet/>", [], frozenset({b""})) is None


def _part(strings: list[str], count: int) -> bytes:
    body = "".join(_si(s, preserve=s.startswith(" ")) for s in strings)
    return f'<sst xmlns="m" count="{count}" uniqueCount="{len(strings)}">{body}</sst>'.encode()


def _fresh(data: bytes) -> list[str] | None:
    values.forget()
    got = shared_strings(data)
    return None if got is None else list(got)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 2), st.integers(0, 600), st.sampled_from(["单位名称", " 前后空格 ", "x<y", "测试县第1局"])
        ),
        min_size=1,
        max_size=8,
    )
)
def test_a_known_run_of_shared_strings_reads_as_the_part_read_whole(books: list[tuple[int, int, str]]) -> None:
    """A sequence of parts of three 'templates' (a long shared run of code-list names each), each part with one
    string changed or added at some place (inside the run too, and a '<' that breaks the part): read in a row,
    with the runs the earlier parts taught, every part gives what it gives read alone."""
    templates = [[f"{k}{i:03d}项目名称{'甲乙丙'[k]}" for i in range(400)] for k in range(3)]
    parts = []
    for k, where, text in books:
        strings = list(templates[k])
        strings.insert(min(where, len(strings)), text)
        parts.append(_part(strings, 1000 + where))
    expected = [_fresh(p) for p in parts]
    values.forget()
    for _ in range(2):  # the second round reads with every run learnt
        assert [None if (g := shared_strings(p)) is None else list(g) for p in parts] == expected


def test_shared_strings_learn_a_template_s_run_and_use_it() -> None:
    names = [f"{i:03d}一般公共服务支出" for i in range(400)]
    a, b = _part([*names, "测试县第1局"], 1), _part([*names, "测试县第2局"], 2)
    c = _part([*names, "测试县第3局", "101003"], 3)
    values.forget()
    assert list(shared_strings(a)) == [*names, "测试县第1局"] and values._RUNS == []
    assert list(shared_strings(b)) == [*names, "测试县第2局"]
    ((run, strings),) = values._RUNS  # the 400 names, learnt from a and b
    assert strings == names and run.endswith(_si(names[-1]).encode()) and run.count(b"<si>") == 400
    assert list(shared_strings(c)) == [*names, "测试县第3局", "101003"]
    # a part whose run has the same bytes but a string that is not UTF-8 after it is still refused
    assert shared_strings(c.replace(b"101003", b"\xff")) is None
