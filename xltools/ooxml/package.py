"""An .xlsx package opened defensively from its bytes, read once: what the file is, whether it is safe and small
enough, its parts, relationships, content types, sheets, styles, shared strings and comments. Every refusal
is an UnreadableError carrying a `read.*` finding. Nothing here parses cell values: `scan.py` tokenises the
sheets and python-calamine reads the values from the same bytes."""

from __future__ import annotations

import codecs
import errno
import io
import os
import posixpath
import re
import stat
import struct
import xml.etree.ElementTree as ET
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from .. import texts
from ..errors import UnreadableError
from ..findings import ERROR, Finding, finding
from . import names as N
from .scan import SheetScan, attributes, scan_sheet, unescape
from .styles import Styles
from .values import Strings, plain_styles, shared_strings, sheet_values
from .values import forget as forget_values

# The rule ids this module emits (the registry, xltools/rules/registry.py, lists them).
RULES = (
    "read.not-found",
    "read.permission",
    "read.inaccessible",
    "read.is-directory",
    "read.not-xlsx",
    "read.empty-file",
    "read.too-large",
    "read.corrupt",
    "read.unsafe-xml",
    "read.encrypted",
    "read.xls",
)

# Limits: a department workbook is well under 1 MB; these leave a wide margin and stop zip bombs.
MAX_FILE = 50 * 1024 * 1024
MAX_MEMBER = 40 * 1024 * 1024  # uncompressed size of one part (one sheet's XML)
MAX_TOTAL = 150 * 1024 * 1024  # uncompressed size of all parts
MAX_RATIO = 200  # compression ratio above which a large part is a bomb
MAX_MEMBERS = 2000
MAX_PROLOG = 1024 * 1024  # bytes of comments/processing instructions allowed before an XML root element
# A dense reader (calamine) allocates rows x columns of the used range: one value at XFD1048576 asks for
# 17 billion cells and aborts the process. A department sheet is a few hundred rows by at most 20 columns.
MAX_GRID = 2_000_000
KEEP_PART = 4 * 1024 * 1024  # inflated parts up to this size are kept, so no part is inflated twice


def read_at_most(fh: IO[bytes], limit: int = MAX_FILE) -> bytes:
    """The file's bytes, at most limit + 1 (more than limit: too large). Asked by its current size, not by the
    limit: read(limit + 1) first allocates limit + 1 bytes, four times the cost of reading a 70 KB workbook. A
    file that grew since is read on to the limit, as a read of limit + 1 would."""
    size = os.fstat(fh.fileno()).st_size
    data = fh.read(min(size, limit) + 1)
    if size < len(data) <= limit:
        data += fh.read(limit + 1 - len(data))
    return data


OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENTITY = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
# The usual prolog in UTF-8: an optional BOM and XML declaration (it cannot hold a '>' before its '?>'), blanks,
# then the root element's name. Anything else is read by _xml_declares_dtd.
_PLAIN_PROLOG = re.compile(rb"(?:\xef\xbb\xbf)?(?:<\?xml\s[^>]*\?>)?[ \t\r\n]*<[A-Za-z_]")
_SI = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?si(?=[\s/>])")
_INDEX = re.compile(r"[0-9]{1,9}")

Source = str | os.PathLike[str] | bytes


def _t(key: str, **params: object) -> str:
    return texts.text(f"ooxml.{key}", **params)


def unreadable(rule: str, path: Path | str, **params: object) -> UnreadableError:
    """The exception for a file that cannot be used, carrying its read.* finding."""
    return UnreadableError(finding(rule, ERROR, path=str(path), **params))


@dataclass(frozen=True)
class Relationship:
    id: str
    type: str
    target: str  # the part it points at (resolved against the source part), or the URL when external
    external: bool = False


@dataclass
class Package:
    """What we know of a workbook before reading its values; `data` are the file's bytes, read once."""

    path: Path
    data: bytes = b""
    sheets: dict[str, str] = field(default_factory=dict)  # sheet name -> part name (xl/worksheets/sheet1.xml)
    hidden: dict[str, str] = field(default_factory=dict)  # sheet name -> state
    custom: dict[str, str] = field(default_factory=dict)  # custom document properties
    has_macros: bool = False
    full_calc_on_load: bool = False
    workbook_part: str = "xl/workbook.xml"
    notices: list[Finding] = field(default_factory=list)
    _zip: zipfile.ZipFile | None = None
    _parts: dict[str, bytes] = field(default_factory=dict)  # verified inflated XML parts (see _check_sizes)
    _names: set[str] = field(default_factory=set)
    _prologs_checked: bool = False  # every part named in _PROLOG_CHECKED was refused if it declares a DTD
    _scans: dict[str, SheetScan] = field(default_factory=dict)
    _rels: dict[str, list[Relationship]] = field(default_factory=dict)
    _styles: Styles | None = None
    _sst_count: int | None = None
    _values: bytes | None = None  # value_bytes(), built once
    sheet_count: int = 0  # the sheets the workbook part names (some may name no part)
    _quick: tuple[Strings, frozenset[bytes]] | None | bool = False  # quick_book(), False: not looked at yet

    # ---- parts and relationships ----
    def has(self, part: str) -> bool:
        return part in self._names

    def part(self, part: str) -> bytes:
        """A part's inflated bytes (verified at open when small enough to keep)."""
        kept = self._parts.get(part)
        if kept is not None:
            return kept
        if self._zip is None:
            raise KeyError(part)
        return self._zip.read(part)

    def rels(self, source: str) -> list[Relationship]:
        """The relationships of a part ('' for the package's own _rels/.rels)."""
        if source not in self._rels:
            rels_part = rels_part_of(source)
            out: list[Relationship] = []
            if self.has(rels_part):
                data = self.part(rels_part)
                # Every workbook made from one template has the same relationships part: parsed once per
                # process for those bytes (only a parse that succeeded is kept; a bad part is refused each time).
                known = _PARSED_RELS.get((source, data))
                if known is None:
                    root = _parse_xml(self, rels_part)
                    known = tuple(
                        Relationship(
                            rel.get("Id", ""),
                            rel.get("Type", ""),
                            rel.get("Target", "")
                            if rel.get("TargetMode") == "External"
                            else resolve(source, rel.get("Target", "")),
                            rel.get("TargetMode") == "External",
                        )
                        for rel in root.iter()  # type: ignore[attr-defined]
                        if N.local(rel.tag) == "Relationship"
                    )
                    _remember(_PARSED_RELS, (source, data), known)
                out = list(known)
            self._rels[source] = out
        return self._rels[source]

    def related(self, source: str, kind: str) -> str | None:
        """The part a relationship of type `kind` ('styles', 'sharedStrings', 'comments') of `source` targets."""
        types = N.rel_type(kind)
        return next((r.target for r in self.rels(source) if r.type in types and not r.external), None)

    def content_types(self) -> tuple[dict[str, str], dict[str, str]]:
        """([Content_Types].xml overrides by part name, defaults by extension)."""
        overrides: dict[str, str] = {}
        defaults: dict[str, str] = {}
        if self.has("[Content_Types].xml"):
            for el in _parse_xml(self, "[Content_Types].xml").iter():  # type: ignore[attr-defined]
                if N.local(el.tag) == "Override":
                    overrides[el.get("PartName", "").lstrip("/")] = el.get("ContentType", "")
                elif N.local(el.tag) == "Default":
                    defaults[el.get("Extension", "").lower()] = el.get("ContentType", "")
        return overrides, defaults

    # ---- sheets ----
    def scan(self, sheet: str) -> SheetScan:
        """The one pass over a sheet's XML (cached for the life of the package)."""
        got = self._scans.get(sheet)
        if got is None:
            part = self.sheets.get(sheet)
            got = scan_sheet(self.part(part)) if part is not None and self._zip is not None else SheetScan()
            self._scans[sheet] = got
        return got

    def extent(self, sheet: str) -> tuple[int, int, str]:
        """(rows, columns, farthest cell) of a sheet's used range, or an upper bound of it, measured in the XML
        before a parser builds its grid."""
        s = self.scan(sheet)
        return s.rows, s.cols, s.far

    def formulas(self, sheet: str) -> dict[str, bytes]:
        """A1 -> raw XML text of the formula (without '=') of every formula cell ('' for a shared formula's
        follower); decode with `formula_text`."""
        return self.scan(sheet).formulas

    def error_cells(self, sheet: str) -> dict[str, str]:
        """A1 -> Excel error value (#DIV/0!, #N/A, …) of every constant error cell; calamine gives them as blanks."""
        return self.scan(sheet).errors

    def comments(self, sheet: str) -> dict[str, str]:
        """A1 -> the text of the cell's (legacy) comment."""
        part = self.sheets.get(sheet)
        cpart = self.related(part, "comments") if part else None
        out: dict[str, str] = {}
        if cpart and self.has(cpart):
            for el in _parse_xml(self, cpart).iter():  # type: ignore[attr-defined]
                if N.local(el.tag) == "comment":
                    out[(el.get("ref") or "").upper()] = "".join(
                        t.text or "" for t in el.iter() if N.local(t.tag) == "t"
                    )
        return out

    # ---- styles and shared strings ----
    @property
    def styles(self) -> Styles:
        if self._styles is None:
            part = self.related(self.workbook_part, "styles")
            self._styles = Styles.parse(_parse_xml(self, part) if part and self.has(part) else None)
        return self._styles

    def is_date(self, style: int) -> bool:
        """Whether a cell format shows a number as a date or time."""
        return self.styles.is_date(style)

    @property
    def shared_strings(self) -> int:
        """How many shared strings the workbook has (an index must be below it)."""
        if self._sst_count is None:
            part = self.related(self.workbook_part, "sharedStrings")
            self._sst_count = _count_si(self.part(part)) if part and self.has(part) else 0
        return self._sst_count

    def valid_string_index(self, raw: str | None) -> bool:
        """Whether a t="s" cell's <v> names a shared string that exists (−1, 10^20 or 'x' do not)."""
        raw = (raw or "").strip()
        return _INDEX.fullmatch(raw) is not None and int(raw) < self.shared_strings

    # ---- the one-pass read of values (values.py) ----
    def quick_book(self) -> tuple[Strings, frozenset[bytes]] | None:
        """(the shared strings, the styles whose numbers are plain) when this workbook's sheets may be read in
        one pass, as calamine would read them: every sheet a worksheet part of its own, the shared strings and
        styles where calamine looks for them (xl/…), plain strings and a styles part that parses. None: every
        sheet is read with calamine."""
        if self._quick is False:
            self._quick = self._quick_facts()
        return self._quick  # type: ignore[return-value]

    def _quick_facts(self) -> tuple[Strings, frozenset[bytes]] | None:
        wb = self.workbook_part
        if (
            wb != "xl/workbook.xml"
            or self._zip is None
            or len(self.sheets) != self.sheet_count
            or self._usual_targets()
        ):
            return None
        if not all(p.startswith("xl/worksheets/") for p in self.sheets.values()):
            return None  # a chart sheet or a part elsewhere: calamine's own view of the sheets
        found = {}
        for kind, usual in (("styles", "xl/styles.xml"), ("sharedStrings", "xl/sharedStrings.xml")):
            part = self.related(wb, kind)
            if part is None and self.has(usual) or part is not None and (part != usual or not self.has(part)):
                return None  # calamine reads the usual part name whatever the relationships say
            found[kind] = self.part(part) if part is not None else None
        key = found["styles"] or b""
        if key in _PLAIN_STYLES:  # every workbook of a template has the same styles part
            plain = _PLAIN_STYLES[key]
        else:
            plain = plain_styles(found["styles"])
            _remember(_PLAIN_STYLES, key, plain)
        sst = shared_strings(found["sharedStrings"])
        if plain is None or sst is None or len(sst) != self.shared_strings:
            return None
        return sst, plain

    def quick_values(self, sheet: str) -> tuple[list[list[Any]], dict[str, bytes], dict[str, str]] | None:
        """values.sheet_values of a sheet: (calamine's grid, formulas, constant error cells), or None: read it
        with calamine and `scan`."""
        book = self.quick_book()
        part = self.sheets.get(sheet)
        if book is None or part is None:
            return None
        return sheet_values(self.part(part), *book)

    def value_bytes(self) -> bytes:
        """The bytes a value reader (python-calamine) should read: the same package with every part verified and
        kept at open stored uncompressed (its bytes are the ones checked, and no reader inflates them a second
        time), the others copied as they are. When the workbook names its parts in a form such a reader does not
        resolve ('../xl/worksheets/…', './…'), those targets are written the usual way (parts relative to xl/).
        Nothing else changes."""
        if self._values is None:
            assert self._zip is not None
            self._values = _stored_copy(self.data, self._zip.infolist(), self._parts, self._usual_targets())
        return self._values

    def _usual_targets(self) -> dict[str, bytes]:
        """{the workbook's relationships part: its bytes with odd targets written the usual way}, or {}."""
        rels_part = rels_part_of(self.workbook_part)
        if self.workbook_part != "xl/workbook.xml" or not self.has(rels_part):
            return {}
        raw = self.part(rels_part)
        odd = [
            (m.group(0), m.group(2))
            for m in re.finditer(rb"""\sTarget\s*=\s*(["'])([^"']*)\1""", raw)
            if re.search(rb"(?:^|/)\.\.?/", m.group(2))
        ]
        if not odd:
            return {}
        for whole, target in odd:
            part = resolve(self.workbook_part, target.decode("utf-8", "replace"))
            if not self.has(part):
                continue  # a target outside the package stays as it is: no reader finds it
            usual = part[len("xl/") :] if part.startswith("xl/") else "/" + part
            raw = raw.replace(whole, b' Target="' + usual.encode() + b'"')
        return {rels_part: raw}

    def close(self) -> None:
        self._parts = {}
        self._values = None
        self._quick = False
        self._scans = {}
        if self._zip is not None:
            self._zip.close()
            self._zip = None


def _count_si(data: bytes) -> int:
    """How many <si> elements a shared-strings part has (any prefix): what _SI finds. In the usual part every
    '<si' is '<si>' and no tag has a prefix, and three byte counts give the number without the pattern."""
    plain = data.count(b"<si>")
    if plain == data.count(b"<si") and b":si" not in data:
        return plain
    return len(_SI.findall(data))


# Parts that are the same in every workbook of a template, keyed by their bytes: what they gave once checked.
_PARSED_RELS: dict[tuple[str, bytes], tuple[Relationship, ...]] = {}
_INFLATED: dict[tuple[str, int, int, int, bytes], bytes] = {}
_HEADERS: dict[tuple[str, int, int, int], bool] = {}  # (name, CRC, sizes) of the small parts met so far
_PLAIN_STYLES: dict[bytes, frozenset[bytes] | None] = {}  # a styles part -> values.plain_styles of it
_KNOWN_MAX = 64  # entries of each (a template's few parts; a folder of many templates just parses again)


def forget_known_parts() -> None:
    """Empty the caches above: the next read of any file is a first read (bench/validate_instructions.py reads one
    file K times, and a clerk's validate reads its file once, in its own process)."""
    for cache in (_PARSED_RELS, _INFLATED, _HEADERS, _WORKBOOKS, _PLAIN_STYLES):
        cache.clear()
    forget_values()


def _remember(cache: dict[Any, Any], key: Any, value: Any, limit: int = _KNOWN_MAX) -> None:
    if len(cache) >= limit:
        cache.clear()
    cache[key] = value


def formula_text(raw: bytes) -> str:
    return unescape(raw.decode("utf-8", "replace"))


def rels_part_of(part: str) -> str:
    d, name = posixpath.split(part)
    return posixpath.join(d, "_rels", name + ".rels")


def resolve(source_part: str, target: str) -> str:
    """The part a relationship target names: absolute ('/xl/…') or relative to the source part's folder.
    '../xl/worksheets/sheet1.xml' from xl/workbook.xml is xl/worksheets/sheet1.xml; a target that climbs out of
    the package gives a name no part has."""
    if target.startswith("/"):
        return _normalise(target.lstrip("/"))
    return _normalise(posixpath.join(posixpath.dirname(source_part), target))


@lru_cache(maxsize=1024)
def _normalise(name: str) -> str:
    norm = posixpath.normpath(name) if name else name
    return "/" + norm if norm.startswith("..") else norm  # outside the package: matches no part


# ---------------------------------------------------------------- what a file that is not a workbook is
def _looks_like(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return _t("looks.pdf")
    if head[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"GIF8") or head[:3] == b"\xff\xd8\xff":
        return _t("looks.image")
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if start.startswith((b"<html", b"<!doctype html", b"<meta", b"<table")) or b"<html" in start[:512]:
        return _t("looks.html")
    if start.startswith(b"mime-version") or b"multipart/related" in start[:512]:
        return _t("looks.mht")
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return _t("looks.xml2003")
    if head.startswith(b"Rar!") or head.startswith(b"7z\xbc\xaf"):
        return _t("looks.archive")
    for codec in ("utf-8", "gb18030"):
        try:
            head[:-4].decode(codec) if len(head) >= 512 else head.decode(codec)
            return _t("looks.text")
        except UnicodeDecodeError:
            continue
    return _t("looks.binary")


def _zip_looks_like(names: set[str]) -> str:
    """What a zip without a workbook is, so the clerk knows which program made it."""
    if "word/document.xml" in names:
        return _t("looks.docx")
    if "ppt/presentation.xml" in names:
        return _t("looks.pptx")
    if "content.xml" in names and "mimetype" in names:
        return _t("looks.ods")
    books = [n for n in names if n.lower().endswith((".xlsx", ".xls", ".xlsm", ".et"))]
    if books:
        return _t("looks.zip_of_books", n=len(books))
    return _t("looks.zip")


def os_reason(e: OSError) -> str:
    keys = {errno.ELOOP: "loop", errno.ENAMETOOLONG: "name_too_long", errno.ENOTDIR: "not_dir", errno.EIO: "io"}
    key = keys.get(e.errno or 0)
    return _t(f"os.{key}") if key else _t("os.other", detail=e.strerror or type(e).__name__)


# ---------------------------------------------------------------- reading the file once
def read_file(path: Path) -> bytes:
    """The bytes of a file, after the checks a path needs (exists, regular, not empty, not too large)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise unreadable("read.not-found", path) from None
    except PermissionError:
        raise unreadable("read.permission", path) from None
    except OSError as e:  # a symlink loop, a name too long, …
        raise unreadable("read.inaccessible", path, detail=os_reason(e)) from None
    if stat.S_ISDIR(st.st_mode):
        raise unreadable("read.is-directory", path)
    if not stat.S_ISREG(st.st_mode):
        raise unreadable("read.not-xlsx", path, looks_like=_t("looks.special"))
    if st.st_size == 0:
        raise unreadable("read.empty-file", path)
    if st.st_size > MAX_FILE:
        raise unreadable(
            "read.too-large", path, detail=_t("size.file", mb=st.st_size // 1048576), limit=_t("size.mb", mb=50)
        )
    if not os.access(path, os.R_OK):
        raise unreadable("read.permission", path)
    try:
        with path.open("rb") as fh:
            data = read_at_most(fh)  # bounded: the file may grow between stat and read
    except PermissionError:
        raise unreadable("read.permission", path) from None
    except OSError as e:
        raise unreadable("read.inaccessible", path, detail=os_reason(e)) from None
    if len(data) > MAX_FILE:
        raise unreadable(
            "read.too-large", path, detail=_t("size.file", mb=len(data) // 1048576), limit=_t("size.mb", mb=50)
        )
    if not data:
        raise unreadable("read.empty-file", path)
    return data


def open_package(source: Source, name: str | Path | None = None) -> Package:
    """Check a file (a path, or its bytes already read) and read its directory. Raises UnreadableError.
    `name` is the path shown in messages when `source` is bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        path = Path(name) if name is not None else Path("workbook.xlsx")
        data = bytes(source)
        if not data:
            raise unreadable("read.empty-file", path)
        if len(data) > MAX_FILE:
            raise unreadable(
                "read.too-large", path, detail=_t("size.file", mb=len(data) // 1048576), limit=_t("size.mb", mb=50)
            )
    else:
        path = Path(source)
        data = read_file(path)
    head = data[:512]
    if head.startswith(OLE_MAGIC):
        blob = data[: 4 * 1024 * 1024]
        if "EncryptedPackage".encode("utf-16-le") in blob or "EncryptionInfo".encode("utf-16-le") in blob:
            raise unreadable("read.encrypted", path)
        raise unreadable("read.xls", path)
    if not head.startswith(b"PK"):
        raise unreadable("read.not-xlsx", path, looks_like=_looks_like(head))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise unreadable("read.corrupt", path, detail=_t("zip.no_directory")) from None
    try:
        return _read_directory(zf, infos, path, data)
    except UnreadableError:
        zf.close()
        raise
    except (
        zipfile.BadZipFile,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        RuntimeError,
        NotImplementedError,
        zlib.error,
    ) as e:
        zf.close()
        raise unreadable("read.corrupt", path, detail=_t("zip.bad_content", error=type(e).__name__)) from None


def _xml_declares_dtd(fh: Any, limit: int = MAX_PROLOG) -> bool:
    """True when an XML part has a DTD (or markup declaration) before its root element, in any encoding a
    parser accepts. The prolog may hold comments and processing instructions of any length, so looking at
    a fixed number of leading bytes is not enough; nothing after the root element's start can declare one."""
    read = fh.read
    raw = read(4096)
    enc = "utf-8"
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            enc, raw = codec, raw[len(bom) :]
            break
    else:
        if raw[:2] == b"<\x00":
            enc = "utf-16-le"
        elif raw[:2] == b"\x00<":
            enc = "utf-16-be"
    decoder = codecs.getincrementaldecoder(enc)("replace")
    text, pos, seen = decoder.decode(raw), 0, len(raw)
    while True:
        while pos < len(text) and text[pos] in " \t\r\n":
            pos += 1
        end = -1
        if text.startswith("<?", pos):
            end = text.find("?>", pos)
            end = end + 2 if end >= 0 else -1
        elif text.startswith("<!--", pos):
            end = text.find("-->", pos)
            end = end + 3 if end >= 0 else -1
        elif text.startswith("<!", pos):
            return True  # <!DOCTYPE …> or any other markup declaration
        elif text.startswith("<", pos) and len(text) > pos + 1:
            return False  # the root element: no DTD can follow
        elif pos < len(text) and not text.startswith("<", pos):
            return False  # not XML at all: the parser will refuse it
        if end >= 0:
            pos = end
            continue
        more = read(65536)
        if not more:
            return False
        seen += len(more)
        if seen > limit:
            return True  # a megabyte of prolog is not a workbook
        text = text[pos:] + decoder.decode(more)
        pos = 0


def _check_sizes(path: Path, data: bytes, infos: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Inflate every part once, counting bytes, and refuse a part larger than its header says: the headers
    can lie, and a reader that trusts the stream (not the header) would inflate a bomb to gigabytes.
    Returns the verified bytes of the XML parts small enough to keep."""
    kept: dict[str, bytes] = {}
    view = memoryview(data)
    for info in infos:
        if info.is_dir() or info.file_size == 0 and info.compress_size == 0:
            continue
        at = info.header_offset
        head = data[at : at + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise unreadable("read.corrupt", path, detail=_t("zip.bad_offset", part=info.filename))
        n, m = struct.unpack("<HH", head[26:30])
        start = at + 30 + n + m
        if info.compress_type == zipfile.ZIP_STORED:
            if info.compress_size != info.file_size:
                raise unreadable("read.corrupt", path, detail=_t("zip.bad_size", part=info.filename))
            continue
        keep = info.file_size <= KEEP_PART and info.filename.endswith((".xml", ".rels"))
        # A small part the same as one already inflated and verified (same name, sizes, CRC and deflated bytes:
        # the outcome cannot differ) is those bytes again, without inflating it a second time. Only a part whose
        # header was met before is remembered: a template's theme, styles, workbook…, never each book's sheets.
        header = (info.filename, info.CRC, info.file_size, info.compress_size)
        small = keep and info.file_size <= _SMALL_PART
        if small and header in _HEADERS:
            key = (*header, data[start : start + info.compress_size])
            seen = _INFLATED.get(key)
            if seen is not None:
                kept[info.filename] = seen
                continue
        elif small:
            _remember(_HEADERS, header, True, limit=4096)
            small = False
        inflater = zlib.decompressobj(-15)
        out, crc = 0, 0
        pieces: list[bytes] = []
        pos, stop = start, min(start + info.compress_size, len(data))
        while pos < stop:
            chunk: bytes = view[pos : min(pos + (1 << 16), stop)].tobytes()
            pos += len(chunk)
            while chunk:
                try:
                    got = inflater.decompress(chunk, 1 << 20)
                except zlib.error:
                    raise unreadable("read.corrupt", path, detail=_t("zip.bad_data", part=info.filename)) from None
                out += len(got)
                crc = zlib.crc32(got, crc)
                if keep:
                    pieces.append(got)
                if out > info.file_size:
                    raise unreadable(
                        "read.corrupt", path, detail=_t("zip.forged_size", part=info.filename, size=info.file_size)
                    )
                chunk = inflater.unconsumed_tail
        if out != info.file_size or crc != info.CRC:
            raise unreadable("read.corrupt", path, detail=_t("zip.bad_crc", part=info.filename))
        if keep:
            kept[info.filename] = b"".join(pieces)
            if small:
                _remember(_INFLATED, key, kept[info.filename])
    return kept


_SMALL_PART = 64 * 1024  # inflated size up to which a part's bytes may be remembered


_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_END = struct.Struct("<4sHHHHIIH")


def _stored_copy(
    data: bytes, infos: list[zipfile.ZipInfo], kept: dict[str, bytes], replaced: dict[str, bytes]
) -> bytes:
    """A zip of the same parts in the same order: those in `replaced` or `kept` (inflated and verified by
    _check_sizes) stored uncompressed, every other one copied with its method, sizes and CRC as they are. Called
    after _check_sizes, so every entry's local header is known to be in place."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for info in infos:
        try:
            name, flags = info.filename.encode("ascii"), 0
        except UnicodeEncodeError:
            name, flags = info.filename.encode("utf-8"), 0x800
        body = replaced.get(info.filename)
        if body is not None:
            method, crc, size = zipfile.ZIP_STORED, zlib.crc32(body), len(body)
            raw = body
        elif (body := kept.get(info.filename)) is not None:
            method, crc, size = zipfile.ZIP_STORED, info.CRC, info.file_size
            raw = body
        else:
            method, crc, size = info.compress_type, info.CRC, info.file_size
            at = info.header_offset
            n, m = struct.unpack_from("<HH", data, at + 26)
            raw = data[at + 30 + n + m : at + 30 + n + m + info.compress_size]
        y, mo, d, hh, mi, ss = info.date_time
        dtime, ddate = (hh << 11) | (mi << 5) | (ss // 2), ((max(y, 1980) - 1980) << 9) | (mo << 5) | d
        head = _LOCAL.pack(b"PK\x03\x04", 20, flags, method, dtime, ddate, crc, len(raw), size, len(name), 0)
        central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                20,
                20,
                flags,
                method,
                dtime,
                ddate,
                crc,
                len(raw),
                size,
                len(name),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + name
        )
        out += (head, name, raw)
        offset += len(head) + len(name) + len(raw)
    directory = b"".join(central)
    out += (directory, _END.pack(b"PK\x05\x06", 0, 0, len(infos), len(infos), len(directory), offset, 0))
    return b"".join(out)


def _part_label(zf: zipfile.ZipFile, part: str) -> str:
    """'工作表“表2 收入总表”（xl/worksheets/sheet2.xml）' for a sheet part, else the part name (size messages)."""
    try:
        if zf.getinfo("xl/workbook.xml").file_size > MAX_MEMBER // 8:
            return part
        wb = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        return part
    rid = next(
        (
            a.get("Id", "")
            for a in _tags(rels, b"Relationship")
            if resolve("xl/workbook.xml", a.get("Target", "")) == part
        ),
        "",
    )
    for a in _tags(wb, b"sheet"):
        if rid and any(k.endswith(":id") and v == rid for k, v in a.items()):
            return _t("sheet_label", name=a.get("name", ""), part=part)
    return part


def _tags(data: bytes, name: bytes) -> list[dict[str, str]]:
    """The attributes of every <name …> tag (any prefix) of a small part, before it has been checked."""
    rx = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?" + name + rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>")
    return [attributes(m.group(1)) for m in rx.finditer(data)]


# The parts whose prolog _read_directory refuses when it declares a DTD, in any encoding.
_PROLOG_CHECKED = (".xml", ".rels", ".vml")


def _parse_xml(pkg: Package, name: str) -> Any:
    data = pkg.part(name)
    if _ENTITY.search(data):
        raise unreadable("read.unsafe-xml", pkg.path, part=name)
    try:
        if pkg._prologs_checked and name in pkg._names and name.lower().endswith(_PROLOG_CHECKED):
            # No DTD, checked on opening: no entity can be declared and nothing external is named, so the C
            # parser is as safe here as defusedxml's Python one, which calls back into Python for every tag.
            return ET.fromstring(data)
        return DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise unreadable("read.unsafe-xml", pkg.path, part=name) from None
    except Exception as e:  # malformed XML inside a well-formed zip
        raise unreadable("read.corrupt", pkg.path, detail=_t("xml.bad", part=name, error=type(e).__name__)) from None


_WORKBOOKS: dict[tuple[str, bytes], tuple[tuple[tuple[str, str, str], ...], bool]] = {}


def _workbook_facts(pkg: Package, workbook: str) -> tuple[tuple[tuple[str, str, str], ...], bool]:
    """(name, relationship id, state) of every sheet, and fullCalcOnLoad, of the workbook part; parsed once per
    process for the same bytes (every workbook of a template has them), a refusal raised each time."""
    data = pkg.part(workbook)
    known = _WORKBOOKS.get((workbook, data))
    if known is None:
        wb = _parse_xml(pkg, workbook)
        ns = N.namespace(wb.tag) if N.namespace(wb.tag) in N.MAINS else N.MAIN  # transitional or strict
        rel_ids = [f"{{{r}}}id" for r in N.RELS]
        sheets = tuple(
            (
                el.get("name", ""),
                next((el.get(k) for k in rel_ids if el.get(k) is not None), ""),
                el.get("state", "visible"),
            )
            for el in wb.iter(f"{{{ns}}}sheet")  # type: ignore[attr-defined]
        )
        calc = wb.find(f"{{{ns}}}calcPr")  # type: ignore[attr-defined]
        known = (sheets, calc is not None and calc.get("fullCalcOnLoad") in ("1", "true"))
        _remember(_WORKBOOKS, (workbook, data), known)
    return known


def _office_document(pkg: Package) -> str:
    """The workbook part: named by the package relationship when its content type is a spreadsheet's
    (xl/workbook.xml when the package says nothing usable)."""
    try:
        overrides, _ = pkg.content_types()
        for rel in pkg.rels(""):
            if rel.type.endswith("/officeDocument") and not rel.external and pkg.has(rel.target):
                if "spreadsheetml" in overrides.get(rel.target, "") or rel.target == "xl/workbook.xml":
                    return rel.target
    except UnreadableError:
        pass  # a damaged package relationship: the usual name
    finally:
        pkg._rels.clear()
    return "xl/workbook.xml"


def _read_directory(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], path: Path, data: bytes) -> Package:
    if len(infos) > MAX_MEMBERS:
        raise unreadable(
            "read.too-large", path, detail=_t("size.parts", n=len(infos)), limit=_t("size.count", n=MAX_MEMBERS)
        )
    total = 0
    names: set[str] = set()
    for info in infos:
        if info.flag_bits & 0x1:
            raise unreadable("read.encrypted", path)
        if info.filename in names:  # two parts of one name: two readers could see two different workbooks
            raise unreadable("read.corrupt", path, detail=_t("zip.duplicate", part=info.filename))
        names.add(info.filename)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise unreadable("read.corrupt", path, detail=_t("zip.method", part=info.filename))
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER or (info.file_size > 10 * 1024 * 1024 and ratio > MAX_RATIO):
            raise unreadable(
                "read.too-large",
                path,
                detail=_t("size.part", label=_part_label(zf, info.filename), mb=info.file_size // 1048576),
                limit=_t("size.mb", mb=MAX_MEMBER // 1048576),
            )
    if total > MAX_TOTAL:
        raise unreadable(
            "read.too-large",
            path,
            detail=_t("size.total", mb=total // 1048576),
            limit=_t("size.mb", mb=MAX_TOTAL // 1048576),
        )
    pkg = Package(path, data, _zip=zf, _names=names)
    # The usual name first (as value readers look for it); else the part the package relationship names.
    workbook = "xl/workbook.xml" if "xl/workbook.xml" in names or "_rels/.rels" not in names else _office_document(pkg)
    if workbook not in names:
        raise unreadable("read.not-xlsx", path, looks_like=_zip_looks_like(names))
    pkg.workbook_part = workbook
    pkg._parts = _check_sizes(path, data, infos)
    for info in infos:
        # A DTD can only sit in the prolog: refusing any part that declares one stops XXE and billion laughs
        # before calamine or openpyxl parse it.
        if info.filename.lower().endswith(_PROLOG_CHECKED):
            kept = pkg._parts.get(info.filename)
            if kept is not None and _PLAIN_PROLOG.match(kept):
                continue  # an XML declaration at most, then the root element: no DTD can follow
            with io.BytesIO(kept) if kept is not None else zf.open(info) as fh:
                if _xml_declares_dtd(fh):
                    raise unreadable("read.unsafe-xml", path, part=info.filename)
    pkg._prologs_checked = True
    sheets, pkg.full_calc_on_load = _workbook_facts(pkg, workbook)
    pkg.sheet_count = len(sheets)
    targets = {r.id: r.target for r in pkg.rels(workbook) if not r.external}
    for name, rid, state in sheets:
        part = targets.get(rid, "")
        if part in names:
            pkg.sheets[name] = part
        pkg.hidden[name] = state
    pkg.has_macros = any(n.lower().endswith("vbaproject.bin") for n in names)
    if "docProps/custom.xml" in names:
        for prop in _parse_xml(pkg, "docProps/custom.xml").iter():  # type: ignore[attr-defined]
            if N.local(prop.tag) == "property":
                pkg.custom[prop.get("name", "")] = "".join(child.text or "" for child in prop)
    return pkg
