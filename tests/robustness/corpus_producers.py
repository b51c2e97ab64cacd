"""Corpus kinds from other producers (issue 10): the same workbook as the bundled example, written the way
other programs write XML. Every one must give exactly the example's findings: attribute order, quoting,
namespace prefixes, the strict OOXML namespaces and relative part names are XML or package syntax, not
content. Registered in corpus.py (one line each), expected outcomes in expected.py."""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree


def edit_zip(zb: bytes, changes: dict) -> bytes:  # type: ignore[type-arg]
    from .corpus import edit_zip as edit  # corpus.py registers these kinds: imported when used, not at load

    return edit(zb, changes)


def members(zb: bytes) -> dict[str, bytes]:
    from .corpus import members as parts

    return parts(zb)


def workbook_bytes() -> bytes:
    from .corpus import workbook_bytes as example

    return example()


MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_TAG = re.compile(rb"<([A-Za-z_][\w.:\-]*)((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))+)(\s*/?)>")
_ATTR = re.compile(rb"([^\s=/>]+)\s*=\s*(\"[^\"]*\"|'[^']*')")

# Transitional -> strict (ISO/IEC 29500 strict) namespaces and relationship types.
STRICT = {
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main": b"http://purl.oclc.org/ooxml/spreadsheetml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships": (
        b"http://purl.oclc.org/ooxml/officeDocument/relationships"
    ),
    b"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties": (
        b"http://purl.oclc.org/ooxml/officeDocument/customProperties"
    ),
    b"http://schemas.openxmlformats.org/officeDocument/2006/extended-properties": (
        b"http://purl.oclc.org/ooxml/officeDocument/extendedProperties"
    ),
    b"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes": (
        b"http://purl.oclc.org/ooxml/officeDocument/docPropsVTypes"
    ),
}


def _sheet_parts(parts: dict[str, bytes]) -> list[str]:
    return [n for n in parts if n.startswith("xl/worksheets/") and n.endswith(".xml")]


def _each_sheet(fn: Callable[[bytes], bytes]) -> bytes:
    zb = workbook_bytes()
    return edit_zip(zb, {name: fn for name in _sheet_parts(members(zb))})


def _retag(xml: bytes, attrs: Callable[[list[tuple[bytes, bytes]]], list[tuple[bytes, bytes]]]) -> bytes:
    """Rewrite the attributes of every start tag (names and values are kept, the XML means the same)."""

    def one(m: re.Match[bytes]) -> bytes:
        pairs = attrs(_ATTR.findall(m.group(2)))
        return b"<" + m.group(1) + b"".join(b" " + k + b"=" + v for k, v in pairs) + m.group(3) + b">"

    return _TAG.sub(one, xml)


def attribute_order() -> bytes:
    """Every tag's attributes in reverse order: <c t="s" s="3" r="A1"> (XML does not order attributes)."""
    return _each_sheet(lambda x: _retag(x, lambda pairs: pairs[::-1]))


def single_quotes() -> bytes:
    """Every attribute of every sheet in single quotes: <c r='A1' s='3'>."""

    def quote(pairs: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        out = []
        for k, v in pairs:
            inner = v[1:-1]
            if v[:1] == b'"':
                inner = inner.replace(b"'", b"&apos;")
            out.append((k, b"'" + inner + b"'"))
        return out

    return _each_sheet(lambda x: _retag(x, quote))


def _prefixed(xml: bytes, prefix: str = "x") -> bytes:
    """The part with the spreadsheetml namespace bound to a prefix instead of the default namespace."""
    root = etree.fromstring(xml)
    nsmap = {k: v for k, v in root.nsmap.items() if k is not None}
    nsmap[prefix] = MAIN

    def copy(el: etree._Element, parent: etree._Element | None) -> etree._Element:
        if not isinstance(el.tag, str):  # a comment or processing instruction
            new = copy_other(el)
            if parent is not None:
                parent.append(new)
            return new
        new = (
            etree.Element(el.tag, dict(el.attrib), nsmap=nsmap)
            if parent is None
            else etree.SubElement(parent, el.tag, dict(el.attrib))
        )
        new.text, new.tail = el.text, el.tail
        for child in el:
            copy(child, new)
        return new

    def copy_other(el: etree._Element) -> etree._Element:
        import copy as _copy

        return _copy.copy(el)

    out = copy(root, None)
    return b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + etree.tostring(out, encoding="UTF-8")


def namespace_prefix() -> bytes:
    """Sheets, workbook, shared strings and styles written with an x: prefix (<x:c r="A1"><x:v>…)."""
    zb = workbook_bytes()
    parts = members(zb)
    names = [*_sheet_parts(parts), "xl/workbook.xml", "xl/sharedStrings.xml", "xl/styles.xml"]
    return edit_zip(zb, {n: _prefixed for n in names if n in parts})


def strict_namespaces() -> bytes:
    """The package in the strict OOXML namespaces ("Strict Open XML Spreadsheet" in Excel's Save As)."""
    zb = workbook_bytes()

    def strict(x: bytes) -> bytes:
        for old, new in STRICT.items():
            x = x.replace(old, new)
        return x

    parts = members(zb)
    return edit_zip(zb, {n: strict for n in parts if n.endswith((".xml", ".rels"))})


def sheet_target_parent() -> bytes:
    """Workbook relationships naming the sheets as ../xl/worksheets/sheetN.xml (the same parts)."""
    return edit_zip(
        workbook_bytes(),
        {
            "xl/_rels/workbook.xml.rels": lambda x: re.sub(
                rb'Target="(?:/xl/)?(worksheets/[^"]+)"', rb'Target="../xl/\1"', x
            )
        },
    )
