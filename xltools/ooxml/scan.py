"""One pass over a worksheet's XML: every cell's reference, type, style, formula and cached value, and the
sheet's used range, read by the grammar of XML tags and attributes (any attribute order, either quote, any
namespace prefix), never by fixed byte patterns.

Two scanners give the same `SheetScan`:

- the fast one (the common case, all in C but one step per non-empty cell): a regular expression that
  tokenises each non-empty `<c …>…</c>` element, its attributes in any order and quoting, with a prefix or
  none. It applies when the sheet data holds no comment, CDATA section or processing instruction and every
  non-empty cell carries its `r` reference;
- the exact one (everything else): a tokenizer of every tag, text run, comment and CDATA section, which
  follows rows and cells placed by position (no `r`, legal and rare).

A full tree parser is not used: it costs several times the scan on the hot path.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from .. import texts
from ..cells import a1, col_index

_NAME = rb"[A-Za-z_][\w.\-]*"
_PFX = rb"(?:" + _NAME + rb":)?"  # a namespace prefix, or none
_QUOTED = rb"(?:\"[^\"]*\"|'[^']*')"
_ANY_ATTR = rb"[^\s=/>]+\s*=\s*" + _QUOTED


def _attr(name: bytes) -> bytes:
    return name + rb"\s*=\s*(" + _QUOTED + rb")"


# A non-empty cell: groups r, s, t (quoted) and the content; other attributes are skipped whatever their order.
# A self-closing cell without `r` matches the second branch (all groups empty), so positions are never lost.
_CELL = re.compile(
    rb"<"
    + _PFX
    + rb"c(?:\s+(?:"
    + _attr(rb"r")
    + rb"|"
    + _attr(rb"s")
    + rb"|"
    + _attr(rb"t")
    + rb"|"
    + _ANY_ATTR
    + rb"))*\s*>(.*?)</"
    + _PFX
    + rb"c\s*>"
    + rb"|<"
    + _PFX
    + rb"c(?=[\s/>])(?![^>]*\sr\s*=)",
    re.S,
)
_SHEET_DATA = re.compile(rb"<" + _PFX + rb"sheetData(?=[\s/>])")
_SHEET_DATA_END = re.compile(rb"</" + _PFX + rb"sheetData\s*>")
_STRICT_REF = re.compile(rb"(?:[A-Z]{1,3}[1-9][0-9]{0,6}\n)*")
_FAR_REF = re.compile(rb"^(?:[A-Z]{2}|[A-Z]+[0-9]{5})", re.M)  # beyond column Z or row 9999
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
    """What one pass over a sheet's XML found."""

    rows: int = 0  # used range: last row and column holding a non-empty cell (an upper bound when `bound`)
    cols: int = 0
    far: str = ""  # the farthest non-empty cell (for messages)
    bound: bool = False  # rows/cols are a bound (every cell within Z9999), not the exact extent
    formulas: dict[str, bytes] = field(default_factory=dict)  # A1 -> raw formula XML text ('' shared follower)
    errors: dict[str, str] = field(default_factory=dict)  # A1 -> error value of a constant error cell (t="e")
    exact: bool = False  # made by the exact tokenizer
    _raw: dict[str, tuple[bytes, bytes, bytes]] = field(default_factory=dict, repr=False)  # A1 -> (s, t, content)
    _cells: dict[str, CellXml] = field(default_factory=dict, repr=False)

    def cell(self, ref: str) -> CellXml | None:
        """The cell at A1 `ref`, or None when the sheet has no non-empty cell there."""
        got = self._cells.get(ref)
        if got is None and ref in self._raw:
            s, t, content = self._raw[ref]
            got = self._cells[ref] = _cell_from_content(ref, s, t, content)
        return got

    def refs(self) -> list[str]:
        """Every non-empty cell, in document order."""
        return list(self._raw) if not self.exact else list(self._cells)

    def cells(self) -> list[CellXml]:
        return [c for c in (self.cell(r) for r in self.refs()) if c is not None]


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
    value = unescape(v.group(1).decode("utf-8", "replace")) if v is not None and v.group(1) is not None else None
    style = _unquote(s)
    return CellXml(
        ref,
        _unquote(t) or "n",
        int(style) if style.isdigit() else 0,
        formula,
        fattrs,
        v is not None,
        value if v is not None else None,
        _IS.search(content) is not None,
    )


def _region(data: bytes) -> bytes:
    m = _SHEET_DATA.search(data)
    if m is None:
        return b""
    end = _SHEET_DATA_END.search(data, m.end())
    return data[m.start() : end.start() if end else len(data)]


def scan_sheet(data: bytes) -> SheetScan:
    """Scan a worksheet part's bytes once."""
    region = _region(data)
    if not region:
        return SheetScan()
    if b"<!" not in region and b"<?" not in region:
        got = _fast(region)
        if got is not None:
            return got
    return _exact(region)


def _fast(region: bytes) -> SheetScan | None:
    out = SheetScan()
    raw = out._raw
    formulas, errors = out.formulas, out.errors
    for r, s, t, content in _CELL.findall(region):
        if not r or b"&" in r:
            return None  # a cell placed by position (or an escaped reference): the exact path follows rows
        ref = r[1:-1].decode("ascii", "replace")
        raw[ref] = (s, t, content)
        if b"f" in content:
            m = _F.search(content)
            if m is not None:
                formulas[ref] = m.group(2) or b""
                continue
        if t and t[1:-1] == b"e":
            v = _V.search(content)
            errors[ref] = unescape(v.group(1).decode("utf-8", "replace")) if v and v.group(1) else _no_value()
    if not raw:
        return out
    joined = "\n".join(raw).encode() + b"\n"
    if _STRICT_REF.fullmatch(joined) is None:
        return None  # a malformed reference: the exact path decides what it means
    if _FAR_REF.search(joined) is None:
        out.rows, out.cols, out.bound = 9999, 26, True  # every cell within Z9999: far below any grid limit
        return out
    _measure(out, raw)
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
    out = SheetScan(exact=True)
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
    out._cells[ref] = c
    if c.formula is not None:
        out.formulas[ref] = c.formula
    elif c.t == "e":
        out.errors[ref] = c.value if c.value else _no_value()
