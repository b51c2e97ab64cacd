"""Editing a copy of an .xlsx package at the XML level (the annotated copy): the parts in their order,
relationships and content types parsed with lxml, edited, and written back behind each part's own XML
declaration. Parts nobody edits are copied byte for byte. Not on the reading hot path."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from pathlib import Path
from typing import Any

from .. import texts
from ..errors import EXIT_UNREADABLE, XltoolsError
from .names import CONTENT_TYPES as NS_CT
from .names import PKG_REL as NS_PKG
from .package import rels_part_of, resolve

FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # new zip members: deterministic output
_PROLOG = re.compile(rb"\s*(<\?xml[^>]*\?>)\s*")
_DECL = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_BAD_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_TARGET = re.compile(rb"""\sTarget\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class EditError(XltoolsError):
    """The workbook could be read but its package cannot be edited (a part we must edit is damaged)."""

    exit_code = EXIT_UNREADABLE


def parser() -> Any:
    from lxml import etree

    # The reader has already refused any part with a DTD; this parser could not expand one anyway.
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_blank_text=False
    )


def parse(data: bytes, part: str) -> Any:
    from lxml import etree

    try:
        return etree.fromstring(data, parser())
    except etree.XMLSyntaxError as e:
        raise EditError(texts.text("report.annotate.bad_part", part=part, error=e.msg)) from None


def dump(root: Any, original: bytes) -> bytes:
    """Serialise an edited part behind the original's own XML declaration (UTF-8 only)."""
    from lxml import etree

    m = _PROLOG.match(original)
    keep = m is not None and not re.search(rb"""encoding\s*=\s*["'](?!utf-8["'])""", m.group(1), re.I)
    prolog = m.group(0) if keep and m is not None else _DECL
    return prolog + etree.tostring(root, encoding="UTF-8", xml_declaration=False)


def ns_of(root: Any) -> str:
    """The namespace of a part's root (transitional or strict OOXML)."""
    tag = root.tag
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def qname(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}" if ns else name


def local(el: Any) -> str:
    tag = el.tag
    return tag.split("}", 1)[1] if isinstance(tag, str) and tag.startswith("{") else str(tag)


def insert_ordered(parent: Any, child: Any, order: list[str]) -> Any:
    """Insert child among parent's children at the place the schema's sequence requires."""
    name = local(child)
    later = set(order[order.index(name) + 1 :])
    for i, existing in enumerate(parent):
        if isinstance(existing.tag, str) and local(existing) in later:
            parent.insert(i, child)
            return child
    parent.append(child)
    return child


def child(parent: Any, name: str, order: list[str] | None = None, create: bool = True) -> Any:
    ns = ns_of(parent)
    found = parent.find(qname(ns, name))
    if found is None and create:
        from lxml import etree

        found = etree.Element(qname(ns, name))
        if order:
            insert_ordered(parent, found, order)
        else:
            parent.append(found)
    return found


def clean(text: str) -> str:
    return _BAD_XML_CHARS.sub("", text)


def relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


# ---------------------------------------------------------------- the package
class EditablePackage:
    """The zip's parts in order; edited parts replace their bytes, new parts are appended."""

    def __init__(self, source: Path | bytes) -> None:
        try:
            with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as zf:
                self.infos = [i for i in zf.infolist() if not i.is_dir()]
                self.data = {i.filename: zf.read(i.filename) for i in self.infos}
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError) as e:
            raise EditError(texts.text("report.annotate.bad_zip", error=e)) from None
        self.changed: dict[str, bytes] = {}
        self.new: dict[str, bytes] = {}

    def has(self, part: str) -> bool:
        return part in self.data or part in self.new

    def read(self, part: str) -> bytes:
        if part in self.new:
            return self.new[part]
        if part in self.changed:
            return self.changed[part]
        return self.data[part]

    def write(self, part: str, data: bytes) -> None:
        if part in self.data:
            self.changed[part] = data
        else:
            self.new[part] = data

    def referenced(self) -> set[str]:
        """Every part some relationship points at, present or not (a new part must not take a dangling
        target's name: the sheet that lost its part would show ours)."""
        out: set[str] = set()
        for name in list(self.data) + list(self.new):
            if not name.endswith(".rels"):
                continue
            folder = posixpath.dirname(posixpath.dirname(name))  # xl/worksheets/_rels/x.rels -> xl/worksheets
            source = posixpath.join(folder, posixpath.basename(name)[: -len(".rels")])
            for m in _TARGET.finditer(self.read(name)):
                target = (m.group(1) if m.group(1) is not None else m.group(2)).decode("utf-8", "replace")
                out.add(resolve(source, target).lower())
        return out

    def unused(self, pattern: str, start: int = 1) -> str:
        taken = self.referenced() | {n.lower() for n in list(self.data) + list(self.new)}
        n = start
        while pattern.format(n).lower() in taken:
            n += 1
        return pattern.format(n)

    def save(self, dest: Path) -> None:
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
            for info in self.infos:
                zi = zipfile.ZipInfo(info.filename, info.date_time)
                zi.compress_type = info.compress_type
                zi.external_attr = info.external_attr
                zi.create_system = info.create_system
                out.writestr(zi, self.changed.get(info.filename, self.data[info.filename]))
            for name, data in self.new.items():
                zi = zipfile.ZipInfo(name, FIXED_TIME)
                zi.compress_type = zipfile.ZIP_DEFLATED
                zi.external_attr = 0o600 << 16
                out.writestr(zi, data)


class Rels:
    """A .rels part, parsed; created empty when absent."""

    def __init__(self, pkg: EditablePackage, source_part: str) -> None:
        from lxml import etree

        self.pkg, self.source, self.part = pkg, source_part, rels_part_of(source_part)
        if pkg.has(self.part):
            self.raw = pkg.read(self.part)
            self.root = parse(self.raw, self.part)
        else:
            self.raw = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            self.root = etree.Element(qname(NS_PKG, "Relationships"), nsmap={None: NS_PKG})
        self.ns = ns_of(self.root) or NS_PKG

    def items(self) -> list[tuple[str, str, str]]:
        """(Id, Type, absolute target part) of every internal relationship."""
        out = []
        for rel in self.root.iter(qname(self.ns, "Relationship")):
            if rel.get("TargetMode") == "External":
                continue
            out.append((rel.get("Id", ""), rel.get("Type", ""), resolve(self.source, rel.get("Target", ""))))
        return out

    def target(self, rid: str) -> str | None:
        return next((t for i, _, t in self.items() if i == rid), None)

    def of_type(self, rtype: str) -> str | None:
        return next((t for _, ty, t in self.items() if ty == rtype), None)

    def add(self, rtype: str, target_part: str) -> str:
        from lxml import etree

        ids = {rel.get("Id") for rel in self.root.iter(qname(self.ns, "Relationship"))}
        n = len(ids) + 1
        while f"rId{n}" in ids:
            n += 1
        rid = f"rId{n}"
        etree.SubElement(
            self.root, qname(self.ns, "Relationship"), Id=rid, Type=rtype, Target=relative(self.source, target_part)
        )
        return rid

    def save(self) -> None:
        self.pkg.write(self.part, dump(self.root, self.raw))


class ContentTypes:
    def __init__(self, pkg: EditablePackage) -> None:
        self.pkg = pkg
        self.raw = pkg.read("[Content_Types].xml")
        self.root = parse(self.raw, "[Content_Types].xml")
        self.ns = ns_of(self.root) or NS_CT

    def override(self, part: str, content_type: str) -> None:
        from lxml import etree

        name = "/" + part
        for el in self.root.iter(qname(self.ns, "Override")):
            if el.get("PartName", "").lower() == name.lower():
                el.set("ContentType", content_type)
                return
        etree.SubElement(self.root, qname(self.ns, "Override"), PartName=name, ContentType=content_type)

    def default(self, ext: str, content_type: str) -> None:
        from lxml import etree

        for el in self.root.iter(qname(self.ns, "Default")):
            if el.get("Extension", "").lower() == ext.lower():
                return
        el = etree.Element(qname(self.ns, "Default"), Extension=ext, ContentType=content_type)
        self.root.insert(0, el)

    def save(self) -> None:
        self.pkg.write("[Content_Types].xml", dump(self.root, self.raw))
