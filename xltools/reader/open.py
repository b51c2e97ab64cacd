"""Open an .xlsx defensively before any parser sees it: what it is, whether it is safe and small
enough, which sheets it has and which cells hold formulas. Every refusal is a `read.*` finding."""

from __future__ import annotations

import codecs
import errno
import html
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path, PurePosixPath

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from ..cells import a1, col_index
from ..errors import UnreadableError
from ..findings import ERROR, Finding, finding

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

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"

# A formula cell: <c r="B5" ...><f ...>TEXT</f>… (the schema puts <f> first inside <c>).
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?>\s*<f\b[^>]*?(?:/>|>(.*?)</f>)', re.S)
_ENTITY = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)
_CONTENT_CELL = re.compile(rb"<c\b[^>]*(?<!/)>")  # a cell element that is not an empty styled <c .../>
_CONTENT_CELL_R = re.compile(rb'<c\b[^>]*?\sr="([A-Z]{1,3})([0-9]{1,7})"[^>]*(?<!/)>')
_ANY_CELL = re.compile(rb"<c[\s>/]")
_FAR_CELL = re.compile(rb'<c r="(?:[A-Z]{2}|[A-Z]+[0-9]{5})')
_ROW_R = re.compile(rb'<row\b[^>]*?\sr="([0-9]{1,7})"')
_ERROR_CELL = re.compile(rb'<c\b([^>]*\st="e"[^>]*)>(.*?)</c>', re.S)
_V = re.compile(rb"<v>(.*?)</v>", re.S)
_R_ATTR = re.compile(rb'\sr="([A-Z]+[0-9]+)"')


@dataclass
class Package:
    """What we know of a workbook before reading its values."""

    path: Path
    sheets: dict[str, str] = field(default_factory=dict)  # sheet name -> part name (xl/worksheets/sheet1.xml)
    hidden: dict[str, str] = field(default_factory=dict)  # sheet name -> state
    custom: dict[str, str] = field(default_factory=dict)  # custom document properties
    has_macros: bool = False
    full_calc_on_load: bool = False
    notices: list[Finding] = field(default_factory=list)
    _zip: zipfile.ZipFile | None = None
    _parts: dict[str, bytes] = field(default_factory=dict)  # verified inflated XML parts (see _check_sizes)
    _last: tuple[str, bytes] | None = None

    def formulas(self, sheet: str, last_row: int | None = None) -> dict[str, bytes]:
        """A1 -> raw XML text of the formula (without '=') for every formula cell ('' for a shared formula);
        decode with `formula_text`."""
        part = self.sheets.get(sheet)
        if part is None or self._zip is None:
            return {}
        data = self._part(part)
        if last_row is not None:  # rows are in order: nothing after last_row is needed
            cut = data.find(b'<row r="%d"' % (last_row + 1))
            if cut > 0:
                data = data[:cut]
        if b"<f" not in data:
            return {}
        # Texts stay bytes here; the reader decodes only the ones it compares.
        return {m.group(1).decode(): m.group(2) or b"" for m in _FORMULA_CELL.finditer(data)}

    def _part(self, part: str) -> bytes:
        """A part's bytes; the last one is kept, as a sheet is scanned several times in a row."""
        kept = self._parts.get(part)
        if kept is not None:
            return kept
        if self._last is None or self._last[0] != part:
            assert self._zip is not None
            self._last = (part, self._zip.read(part))
        return self._last[1]

    def extent(self, sheet: str) -> tuple[int, int, str]:
        """(rows, columns, farthest cell) of a sheet's used range, or an upper bound of it, counted in the XML
        before a parser builds its grid. Cells without an r attribute (rare, legal) make the bound conservative."""
        part = self.sheets.get(sheet)
        if part is None or self._zip is None:
            return 0, 0, ""
        data = self._part(part)
        # Fast path (in C): every cell placed by reference, none beyond column Z or row 9999, so the grid
        # is at most 26 x 9999 cells and the exact extent does not matter.
        if len(_ANY_CELL.findall(data)) == data.count(b'<c r="') and not _FAR_CELL.search(data):
            return 9999, 26, ""  # an upper bound, far below MAX_GRID
        rows = cols = 0
        far_row = far_col = ""
        refs = _CONTENT_CELL_R.findall(data)
        for letters, digits in refs:
            r, c = int(digits), col_index(letters.decode()) + 1
            if r > rows:
                rows, far_row = r, (letters + digits).decode()
            if c > cols:
                cols, far_col = c, (letters + digits).decode()
        if len(_CONTENT_CELL.findall(data)) > len(refs):  # cells placed by position, not by reference
            rows = max([rows, data.count(b"<row"), *(int(r) for r in _ROW_R.findall(data))])
            cols = max(cols, min(data.count(b"<c"), 16384))
            far_row = a1(rows, 0)
        far = far_col if cols > 1000 else far_row
        return rows, cols, far

    def error_cells(self, sheet: str) -> dict[str, str]:
        """A1 -> Excel error value (#DIV/0!, #N/A, …) of every error cell; a reader gives them as blanks."""
        part = self.sheets.get(sheet)
        if part is None or self._zip is None:
            return {}
        data = self._part(part)
        if b't="e"' not in data:
            return {}
        out: dict[str, str] = {}
        for m in _ERROR_CELL.finditer(data):
            ref, v = _R_ATTR.search(m.group(1)), _V.search(m.group(2))
            if ref and b"<f" not in m.group(2):
                out[ref.group(1).decode()] = _unescape(v.group(1).decode("utf-8", "replace")) if v else "#错误"
        return out

    def close(self) -> None:
        self._last = None
        self._parts = {}
        if self._zip is not None:
            self._zip.close()
            self._zip = None


def formula_text(raw: bytes) -> str:
    return _unescape(raw.decode("utf-8", "replace"))


def _unescape(s: str) -> str:
    """XML text -> str, including numeric character references (openpyxl writes &#37096; for CJK)."""
    return html.unescape(s) if "&" in s else s


def unreadable(rule: str, path: Path, **params: object) -> UnreadableError:
    """The exception for a file that cannot be used, carrying its read.* finding."""
    return UnreadableError(finding(rule, ERROR, path=str(path), **params))


def _looks_like(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return " PDF 文件"
    if head[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"GIF8") or head[:3] == b"\xff\xd8\xff":
        return "图片"
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if start.startswith((b"<html", b"<!doctype html", b"<meta", b"<table")) or b"<html" in start[:512]:
        return "网页（HTML，可能是从网页或系统导出时另存的）"
    if start.startswith(b"mime-version") or b"multipart/related" in start[:512]:
        return "单个网页文件（MHT）"
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in head:
        return " Excel 2003 XML 表格"
    if head.startswith(b"Rar!") or head.startswith(b"7z\xbc\xaf"):
        return "压缩包（RAR 或 7z）"
    for codec in ("utf-8", "gb18030"):
        try:
            head[:-4].decode(codec) if len(head) >= 512 else head.decode(codec)
            return "纯文本（可能是 CSV 或改了扩展名的文本文件）"
        except UnicodeDecodeError:
            continue
    return "无法识别的二进制数据"


def _zip_looks_like(names: set[str]) -> str:
    """What a zip without xl/workbook.xml is, so the clerk knows which program made it."""
    if "word/document.xml" in names:
        return " Word 文档（.docx）"
    if "ppt/presentation.xml" in names:
        return " PowerPoint 演示文稿（.pptx）"
    if "content.xml" in names and "mimetype" in names:
        return " OpenDocument 表格（.ods）"
    books = [n for n in names if n.lower().endswith((".xlsx", ".xls", ".xlsm", ".et"))]
    if books:
        return f"压缩包（内含 {len(books)} 个 Excel 文件，请解压后分别提交）"
    return "其他格式的压缩包（不含 Excel 工作簿）"


def _os_reason(e: OSError) -> str:
    reasons = {
        errno.ELOOP: "路径中的符号链接（快捷方式）互相指向，构成了循环",
        errno.ENAMETOOLONG: "路径或文件名过长",
        errno.ENOTDIR: "路径中的某一级不是文件夹",
        errno.EIO: "读取磁盘时出错",
    }
    return reasons.get(e.errno or 0, f"操作系统报告：{e.strerror or type(e).__name__}")


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise unreadable("read.not-found", path) from None
    except PermissionError:
        raise unreadable("read.permission", path) from None
    except OSError as e:  # a symlink loop, a name too long, …
        raise unreadable("read.inaccessible", path, detail=_os_reason(e)) from None
    if stat.S_ISDIR(st.st_mode):
        raise unreadable("read.is-directory", path)
    if not stat.S_ISREG(st.st_mode):
        raise unreadable("read.not-xlsx", path, looks_like="特殊文件（不是普通文件）")
    if st.st_size == 0:
        raise unreadable("read.empty-file", path)
    if st.st_size > MAX_FILE:
        raise unreadable("read.too-large", path, detail=f"大小为 {st.st_size // 1048576} MB", limit="50 MB")
    if not os.access(path, os.R_OK):
        raise unreadable("read.permission", path)


def _xml_declares_dtd(fh: object, limit: int = MAX_PROLOG) -> bool:
    """True when an XML part has a DTD (or markup declaration) before its root element, in any encoding a
    parser accepts. The prolog may hold comments and processing instructions of any length, so looking at
    a fixed number of leading bytes is not enough; nothing after the root element's start can declare one."""
    read = fh.read  # type: ignore[attr-defined]
    raw = read(4096)
    enc = "utf-8"
    for bom, name in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if raw.startswith(bom):
            enc, raw = name, raw[len(bom) :]
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


KEEP_PART = 4 * 1024 * 1024  # inflated parts up to this size are kept, so no part is inflated twice


def _check_sizes(path: Path, infos: list[zipfile.ZipInfo]) -> dict[str, bytes]:
    """Inflate every part once, counting bytes, and refuse a part larger than its header says: the headers
    can lie, and a reader that trusts the stream (not the header) would inflate a bomb to gigabytes.
    Returns the verified bytes of the XML parts small enough to keep."""
    kept: dict[str, bytes] = {}
    with path.open("rb") as fh:
        for info in infos:
            if info.is_dir() or info.file_size == 0 and info.compress_size == 0:
                continue
            fh.seek(info.header_offset)
            head = fh.read(30)
            if len(head) < 30 or head[:4] != b"PK\x03\x04":
                raise unreadable("read.corrupt", path, detail=f"压缩包中部件 {info.filename} 的位置信息有误")
            n, m = struct.unpack("<HH", head[26:30])
            fh.seek(info.header_offset + 30 + n + m)
            if info.compress_type == zipfile.ZIP_STORED:
                if info.compress_size != info.file_size:
                    raise unreadable("read.corrupt", path, detail=f"压缩包中部件 {info.filename} 的大小信息不一致")
                continue
            inflater = zlib.decompressobj(-15)
            left, out, crc = info.compress_size, 0, 0
            keep = info.file_size <= KEEP_PART and info.filename.endswith(".xml")
            pieces: list[bytes] = []
            while left > 0:
                chunk = fh.read(min(1 << 16, left))
                if not chunk:
                    break
                left -= len(chunk)
                while chunk:
                    try:
                        data = inflater.decompress(chunk, 1 << 20)
                    except zlib.error:
                        raise unreadable(
                            "read.corrupt", path, detail=f"压缩包中部件 {info.filename} 的数据已损坏"
                        ) from None
                    out += len(data)
                    crc = zlib.crc32(data, crc)
                    if keep:
                        pieces.append(data)
                    if out > info.file_size:
                        raise unreadable(
                            "read.corrupt",
                            path,
                            detail=f"部件 {info.filename} 解压后的实际大小超过文件头声明的 "
                            f"{info.file_size} 字节（文件损坏或被篡改，可能是压缩炸弹）",
                        )
                    chunk = inflater.unconsumed_tail
            if out != info.file_size or crc != info.CRC:
                raise unreadable("read.corrupt", path, detail=f"部件 {info.filename} 校验失败（数据不完整或已损坏）")
            if keep:
                kept[info.filename] = b"".join(pieces)
    return kept


def _part_label(zf: zipfile.ZipFile, part: str) -> str:
    """'工作表“表2 收入总表”' for a sheet part, else the part name (used in size messages)."""
    try:
        if zf.getinfo("xl/workbook.xml").file_size > MAX_MEMBER // 8:
            return part
        wb = zf.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = zf.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        return part
    target = part[len("xl/") :] if part.startswith("xl/") else part
    rel = re.search(r'<Relationship\b[^>]*Target="/?(?:xl/)?' + re.escape(target) + r'"[^>]*>', rels)
    rid = re.search(r'\bId="([^"]+)"', rel.group(0)) if rel else None
    sheet = re.search(r'<sheet\b[^>]*name="([^"]*)"[^>]*r:id="' + re.escape(rid.group(1)) + '"', wb) if rid else None
    return f"工作表“{_unescape(sheet.group(1))}”（{part}）" if sheet else part


@lru_cache(maxsize=1024)
def _part_name(target: str) -> str:
    """The zip part a workbook relationship targets (relative targets are under xl/). Cached: every workbook
    names the same parts, and building a PurePosixPath per relationship is a measurable share of a read."""
    return target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)


def _parse_xml(zf: zipfile.ZipFile, name: str, path: Path) -> object:
    data = zf.read(name)
    if _ENTITY.search(data[:4096]) or _ENTITY.search(data):
        raise unreadable("read.unsafe-xml", path, part=name)
    try:
        return DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise unreadable("read.unsafe-xml", path, part=name) from None
    except Exception as e:  # malformed XML inside a well-formed zip
        raise unreadable("read.corrupt", path, detail=f"{name} 内容有误（{type(e).__name__}）") from None


def open_package(path: str | Path) -> Package:
    """Check a file and read its directory. Raises UnreadableError with a read.* finding."""
    path = Path(path)
    _check_file(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except PermissionError:
        raise unreadable("read.permission", path) from None
    except OSError as e:
        raise unreadable("read.inaccessible", path, detail=_os_reason(e)) from None
    if head.startswith(OLE_MAGIC):
        with path.open("rb") as fh:
            blob = fh.read(min(path.stat().st_size, 4 * 1024 * 1024))
        if "EncryptedPackage".encode("utf-16-le") in blob or "EncryptionInfo".encode("utf-16-le") in blob:
            raise unreadable("read.encrypted", path)
        raise unreadable("read.xls", path)
    if not head.startswith(b"PK"):
        raise unreadable("read.not-xlsx", path, looks_like=_looks_like(head))
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, NotImplementedError):
        raise unreadable(
            "read.corrupt", path, detail="压缩包结构不完整（文件末尾的目录缺失，多见于下载或复制中断）"
        ) from None
    try:
        return _read_directory(zf, infos, path)
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
        raise unreadable("read.corrupt", path, detail=f"压缩包内容有误（{type(e).__name__}）") from None


def _read_directory(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], path: Path) -> Package:
    if len(infos) > MAX_MEMBERS:
        raise unreadable("read.too-large", path, detail=f"含 {len(infos)} 个部件", limit=f"{MAX_MEMBERS} 个")
    total = 0
    names: set[str] = set()
    for info in infos:
        if info.flag_bits & 0x1:
            raise unreadable("read.encrypted", path)
        if info.filename in names:  # two parts of one name: two readers could see two different workbooks
            raise unreadable("read.corrupt", path, detail=f"压缩包中部件 {info.filename} 出现了两次（文件可能被篡改）")
        names.add(info.filename)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise unreadable("read.corrupt", path, detail=f"部件 {info.filename} 使用了 Excel 不用的压缩方式")
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER or (info.file_size > 10 * 1024 * 1024 and ratio > MAX_RATIO):
            raise unreadable(
                "read.too-large",
                path,
                detail=f"中的{_part_label(zf, info.filename)}解压后有 {info.file_size // 1048576} MB",
                limit=f"{MAX_MEMBER // 1048576} MB",
            )
    if total > MAX_TOTAL:
        raise unreadable(
            "read.too-large", path, detail=f"解压后共 {total // 1048576} MB", limit=f"{MAX_TOTAL // 1048576} MB"
        )
    if "xl/workbook.xml" not in names:
        raise unreadable("read.not-xlsx", path, looks_like=_zip_looks_like(names))
    pkg = Package(path, _zip=zf, _parts=_check_sizes(path, infos))
    # A bad CRC in any part means a damaged download; check the parts we will read.
    wb = _parse_xml(zf, "xl/workbook.xml", path)
    rels = _parse_xml(zf, "xl/_rels/workbook.xml.rels", path) if "xl/_rels/workbook.xml.rels" in names else None
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in rels.iter(f"{NS_PKG_REL}Relationship"):  # type: ignore[attr-defined]
            targets[rel.get("Id", "")] = _part_name(rel.get("Target", ""))
    for sh in wb.iter(f"{NS_MAIN}sheet"):  # type: ignore[attr-defined]
        name = sh.get("name", "")
        part = targets.get(sh.get(f"{NS_REL}id", ""), "")
        if part in names:
            pkg.sheets[name] = part
        pkg.hidden[name] = sh.get("state", "visible")
    calc = wb.find(f"{NS_MAIN}calcPr")  # type: ignore[attr-defined]
    pkg.full_calc_on_load = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
    pkg.has_macros = any(n.lower().endswith("vbaproject.bin") for n in names)
    if "docProps/custom.xml" in names:
        custom = _parse_xml(zf, "docProps/custom.xml", path)
        for prop in custom.iter(f"{NS_CUSTOM}property"):  # type: ignore[attr-defined]
            value = "".join(child.text or "" for child in prop)
            pkg.custom[prop.get("name", "")] = value
    for info in infos:
        # A DTD can only sit in the prolog: refusing any part that declares one stops XXE and billion laughs
        # before calamine or openpyxl parse it.
        if info.filename.lower().endswith((".xml", ".rels", ".vml")):
            kept = pkg._parts.get(info.filename)
            with io.BytesIO(kept) if kept is not None else zf.open(info) as fh:
                if _xml_declares_dtd(fh):
                    raise unreadable("read.unsafe-xml", path, part=info.filename)
    return pkg
