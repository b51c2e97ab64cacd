"""Document readers: .txt/.md, .docx, .html/.htm and .pdf (with a text layer) to the one Document model.
Every failure is an UnreadableError whose finding says what the clerk can do (exit code 3)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from ..errors import UnreadableError
from ..findings import ERROR, finding
from ..texts import text as tr
from .document import Block, Document

# The rule ids this module emits (the registry, xltools/rules/registry.py, lists them).
RULES = (
    "audit.read-not-found",
    "audit.read-unsupported",
    "audit.read-empty",
    "audit.read-permission",
    "audit.read-too-large",
    "audit.read-encrypted",
    "audit.read-corrupt",
)

MAX_BYTES = 64 * 1024 * 1024  # a disclosure is a few MB at most; beyond this is not a disclosure
MAX_CHARS = 3_000_000  # text kept from one document (about 1,500 pages)
MAX_PAGES = 2000
SUFFIXES = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".docx": "docx",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def fail(rule: str, path: Path, **params: object) -> UnreadableError:
    return UnreadableError(finding(rule, ERROR, path=str(path), **params))


def read_document(path: Path) -> Document:
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    if not path.exists():
        raise fail("audit.read-not-found", path)
    if path.is_dir():
        raise fail("audit.read-unsupported", path, suffix=tr("audit.read.folder"))
    if kind is None:
        raise fail("audit.read-unsupported", path, suffix=path.suffix or tr("audit.read.no_suffix"))
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise fail(
                "audit.read-too-large",
                path,
                size=f"{size // (1024 * 1024)} MB",
                limit=f"{MAX_BYTES // (1024 * 1024)} MB",
            )
        if size == 0:
            raise fail("audit.read-empty", path)
        data = path.read_bytes()
    except PermissionError:
        raise fail("audit.read-permission", path) from None
    except OSError as e:
        raise fail("audit.read-corrupt", path, detail=str(e.strerror or e)) from None
    if kind in ("txt", "md"):
        return _text(path, kind, data)
    if kind == "docx":
        return _docx(path, data)
    if kind == "html":
        return _html(path, data)
    from .pdftext import read_pdf

    return read_pdf(path, data)


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else GB18030 (Chinese Windows)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", "replace")


_MD_HEAD = re.compile(r"^(#{1,6})\s+(.*)$")
_MD_SEP = re.compile(r"^\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def _md_cells(line: str) -> list[str]:
    s = line.strip()
    if s.startswith("|"):
        s = s[1:]
    if s.endswith("|"):
        s = s[:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", s)]


def _md_plain(text: str) -> str:
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|>~])", r"\1", text.replace("**", ""))


def _text(path: Path, kind: str, data: bytes) -> Document:
    text = decode(data)[:MAX_CHARS]
    if "\x00" in text[:4096]:
        raise fail("audit.read-corrupt", path, detail=tr("audit.read.binary"))
    doc = Document(str(path), kind)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _MD_HEAD.match(line) if kind == "md" else None
        if m:
            doc.blocks.append(Block("heading", _md_plain(m.group(2)), level=len(m.group(1)), styled=True))
            i += 1
            continue
        if kind == "md" and line.lstrip().startswith("|") and i + 1 < len(lines) and _MD_SEP.match(lines[i + 1]):
            rows = [_md_cells(line)]
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(_md_cells(lines[i]))
                i += 1
            rows = [[_md_plain(c) for c in r] for r in rows]
            doc.blocks.append(Block("table", " ".join(" ".join(r) for r in rows), rows=rows))
            continue
        if line.startswith("\t"):
            # A table typed or pasted as text: one cell per tab-indented line, rows separated by blank lines.
            rows: list[list[str]] = [[]]
            while i < len(lines) and (lines[i].startswith("\t") or (not lines[i].strip() and _tab_follows(lines, i))):
                if lines[i].startswith("\t"):
                    rows[-1].append(lines[i].strip())
                elif rows[-1]:
                    rows.append([])
                i += 1
            rows = [r for r in rows if r]
            doc.blocks.append(Block("table", " ".join(" ".join(r) for r in rows), rows=rows))
            continue
        if line.strip():
            doc.blocks.append(Block("para", _md_plain(line) if kind == "md" else line))
        i += 1
    return doc


def _tab_follows(lines: list[str], i: int) -> bool:
    j = i
    while j < len(lines) and not lines[j].strip() and not lines[j].startswith("\t"):
        j += 1
    return j < len(lines) and lines[j].startswith("\t") and j - i <= 2


def _docx(path: Path, data: bytes) -> Document:
    if data.startswith(_OLE):
        raise fail("audit.read-encrypted", path)
    try:
        zf = zipfile.ZipFile(path)
        names = set(zf.namelist())
        if "word/document.xml" not in names:
            raise fail("audit.read-corrupt", path, detail=tr("audit.read.no_document_xml"))
        info = zf.getinfo("word/document.xml")
        if info.file_size > MAX_BYTES * 4:
            raise fail(
                "audit.read-too-large",
                path,
                size=f"{info.file_size // (1024 * 1024)} MB",
                limit=f"{MAX_BYTES * 4 // (1024 * 1024)} MB",
            )
        zf.close()
    except (zipfile.BadZipFile, OSError) as e:
        raise fail("audit.read-corrupt", path, detail=str(e)) from None
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph

        d = docx.Document(str(path))
    except UnreadableError:
        raise
    except Exception as e:  # noqa: BLE001 - python-docx raises many kinds on a damaged package
        raise fail("audit.read-corrupt", path, detail=type(e).__name__) from None
    doc = Document(str(path), "docx")
    body = d.element.body
    chars = 0
    for el in body.iterchildren():
        tag = el.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(el, d)
            text = p.text
            chars += len(text)
            style = (p.style.name if p.style is not None else "") or ""
            m = re.match(r"(?:Heading|标题)\s*(\d)", style)
            if style == "Title":
                doc.blocks.append(Block("para", text))
            elif m:
                doc.blocks.append(Block("heading", text, level=int(m.group(1)), styled=True))
            else:
                doc.blocks.append(Block("para", text))
        elif tag == "tbl":
            t = Table(el, d)
            rows = []
            for r in t.rows:
                seen, cells = set(), []
                for c in r.cells:
                    if id(c._tc) in seen:
                        continue
                    seen.add(id(c._tc))
                    cells.append(c.text.strip())
                rows.append(cells)
            chars += sum(len(c) for r in rows for c in r)
            doc.blocks.append(Block("table", " ".join(" ".join(r) for r in rows), rows=rows))
        if chars > MAX_CHARS:
            break
    return doc


_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "li",
    "ul",
    "ol",
    "blockquote",
    "pre",
    "center",
    "header",
    "footer",
    "main",
    "aside",
    "nav",
    "dd",
    "dt",
    "dl",
    "form",
    "fieldset",
    "figure",
    "figcaption",
    "address",
    "body",
    "caption",
    "br",
    "hr",
}
_SKIP = {"script", "style", "noscript", "template", "head", "title", "meta", "link", "iframe", "object", "svg"}


def _html(path: Path, data: bytes) -> Document:
    try:
        import lxml.html
        from lxml import etree

        parser = lxml.html.HTMLParser(
            encoding=_html_encoding(data), remove_comments=True, no_network=True, huge_tree=False
        )
        root = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError, LookupError) as e:
        raise fail("audit.read-corrupt", path, detail=str(e) or type(e).__name__) from None
    doc = Document(str(path), "html")
    buf: list[str] = []

    def flush() -> None:
        text = re.sub(r"[ \t\r\n\u00a0]+", " ", "".join(buf)).strip()
        buf.clear()
        if text:
            doc.blocks.append(Block("para", text))

    def walk(el: object) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""  # type: ignore[attr-defined]
        tag = tag.lower()
        if tag in _SKIP:
            if el.tail:  # type: ignore[attr-defined]
                buf.append(el.tail)  # type: ignore[attr-defined]
            return
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            flush()
            text = re.sub(r"\s+", " ", el.text_content()).strip()  # type: ignore[attr-defined]
            if text:
                doc.blocks.append(Block("heading", text, level=int(tag[1]), styled=True))
        elif tag == "table":
            flush()
            rows = []
            for tr in el.iter("tr"):  # type: ignore[attr-defined]
                cells = [
                    re.sub(r"\s+", " ", td.text_content()).strip()
                    for td in tr
                    if getattr(td, "tag", "") in ("td", "th")
                ]
                rows.append(cells)
            doc.blocks.append(Block("table", " ".join(" ".join(r) for r in rows), rows=rows))
        else:
            block = tag in _BLOCK_TAGS
            if block:
                flush()
            if el.text:  # type: ignore[attr-defined]
                buf.append(el.text)  # type: ignore[attr-defined]
            for child in el:  # type: ignore[attr-defined]
                walk(child)
            if block:
                flush()
        if el.tail:  # type: ignore[attr-defined]
            buf.append(el.tail)  # type: ignore[attr-defined]

    body = root.find("body")
    walk(body if body is not None else root)
    flush()
    return doc


def _html_encoding(data: bytes) -> str:
    head = data[:4096].decode("ascii", "replace").lower()
    m = re.search(r"charset\s*=\s*[\"']?([a-z0-9_-]+)", head)
    if m:
        enc = m.group(1)
        return "gb18030" if enc in ("gb2312", "gbk") else enc
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"
