"""Open an .xlsx defensively before any parser sees it: what it is, whether it is safe and small
enough, which sheets it has and which cells hold formulas. Every refusal is a `read.*` finding."""

from __future__ import annotations

import html
import os
import re
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import defusedxml.ElementTree as DET
from defusedxml import DefusedXmlException

from ..errors import UnreadableError
from ..rules.finding import ERROR, Finding, finding

# Limits: a department workbook is well under 1 MB; these leave a wide margin and stop zip bombs.
MAX_FILE = 50 * 1024 * 1024
MAX_MEMBER = 40 * 1024 * 1024  # uncompressed size of one part (one sheet's XML)
MAX_TOTAL = 150 * 1024 * 1024  # uncompressed size of all parts
MAX_RATIO = 200  # compression ratio above which a large part is a bomb
MAX_MEMBERS = 2000

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
NS_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
NS_CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"

# A formula cell: <c r="B5" ...><f ...>TEXT</f>… (the schema puts <f> first inside <c>).
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]+[0-9]+)"[^>]*?>\s*<f\b[^>]*?(?:/>|>(.*?)</f>)', re.S)
_ENTITY = re.compile(rb"<!DOCTYPE|<!ENTITY", re.I)


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

    def formulas(self, sheet: str, last_row: int | None = None) -> dict[str, bytes]:
        """A1 -> raw XML text of the formula (without '=') for every formula cell ('' for a shared formula);
        decode with `formula_text`."""
        part = self.sheets.get(sheet)
        if part is None or self._zip is None:
            return {}
        data = self._zip.read(part)
        if last_row is not None:  # rows are in order: nothing after last_row is needed
            cut = data.find(b'<row r="%d"' % (last_row + 1))
            if cut > 0:
                data = data[:cut]
        if b"<f" not in data:
            return {}
        # Texts stay bytes here; the reader decodes only the ones it compares.
        return {m.group(1).decode(): m.group(2) or b"" for m in _FORMULA_CELL.finditer(data)}

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None


def formula_text(raw: bytes) -> str:
    return _unescape(raw.decode("utf-8", "replace"))


def _unescape(s: str) -> str:
    """XML text -> str, including numeric character references (openpyxl writes &#37096; for CJK)."""
    return html.unescape(s) if "&" in s else s


def _fail(rule: str, path: Path, **params: object) -> UnreadableError:
    return UnreadableError(finding(rule, ERROR, path=str(path), **params))


def _looks_like(head: bytes) -> str:
    if head.startswith(b"%PDF"):
        return " PDF 文件"
    if head[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"GIF8"):
        return "图片"
    if head.lstrip().startswith((b"<html", b"<!DOCTYPE html", b"<HTML")):
        return "网页（HTML）"
    if head.startswith(b"Rar!") or head.startswith(b"7z\xbc\xaf"):
        return "压缩包"
    try:
        head.decode("utf-8")
        return "纯文本（可能是 CSV 或改了扩展名的文本文件）"
    except UnicodeDecodeError:
        return "无法识别的二进制数据"


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise _fail("read.not-found", path) from None
    except OSError as e:  # a symlink loop, a name too long, …
        raise _fail("read.corrupt", path, detail=f"无法访问（{e.strerror}）") from None
    if stat.S_ISDIR(st.st_mode):
        raise _fail("read.is-directory", path)
    if not stat.S_ISREG(st.st_mode):
        raise _fail("read.not-xlsx", path, looks_like="特殊文件（不是普通文件）")
    if st.st_size == 0:
        raise _fail("read.empty-file", path)
    if st.st_size > MAX_FILE:
        raise _fail("read.too-large", path, detail=f"大小为 {st.st_size // 1048576} MB", limit="50 MB")
    if not os.access(path, os.R_OK):
        raise _fail("read.permission", path)


def _parse_xml(zf: zipfile.ZipFile, name: str, path: Path) -> object:
    data = zf.read(name)
    if _ENTITY.search(data[:4096]) or _ENTITY.search(data):
        raise _fail("read.unsafe-xml", path, part=name)
    try:
        return DET.fromstring(data, forbid_dtd=True)
    except DefusedXmlException:
        raise _fail("read.unsafe-xml", path, part=name) from None
    except Exception as e:  # malformed XML inside a well-formed zip
        raise _fail("read.corrupt", path, detail=f"{name} 内容有误（{type(e).__name__}）") from None


def open_package(path: str | Path) -> Package:
    """Check a file and read its directory. Raises UnreadableError with a read.* finding."""
    path = Path(path)
    _check_file(path)
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except PermissionError:
        raise _fail("read.permission", path) from None
    except OSError as e:
        raise _fail("read.corrupt", path, detail=e.strerror or str(e)) from None
    if head.startswith(OLE_MAGIC):
        with path.open("rb") as fh:
            blob = fh.read(min(path.stat().st_size, 4 * 1024 * 1024))
        if "EncryptedPackage".encode("utf-16-le") in blob or "EncryptionInfo".encode("utf-16-le") in blob:
            raise _fail("read.encrypted", path)
        raise _fail("read.xls", path)
    if not head.startswith(b"PK"):
        raise _fail("read.not-xlsx", path, looks_like=_looks_like(head))
    try:
        zf = zipfile.ZipFile(path)
        infos = zf.infolist()
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as e:
        raise _fail("read.corrupt", path, detail=f"压缩包结构不完整（{e}）") from None
    try:
        return _read_directory(zf, infos, path)
    except UnreadableError:
        zf.close()
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError, RuntimeError) as e:
        zf.close()
        raise _fail("read.corrupt", path, detail=f"{type(e).__name__}: {e}") from None


def _read_directory(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], path: Path) -> Package:
    if len(infos) > MAX_MEMBERS:
        raise _fail("read.too-large", path, detail=f"含 {len(infos)} 个部件", limit=f"{MAX_MEMBERS} 个")
    total = 0
    for info in infos:
        if info.flag_bits & 0x1:
            raise _fail("read.encrypted", path)
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > MAX_MEMBER or (info.file_size > 10 * 1024 * 1024 and ratio > MAX_RATIO):
            raise _fail("read.too-large", path, detail=f"中的 {info.filename} 解压后有 {info.file_size // 1048576} MB",
                        limit=f"{MAX_MEMBER // 1048576} MB")
    if total > MAX_TOTAL:
        raise _fail("read.too-large", path, detail=f"解压后共 {total // 1048576} MB", limit=f"{MAX_TOTAL // 1048576} MB")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names:
        raise _fail("read.not-xlsx", path, looks_like="其他格式的压缩包（不含 Excel 工作簿）")
    pkg = Package(path, _zip=zf)
    # A bad CRC in any part means a damaged download; check the parts we will read.
    wb = _parse_xml(zf, "xl/workbook.xml", path)
    rels = _parse_xml(zf, "xl/_rels/workbook.xml.rels", path) if "xl/_rels/workbook.xml.rels" in names else None
    targets: dict[str, str] = {}
    if rels is not None:
        for rel in rels.iter(f"{NS_PKG_REL}Relationship"):  # type: ignore[attr-defined]
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else str(PurePosixPath("xl") / target)
            targets[rel.get("Id", "")] = part
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
        if info.filename.endswith((".xml", ".rels", ".vml")):
            with zf.open(info) as fh:
                if _ENTITY.search(fh.read(4096)):
                    raise _fail("read.unsafe-xml", path, part=info.filename)
    return pkg
