"""A sheet's values, formulas and error cells in one pass over its XML, as python-calamine would give the values,
for a sheet in the writers' own form (what xlsxwriter and Excel write); None for anything else, which the
caller then reads with calamine and the sheet scan (scan.py), as before.

python-calamine parses the sheet for its values and the scan parses it again for the formulas (a cached value
is never trusted): in a template's workbook both are most of a merge worker's time. The one pass here costs
about half of the two. It only answers where it is sure to give calamine's grid:

- the package: every sheet a worksheet part, the shared strings each a plain `<si><t>…</t></si>` (no rich
  text, no phonetic run, no `_xHHHH_` escape, no carriage return), a styles part that parses;
- the sheet: UTF-8, its XML well formed outside <sheetData> (checked once per distinct head and tail), and
  every '<' inside it is a row tag or a cell written `<c r="A1" s="…" t="…">` with at most `<f>…</f>` (or
  `<f/>`) and `<v>…</v>`: the '<' are counted, so a comment, CDATA, a prefix, an inline string, a shared
  formula or any other form sends the sheet to calamine;
- each value: a number in the plain decimal form Rust parses the same way, in a style whose number format
  calamine never reads as a date; a shared-string index that names a string; TRUE/FALSE as 1/0; text whose
  entities are XML's own.

tests/test_values.py compares every grid this gives with calamine's, value and type, over the examples,
generated departments, the robustness corpus, edge cases and generated sheets; and the reader's cells and
findings with and without it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from .scan import _no_value, no_markup

# A cell with content in the writers' own form. Groups: column letter, row number, style, type, the <f> element,
# the <v> element. Possessive: a token that cannot give back is never retried (a third less time than without).
_CELL = re.compile(
    rb'<c r="([A-Z])([1-9][0-9]{0,3})"(?: s="([0-9]{1,6})")?+(?: t="([A-Za-z]{1,9})")?+>'
    rb"(<f>[^<]*+</f>|<f/>)?+(<v>[^<]*+</v>)?+</c>"
)
_ATTRS = rb'(?: [A-Za-z_][\w.:-]{0,40}="[^"<>]*")*'  # attributes in double quotes, one blank before each
_ROW = re.compile(rb"<row[^<>]*+>")  # a row's start tag (its attributes are not read)
_NUMBER_BYTES = b"0123456789.+-eE"
_ENTITY = re.compile(rb"&(?:(amp|lt|gt|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));")
_NAMED = {b"amp": "&", b"lt": "<", b"gt": ">", b"quot": '"', b"apos": "'"}
_SST_HEAD = re.compile(rb"\A(?:\xef\xbb\xbf)?(?:<\?xml[^<>]*\?>)?\s*<sst" + _ATTRS + rb">")
# A plain shared string, with the phonetic properties Excel adds to CJK text (calamine ignores them)
_PHONETIC = rb"(?:<phoneticPr" + _ATTRS + rb"/>)?"
_SST_BODY = re.compile(rb'(?:<si>(?:<t(?: xml:space="preserve")?>[^<]*</t>|<t/>)' + _PHONETIC + rb"</si>)*")
_SI = re.compile(rb'<si>(?:<t( xml:space="preserve")?>([^<]*)</t>|<t/>)' + _PHONETIC + rb"</si>")
_DECLARED = re.compile(rb"""\A(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_BLANKS = b" \t\n"  # what calamine trims from a shared string without xml:space="preserve" ('\r' is refused)
# The same grammar over decoded text (ASCII classes, as in bytes)
_SST_BODY_TEXT = re.compile(_SST_BODY.pattern.decode(), re.ASCII)
_SI_TEXT = re.compile(_SI.pattern.decode(), re.ASCII)

# Number formats calamine never reads as a date (its built-in date formats are 14–22, 27–36, 45–47, 50–58):
# General, 0, 0.00, #,##0, #,##0.00, the currency, percent, scientific, fraction and accounting forms, text.
_PLAIN_BUILTIN = frozenset(range(0, 14)) | frozenset(range(37, 45)) | {48, 49}
_COLOUR = re.compile(r"\[(?:black|blue|cyan|green|magenta|red|white|yellow|color\s*[0-9]{1,2})\]", re.I)
_QUOTED = re.compile(r'"[^"]*"|\\.')

_KNOWN_MAX = 64
_SKELETONS: set[bytes] = set()  # a sheet part's XML outside <sheetData>, head and tail: checked well formed


def forget() -> None:
    """Empty the per-process memos of checked skeletons and known runs of shared strings
    (bench/validate_instructions.py measures first reads)."""
    _SKELETONS.clear()
    _RUNS.clear()
    _LAST.clear()


def _plain_code(code: str) -> bool:
    """Whether a custom number format shows a number as a number: no letter outside quoted text and
    colours (calamine reads d, m, y, h, s … and [h] as a date or a duration)."""
    rest = _COLOUR.sub("", _QUOTED.sub("", code))
    return "[" not in rest and not any("a" <= ch.lower() <= "z" for ch in rest)


def plain_styles(styles: bytes | None) -> frozenset[bytes] | None:
    """The style indexes (as the s attribute writes them; b"" for none) whose numbers calamine gives as
    floats; None when the styles part does not parse (calamine then decides)."""
    if styles is None:
        return frozenset({b"", b"0"})
    try:
        root = ET.fromstring(styles)
    except ET.ParseError:
        return None
    codes: dict[int, str] = {}
    formats: list[int] = []
    for el in root:
        tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
        if tag == "numFmts":
            for nf in el:
                fid = nf.get("numFmtId", "")
                if fid.isdigit():
                    codes[int(fid)] = nf.get("formatCode", "")
        elif tag == "cellXfs":
            for xf in el:
                fid = xf.get("numFmtId", "0")
                formats.append(int(fid) if fid.isdigit() else -1)  # an odd id: not plain (styles.py reads it as 0)
    plain = {
        str(i).encode()
        for i, fid in enumerate(formats)
        if (_plain_code(codes[fid]) if fid in codes else fid in _PLAIN_BUILTIN)
    }
    if b"0" in plain or not formats:
        plain.add(b"")  # no s attribute: the first format
    return frozenset(plain)


def _text(raw: bytes) -> str | None:
    """XML text as calamine gives it, or None where it may differ (a carriage return, an _xHHHH_ escape, an
    entity XML does not define, bytes that are not UTF-8)."""
    if b"\r" in raw or b"_x" in raw:
        return None
    if b"&" in raw:
        parts: list[bytes] = []
        at = 0
        for m in _ENTITY.finditer(raw):
            parts.append(raw[at : m.start()])
            named, dec, hexa = m.groups()
            if named:
                parts.append(_NAMED[named].encode())
            else:
                code = int(dec) if dec else int(hexa, 16)
                if not (
                    code in (9, 10) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF
                ):
                    return None  # a character XML does not allow, or a carriage return
                parts.append(chr(code).encode("utf-8"))
            at = m.end()
        parts.append(raw[at:])
        if any(b"&" in p for p in parts[::2]):  # the text between entities (parts alternate text, entity)
            return None  # an '&' that opens no known entity
        raw = b"".join(parts)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


class Strings(list):  # type: ignore[type-arg]
    """The shared strings: decoded all at once (`decoded`), or each when a cell first names it (None until
    then), for a part with entities."""

    def __init__(self, raws: list[bytes], decoded: list[str] | None = None) -> None:
        super().__init__([None] * len(raws) if decoded is None else decoded)
        self.raws = raws

    def text(self, i: int) -> str | None:
        """String i as calamine reads it, or None where it may differ (see _text)."""
        got = self[i]
        if got is None:
            got = self[i] = _text(self.raws[i])
        return got


def shared_strings(data: bytes | None) -> Strings | None:
    """Every shared string as calamine reads it, when all are plain; none without the part; None otherwise.
    The usual part (UTF-8, no entity) is decoded once and read as text; one with entities as bytes, each
    string decoded when a cell first names it."""
    if data is None:
        return Strings([])
    if b"\r" in data or b"_x" in data:
        return None  # a carriage return or an _xHHHH_ escape somewhere: calamine's own reading
    head = _SST_HEAD.match(data)
    if head is None:
        return None
    at, end = head.end(), data.rfind(b"</sst>")
    if end < 0 or data[end + 6 :].strip():
        return None
    if b"&" not in data:
        return _plain_strings(data, at, end)
    if _SST_BODY.fullmatch(data, at, end) is None:
        return None
    out = Strings([raw if keep else raw.strip(_BLANKS) for keep, raw in _SI.findall(data, at, end)])
    # calamine reads every string when it opens the workbook, and refuses the workbook for one it cannot
    # read: so is every one checked here
    for i in range(len(out)):
        if out.text(i) is None:
            return None
    return out


def _plain_strings(data: bytes, at: int, end: int) -> Strings | None:
    """shared_strings of a part without entities, its strings between `at` and `end`: decoded as text
    (calamine refuses a workbook with a string that is not UTF-8), read by the same grammar. A known run of
    strings at the start (a template's code lists, the same in every workbook of it) is taken as read before,
    the rest read here."""
    known, skip = _known_run(data, at, end)
    try:
        data[:at].decode("utf-8")
        text = data[at + skip : end].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _SST_BODY_TEXT.fullmatch(text) is None:
        return None
    blanks = _BLANKS.decode()
    strings = known + [raw if keep else raw.strip(blanks) for keep, raw in _SI_TEXT.findall(text)]
    if not skip:
        _learn(data[at:end], strings)
    return Strings([], strings)


# Runs of shared strings met at the start of two parts in a row, as (their bytes, their strings): a string is
# read from its own <si> alone, so a run that ends at a '</si>' reads the same wherever it is found.
_RUNS: list[tuple[bytes, list[str]]] = []
_LAST: list[bytes] = []  # the bodies of the last parts read whole (a county may mix a few templates)
_RUN_MIN = 4096  # bytes: shorter runs are read again
_KEPT = 4


def _known_run(data: bytes, at: int, end: int) -> tuple[list[str], int]:
    """(the strings, the byte length) of a known run at data[at:], or ([], 0)."""
    for run, strings in _RUNS:
        if len(run) <= end - at and data.startswith(run, at):
            return strings, len(run)
    return [], 0


def _learn(body: bytes, strings: list[str]) -> None:
    """Keep the longest run of whole strings this body shares with one of the last ones read whole."""
    best = 0
    for last in _LAST:
        lo, hi = 0, min(len(body), len(last))
        while lo < hi:  # the length of the common prefix, by halves (each step one C comparison)
            mid = (lo + hi + 1) // 2
            if body.startswith(last[:mid]):
                lo = mid
            else:
                hi = mid - 1
        best = max(best, lo)
    _LAST.insert(0, body)
    del _LAST[_KEPT:]
    cut = body.rfind(b"</si>", 0, best) + 5  # the run ends with a whole string
    if cut < _RUN_MIN:
        return
    _RUNS.insert(0, (body[:cut], strings[: body.count(b"<si>", 0, cut)]))
    del _RUNS[_KEPT:]


def _utf8(data: bytes) -> bool:
    m = _DECLARED.match(data)
    return m is None or m.group(1).lower() in (b"utf-8", b"utf8")


def _well_formed_outside(data: bytes, start: int, end: int) -> bool:
    """Whether the part parses with its <sheetData> emptied (once per distinct head and tail)."""
    skeleton = data[:start] + b"<sheetData>" + data[end:]
    if skeleton in _SKELETONS:
        return True
    try:
        ET.fromstring(skeleton)
    except ET.ParseError:
        return False
    if len(_SKELETONS) >= _KNOWN_MAX:
        _SKELETONS.clear()
    _SKELETONS.add(skeleton)
    return True


def sheet_values(
    data: bytes, sst: Strings, plain: frozenset[bytes]
) -> tuple[list[list[Any]], dict[str, bytes], dict[str, str]] | None:
    """(calamine's grid from A1, A1 -> formula XML text as the scan gives it, A1 -> error value of each constant
    error cell), or None when the sheet is not in the writers' own form."""
    start = data.find(b"<sheetData>")
    end = data.find(b"</sheetData>", start)
    if start < 0 or end < 0 or data.count(b"sheetData") != 2 or not _utf8(data) or not no_markup(data, start, end):
        return None
    if not _well_formed_outside(data, start, end):
        return None
    row_tags = _ROW.findall(data, start, end)
    if len(row_tags) != data.count(b"<row", start, end):
        return None
    # Every '<' must be accounted for: <sheetData>, the row tags, a cell with content as _CELL reads it, or a
    # self-closing tag (an empty cell, in any form: it holds no value and no formula).
    lt = 1 + len(row_tags) + data.count(b"</row>", start, end) + data.count(b"/>", start, end)
    lt -= sum(1 for tag in row_tags if tag[-2:] == b"/>")  # already counted as a row tag
    rows: dict[int, list[tuple[int, Any]]] = {}
    formulas: dict[str, bytes] = {}
    errors: dict[str, str] = {}
    width = 0
    n_sst = len(sst)
    last, line = b"", []  # the row number of the cell before, and its cells (a row's cells come together)
    for letter, number, s, t, f, v in _CELL.findall(data, start, end):
        lt += 2
        if f:
            if f[2:3] == b">":
                lt += 2
                formulas[(letter + number).decode()] = f[3:-4]
            else:
                formulas[(letter + number).decode()] = b""  # <f/>: its '<' was counted with the self-closing tags
        if v:
            lt += 2
        raw = v[3:-4]
        # No <v> (a formula's result not cached) or <v></v>: calamine gives nothing, except the empty text of a
        # formula (t="str")
        if not v or not raw and t != b"str":
            if t == b"e" and not f:
                errors[(letter + number).decode()] = _no_value()
            continue
        value: Any
        if t == b"s":
            if not raw.isdigit() or (i := int(raw)) >= n_sst:
                return None
            value = sst[i]
            if value is None:  # shared_strings found every string readable: decoded on first use
                value = sst.text(i)
        elif not t or t == b"n":
            # Only digits, '.', sign and exponent: there Python's float() and Rust's f64 read the same grammar
            # (a blank, '_', inf or nan is left to calamine, which gives the text or may differ).
            if s not in plain or raw.translate(None, _NUMBER_BYTES):
                return None
            try:
                value = float(raw)
            except ValueError:
                return None  # '1-2', '.', 'e5': calamine gives the text
        elif t == b"str":
            value = _text(raw)
            if value is None:
                return None
        elif t == b"b":
            if raw not in (b"0", b"1"):
                return None
            value = raw == b"1"
        elif t == b"e":
            value = ""  # calamine gives an error value as a blank (the reader takes it from `errors`)
            if not f:
                shown = _text(raw)
                if shown is None:
                    return None
                errors[(letter + number).decode()] = shown
        else:
            return None  # a date (t="d"), an inline string or an unknown type
        if number != last:
            last = number
            line = rows.setdefault(int(number), [])
        c = letter[0] - 65
        line.append((c, value))
        if c >= width:
            width = c + 1
    if lt != data.count(b"<", start, end):
        return None  # a '<' that opens something else: a prefixed tag or another form of cell
    if not rows:
        return [], formulas, errors
    grid = [[""] * width for _ in range(max(rows))]
    for r, cells in rows.items():
        out = grid[r - 1]
        for c, value in cells:
            out[c] = value
    return grid, formulas, errors
