"""One pass over a worksheet's XML: every cell's reference, type, style, formula and cached value, and the
sheet's used range, read by the grammar of XML tags and attributes (any attribute order, either quote, any
namespace prefix), never by fixed byte patterns.

Three scanners give the same `SheetScan`, tried in this order:

- the quick one (the writers' own form: every cell's r first, within Z9999; no comment, CDATA section or
  processing instruction in the sheet data): one search finds both a cell written otherwise and every formula
  cell, and one finds the <v> of every cell with an attribute valued "s" (the shared-string cells among them).
  Every other cell is only checked for its r;
- the general one (any attribute order and quoting, a prefix or none): a regular expression that tokenises
  each non-empty cell's start tag and its formula;
- the exact one (everything else): a tokenizer of every tag, text run, comment and CDATA section, which
  follows rows and cells placed by position (no `r`, legal and rare).

A full tree parser is not used: it costs several times the scan on the hot path.
"""

from __future__ import annotations

import html
import operator
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from xml.sax.saxutils import escape

from .. import texts
from ..cells import a1, col_index

_NAME = rb"[A-Za-z_][\w.\-]*"
_PFX = rb"(?:" + _NAME + rb":)?"  # a namespace prefix, or none
_QUOTED = rb"(?:\"[^\"]*\"|'[^']*')"
_ANY_ATTR = rb"[^\s=/>]+\s*=\s*" + _QUOTED


def _attr(name: bytes) -> bytes:
    return name + rb"\s*=\s*(" + _QUOTED + rb")"


# Possessive quantifiers (Python 3.11+) stop the engine from retrying token boundaries that cannot move: a
# name never holds '=' or a space, a quoted value never its quote. They change no match, only the time.
_REF_OF = operator.itemgetter(0)
_FORMULA = operator.itemgetter(1)  # a start tag followed by <f>
_P = "+" if sys.version_info >= (3, 11) else ""
_NEAR = rb"(\"[A-Z][1-9][0-9]{0,3}\"|'[A-Z][1-9][0-9]{0,3}')"  # a quoted reference within Z9999
_NEAR_NC = b"(?:" + _NEAR[1:]  # the same, not captured


@lru_cache(maxsize=16)
def _start_tags(prefix: bytes) -> re.Pattern[bytes]:
    """Every cell's start tag, with the formula that is its first child (the schema's order: f, v, is).
    Groups: the r attribute (quoted) when it is a reference within Z9999, wherever it stands among the
    attributes; '/' for a self-closing formula or '>' and the formula's text. One match per cell, self-closing or not;
    nothing else of the cell is read on this path."""
    p, q = re.escape(prefix), _P.encode()
    quoted = rb"(?:\"[^\"]*" + q + rb"\"|'[^']*" + q + rb"')"
    other = rb"[^\s=/>]+" + q + rb"\s*" + q + rb"=\s*" + q + quoted
    return re.compile(
        rb"<"
        + p
        + rb"c(?:\s+"
        + q
        + rb"(?:r\s*"
        + q
        + rb"=\s*"
        + q
        + _NEAR
        + rb"(?=[\s/>])|"
        + other
        + rb"))*"
        + q
        + rb"\s*"
        + q
        + rb">\s*"
        + q
        + rb"(?:<"
        + p
        + rb"f(?:\s+"
        + q
        + other
        + rb")*"
        + q
        + rb"\s*"
        + q
        + rb"(/|>[^<]*)(?:>|</"
        + p
        + rb"f\s*>))?"
    )


@lru_cache(maxsize=16)
def _quick_cells(prefix: bytes) -> re.Pattern[bytes]:
    """In one search: a tag named c… that is not a cell with its r first and within Z9999 (all groups empty),
    or a formula cell (its reference without the quotes, the formula tag's attributes, the formula's text). The
    lookahead has already checked the quoted reference, so the second branch only steps over the quotes."""
    p, q = re.escape(prefix), _P.encode()
    return re.compile(
        rb"<"
        + p
        + rb"c(?:(?! r="
        + _NEAR_NC
        + rb"[\s/>])| r=.([A-Z][1-9][0-9]{0,3}).[^>]*"
        + q
        + rb">\s*"
        + q
        + rb"<"
        + p
        + rb"f([^>]*"
        + q
        + rb")>(?:([^<]*"
        + q
        + rb")</"
        + p
        + rb"f)?)"
    )


@lru_cache(maxsize=16)
def _string_values_pattern(prefix: bytes, quote: bytes) -> re.Pattern[bytes]:
    """From an attribute value "s" (t="s" in a shared-string cell's start tag) to the end of the tag, an optional
    formula and the <v>: its text."""
    p, q = re.escape(prefix), _P.encode()
    quoted = rb"(?:\"[^\"]*" + q + rb"\"|'[^']*" + q + rb"')"
    attr = rb"\s+" + q + rb"[^\s=/>]+" + q + rb"\s*" + q + rb"=\s*" + q + quoted
    end = rb"\s*" + q
    return re.compile(
        re.escape(quote)
        + rb"(?:"
        + attr
        + rb")*"
        + q
        + end
        + rb">"
        + end
        + rb"(?:<"
        + p
        + rb"f(?:"
        + attr
        + rb")*"
        + q
        + end
        + rb"(?:/>|>[^<]*"
        + q
        + rb"</"
        + p
        + rb"f\s*>)"
        + end
        + rb")?"
        + rb"<"
        + p
        + rb"v(?:"
        + attr
        + rb")*"
        + q
        + end
        + rb"(?:/>|>([^<]*"
        + q
        + rb")</"
        + p
        + rb"v\s*>)"
    )


def _string_values(region: bytes, prefix: bytes) -> list[bytes]:
    """The <v> of every cell whose start tag holds an attribute valued s. Every shared-string cell is among them
    (its t="s" holds the bytes "s" or 's'); a cell with another attribute valued s only adds a value to check."""
    found = _string_values_pattern(prefix, b'"s"').findall(region)
    if b"'s'" in region:
        found += _string_values_pattern(prefix, b"'s'").findall(region)
    return found


@lru_cache(maxsize=16)
def _attribute_list(prefix: bytes) -> re.Pattern[bytes]:
    """A tag's attributes exactly (what follows its name up to '>' or '/>')."""
    q = _P.encode()
    return re.compile(
        rb"(?:\s+" + q + rb"[^\s=/>]+" + q + rb"\s*" + q + rb"=\s*" + q + _QUOTED + rb")*" + q + rb"\s*/?"
    )


@lru_cache(maxsize=16)
def _whole_cells(prefix: bytes) -> re.Pattern[bytes]:
    """Every non-empty cell with its content: groups r, s, t and the content (for the per-cell view)."""
    p = re.escape(prefix)
    return re.compile(
        rb"<"
        + p
        + rb"c(?:\s+(?:"
        + _attr(rb"r")
        + rb"|"
        + _attr(rb"s")
        + rb"|"
        + _attr(rb"t")
        + rb"|"
        + _ANY_ATTR
        + rb"))*\s*>([^<]*(?:<(?!/"
        + p
        + rb"c\s*>)[^<]*)*)</"
        + p
        + rb"c\s*>"
    )


_PREFIX = re.compile(_NAME + rb":")
_TAG_END = b" \t\r\n/>"  # what may follow a tag's name
_ERROR_T = re.compile(rb"\st\s*=\s*[\"']e[\"']")
_F = re.compile(rb"<" + _PFX + rb"f((?:\s+" + _ANY_ATTR + rb")*)\s*(?:/>|>(.*?)</" + _PFX + rb"f\s*>)", re.S)
_V = re.compile(rb"<" + _PFX + rb"v(?:\s+" + _ANY_ATTR + rb")*\s*(?:/>|>(.*?)</" + _PFX + rb"v\s*>)", re.S)
_IS = re.compile(rb"<" + _PFX + rb"is[\s/>]")
_ATTRS = re.compile(rb"(" + _NAME + rb"(?::" + _NAME + rb")?)\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TOKEN = re.compile(
    rb"<!--.*?-->"
    rb"|<!\[CDATA\[(?P<cdata>.*?)\]\]>"
    rb"|<\?.*?\?>"
    rb"|<(?P<close>/?)(?:" + _NAME + rb":)?(?P<name>" + _NAME + rb")(?P<attrs>(?:\s+" + _ANY_ATTR + rb")*)\s*"
    rb"(?P<empty>/?)>"
    rb"|(?P<text>[^<]+)"
    rb"|<",  # a stray '<': malformed, left to the parser that reads the values
    re.S,
)
_REF = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def unescape(s: str) -> str:
    """XML text -> str, including numeric character references (openpyxl writes &#37096; for CJK)."""
    return html.unescape(s) if "&" in s else s


def _unquote(q: bytes) -> str:
    """A captured quoted attribute value -> its text."""
    return unescape(q[1:-1].decode("utf-8", "replace")) if q else ""


def attributes(raw: bytes) -> dict[str, str]:
    """The attributes of a tag (the bytes between its name and '>'), by name as written (prefix kept)."""
    return {
        m.group(1).decode("ascii", "replace"): unescape((m.group(2) or m.group(3) or b"").decode("utf-8", "replace"))
        for m in _ATTRS.finditer(raw)
    }


@dataclass(frozen=True)
class CellXml:
    """One cell as the sheet XML states it (before any reader interprets it)."""

    ref: str  # A1
    t: str  # the t attribute: s, str, inlineStr, b, e, n (the default), d
    s: int  # the style index (0 when absent)
    formula: bytes | None  # raw XML text of <f> (escaped as stored; '' for a shared formula's follower)
    formula_attrs: dict[str, str]  # t="shared" / "array", si, ref … of <f>
    has_value: bool  # a cached/stored <v> is present
    value: str | None  # the <v> text, unescaped
    inline: bool  # holds an <is> inline string

    @property
    def shared_index(self) -> str | None:
        return self.formula_attrs.get("si") if self.formula_attrs.get("t") == "shared" else None


@dataclass
class SheetScan:
    """What one pass over a sheet's XML found: the used range, the formula cells and the constant error
    cells; the full view of any cell (`cell`, `cells`) is made on first use."""

    rows: int = 0  # used range: last row and column holding a non-empty cell (an upper bound when `bound`)
    cols: int = 0
    far: str = ""  # the farthest non-empty cell (for messages)
    bound: bool = False  # rows/cols are a bound (every cell within Z9999), not the exact extent
    formulas: dict[str, bytes] = field(default_factory=dict)  # A1 -> raw formula XML text ('' shared follower)
    errors: dict[str, str] = field(default_factory=dict)  # A1 -> error value of a constant error cell (t="e")
    # The <v> of every cell whose start tag has an attribute valued "s" (each shared-string cell among them),
    # as stored; None: not gathered (the exact path), ask `cells()`.
    string_values: list[bytes] | None = None
    exact: bool = False  # made by the exact tokenizer
    _region: bytes = field(default=b"", repr=False)
    _prefix: bytes = field(default=b"", repr=False)
    _cells: dict[str, CellXml] | None = field(default=None, repr=False)

    def _index(self) -> dict[str, CellXml]:
        if self._cells is None:
            if self.exact:
                self._cells = _exact(self._region)._cells or {}
            else:
                self._cells = {
                    r[1:-1].decode("ascii", "replace"): _cell_from_content(
                        r[1:-1].decode("ascii", "replace"), s, t, content
                    )
                    for r, s, t, content in _whole_cells(self._prefix).findall(self._region)
                }
        return self._cells

    def cell(self, ref: str) -> CellXml | None:
        """The cell at A1 `ref`, or None when the sheet has no non-empty cell there."""
        return self._index().get(ref)

    def cells(self) -> list[CellXml]:
        """Every non-empty cell, in document order."""
        return list(self._index().values())


def _cell_from_content(ref: str, s: bytes, t: bytes, content: bytes) -> CellXml:
    """Parse a cell's content (no comment, CDATA or processing instruction in it: the fast path's condition)."""
    formula: bytes | None = None
    fattrs: dict[str, str] = {}
    if b"f" in content:
        m = _F.search(content)
        if m is not None:
            formula = m.group(2) or b""
            fattrs = attributes(m.group(1)) if m.group(1) else {}
    v = _V.search(content) if b"v" in content else None
    value = unescape((v.group(1) or b"").decode("utf-8", "replace")) if v is not None else None
    style = _unquote(s)
    return CellXml(
        ref,
        _unquote(t) or "n",
        int(style) if style.isdigit() else 0,
        formula,
        fattrs,
        v is not None,
        value,
        _IS.search(content) is not None,
    )


def _region(data: bytes) -> tuple[bytes, bytes]:
    """The <sheetData> element's bytes and the namespace prefix its tag uses (the end tag repeats it)."""
    at = data.find(b"sheetData")
    while at >= 0:
        lt = data.rfind(b"<", max(0, at - 64), at)
        prefix = data[lt + 1 : at] if lt >= 0 else b"/"
        if (
            lt >= 0
            and (not prefix or _PREFIX.fullmatch(prefix))
            and data[at + 9 : at + 10] in (b" ", b">", b"/", b"\t", b"\n", b"\r")
        ):
            end = data.find(b"</" + prefix + b"sheetData", at)
            return data[lt : end if end >= 0 else len(data)], prefix
        at = data.find(b"sheetData", at + 9)
    return b"", b""


def scan_sheet(data: bytes) -> SheetScan:
    """Scan a worksheet part's bytes once."""
    region, prefix = _region(data)
    if not region:
        return SheetScan()
    if no_markup(region) and _one_prefix(region, prefix):
        got = _fast(region, prefix)
        if got is not None:
            return got
    return _exact(region)


def no_markup(data: bytes, start: int = 0, end: int | None = None) -> bool:
    """No comment, CDATA section or processing instruction ('<!', '<?') in data[start:end]. The rare second byte
    is looked for first (a one-byte search is a memchr; many sheets have no '?' and some no '!')."""
    end = len(data) if end is None else end
    return (data.find(b"!", start, end) < 0 or data.find(b"<!", start, end) < 0) and (
        data.find(b"?", start, end) < 0 or data.find(b"<?", start, end) < 0
    )


def _one_prefix(region: bytes, prefix: bytes) -> bool:
    """Whether every cell tag can only use the prefix of <sheetData> (a prefixed tag needs ':c')."""
    n = region.count(b":c")
    if not prefix:
        return n == 0
    return n == region.count(b"<" + prefix + b"c") + region.count(b"</" + prefix + b"c")


def _fast(region: bytes, prefix: bytes) -> SheetScan | None:
    got = _quick(region, prefix)
    return got if got is not None else _general(region, prefix)


def _quick(region: bytes, prefix: bytes) -> SheetScan | None:
    """Every tag named c… is a cell with its r first, within Z9999 (the writers' own form). In sheet data without
    comments, CDATA or processing instructions every '<' opens a tag (no quoted value or text holds one), so a
    cell's start tag followed by blanks and '<f' ends at its first '>' (one inside a quoted value would be followed
    by more of the value, never by '<'), and the cell that holds a quoted "s" is the tag the nearest '<' before
    it opens. Only formula and shared-string cells are tokenised; None sends the sheet to the general path."""
    found = _quick_cells(prefix).findall(region)
    f_tag = b"<" + prefix + b"f"
    if len(found) != region.count(f_tag):
        return None  # an <f> not at a cell's start (or a longer name such as <family>): the general path reads it
    out = SheetScan(_region=region, _prefix=prefix)
    if found:
        refs, f_attrs, texts_ = zip(*found, strict=True)
        if b"" in refs:
            return None  # a cell written otherwise (r not first, beyond Z9999, or a name such as <color>)
        if any(f_attrs):  # attributes on a formula tag (a shared or array formula): checked one by one
            attribute_list = _attribute_list(prefix).fullmatch
            for f_attr in f_attrs:
                if f_attr and (f_attr[:1] not in _TAG_END or attribute_list(f_attr) is None):
                    return None  # a longer name than f, or a '>' inside the formula tag's quoted values
            texts_ = tuple(b"" if f[-1:] == b"/" else t for f, t in zip(f_attrs, texts_, strict=True))
        # The references are ASCII (the pattern's [A-Z][0-9]): the dict is built without a Python loop.
        out.formulas = dict(zip(map(bytes.decode, refs), texts_, strict=True))
    out.string_values = _string_values(region, prefix)
    _errors(out, region)
    out.rows, out.cols, out.bound = 9999, 26, True  # every cell within Z9999: far below any grid limit
    return out


def _quoted_e(region: bytes) -> bool:
    """Whether any attribute holds the value e (t="e": an error cell), in either quote."""
    return b'"e"' in region or b"'e'" in region


def _errors(out: SheetScan, region: bytes) -> None:
    if _quoted_e(region) and _ERROR_T.search(region):
        whole = out._index()
        for ref, c in whole.items():
            if c.t == "e" and c.formula is None:
                out.errors[ref] = c.value if c.value else _no_value()


def _general(region: bytes, prefix: bytes) -> SheetScan | None:
    """Any attribute order and quoting: one start-tag tokenizer pass (the formula as first child)."""
    found = _start_tags(prefix).findall(region)
    out = SheetScan(_region=region, _prefix=prefix)
    if not found:
        return out
    if b"" in map(_REF_OF, found):
        # A cell placed by position, a reference beyond Z9999 or written oddly: the exact path follows rows
        # and measures the used range.
        return None
    out.formulas = {r[1:-1].decode(): f[1:] if f[:1] == b">" else b"" for r, f in filter(_FORMULA, found)}
    out.string_values = _string_values(region, prefix)
    _errors(out, region)
    out.rows, out.cols, out.bound = 9999, 26, True  # every cell within Z9999: far below any grid limit
    return out


def _measure(out: SheetScan, refs: object) -> None:
    rows = cols = 0
    far_row = far_col = ""
    for ref in refs:  # type: ignore[attr-defined]
        m = _REF.fullmatch(ref)
        if m is None:
            continue
        r, c = int(m.group(2)), col_index(m.group(1)) + 1
        if r > rows:
            rows, far_row = r, ref
        if c > cols:
            cols, far_col = c, ref
    out.rows, out.cols = rows, cols
    out.far = far_col if cols > 1000 else far_row


def _exact(region: bytes) -> SheetScan:
    """Tokenise every tag: rows and cells without `r` get their implied position, as Excel reads them."""
    out = SheetScan(exact=True, _region=region, _cells={})
    row_n = 0
    col = -1
    cell: dict[str, object] | None = None
    where = ""  # the child of <c> whose text is being read: f, v or is
    text: list[bytes] = []
    for m in _TOKEN.finditer(region):
        name = m.group("name")
        if name is not None:
            attrs = m.group("attrs")
            closing, empty = m.group("close") == b"/", m.group("empty") == b"/"
            if name == b"row" and not closing:
                r = attributes(attrs).get("r", "") if attrs else ""
                row_n = int(r) if r.isdigit() else row_n + 1
                col = -1
            elif name == b"c" and not closing:
                a = attributes(attrs) if attrs else {}
                m_ref = _REF.fullmatch(a.get("r", ""))
                if m_ref is not None:
                    col = col_index(m_ref.group(1))
                    ref = a["r"]
                else:
                    col += 1
                    ref = a1(max(row_n, 1), min(col, 16383))
                style = a.get("s", "")
                cell = {"ref": ref, "t": a.get("t", "") or "n", "s": int(style) if style.isdigit() else 0}
                cell.update(f=None, fa={}, v=None, hv=False, inline=False)
                if empty:
                    cell = None  # an empty styled cell: it only takes its place
            elif cell is not None and name == b"c" and closing:
                _finish(out, cell)
                cell = None
            elif cell is not None and name in (b"f", b"v") and not closing:
                key = name.decode()
                if key == "f":
                    cell["fa"] = attributes(attrs) if attrs else {}
                    cell["f"] = b""
                else:
                    cell["hv"] = True
                    cell["v"] = ""
                if not empty:
                    where, text = key, []
            elif cell is not None and name == b"is" and not closing:
                cell["inline"] = True
            elif closing and where and name.decode() == where:
                joined = b"".join(text)
                if where == "f":
                    cell["f"] = joined  # type: ignore[index]
                else:
                    cell["v"] = unescape(joined.decode("utf-8", "replace"))  # type: ignore[index]
                where = ""
        elif where:
            if m.group("cdata") is not None:
                # A CDATA section holds raw text: store it escaped, as the fast path's raw XML would be.
                text.append(escape(m.group("cdata").decode("utf-8", "replace")).encode())
            elif m.group("text") is not None:
                text.append(m.group("text"))
    _measure(out, out._cells)
    return out


def _no_value() -> str:
    """What an error cell without its value shows (never a blank: a blank would read as 0)."""
    return texts.text("ooxml.error_placeholder")


def _finish(out: SheetScan, cell: dict[str, object]) -> None:
    ref = str(cell["ref"])
    c = CellXml(
        ref,
        str(cell["t"]),
        int(cell["s"]),  # type: ignore[arg-type]
        cell["f"],  # type: ignore[arg-type]
        cell["fa"],  # type: ignore[arg-type]
        bool(cell["hv"]),
        cell["v"],  # type: ignore[arg-type]
        bool(cell["inline"]),
    )
    assert out._cells is not None
    out._cells[ref] = c
    if c.formula is not None:
        out.formulas[ref] = c.formula
    elif c.t == "e":
        out.errors[ref] = c.value if c.value else _no_value()
