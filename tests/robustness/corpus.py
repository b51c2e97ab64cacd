"""Generator of broken and hostile inputs (issue 6): every file of the corpus is made here, from the bundled
example or from scratch, into a folder the caller gives. No binary blobs are stored in the repository.

Each kind is registered with `@kind(...)`; `build(kind_id, folder)` writes it and returns the path to give
to `xltools validate`. The expected outcome of each kind is in `expected.py`.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import os
import re
import shutil
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from xltools.edition import load_edition
from xltools.edition.layout import table_layout
from xltools.edition.model import Edition
from xltools.stamp import STAMP_SHEET
from xltools.template.write import write_template

REPO = Path(__file__).resolve().parents[2]
EDITION_ID = "hebei-county-2020"
EXAMPLE = "longyao-cac-2020.xlsx"


# ---------------------------------------------------------------- valid starting points


def edition() -> Edition:
    return load_edition(EDITION_ID)


@lru_cache(maxsize=1)
def _example_data() -> dict[str, Any]:
    spec = importlib.util.spec_from_file_location("xltools_examples_build", REPO / "examples" / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.example_data(EXAMPLE)[2]  # type: ignore[no-any-return]


def example_data() -> dict[str, Any]:
    """Plain data of the corrected bundled example (a fresh copy: callers mutate it)."""
    return copy.deepcopy(_example_data())


def workbook_bytes(data: dict[str, Any] | None = None, ed: Edition | None = None) -> bytes:
    """The bytes of a workbook written by the template writer (the bundled example by default)."""
    if data is None and ed is None:
        return _example_bytes()
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "w.xlsx"
        write_template(ed or edition(), p, data if data is not None else example_data())
        return p.read_bytes()


@lru_cache(maxsize=1)
def _example_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "w.xlsx"
        write_template(edition(), p, example_data())
        return p.read_bytes()


def where(table: str, row: str, col: str) -> tuple[str, str]:
    """(sheet, A1) of a declared cell of the default edition."""
    ed = edition()
    return ed.table(table).sheet, table_layout(ed, table).cell(row, col)


# ---------------------------------------------------------------- zip and sheet XML surgery


def members(zb: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(zb)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def build_zip(parts: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _deflated(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


Edit = bytes | Callable[[bytes], bytes] | None


def edit_zip(zb: bytes, changes: dict[str, Edit]) -> bytes:
    """Replace (bytes), transform (callable) or drop (None) members; names not present are added."""
    parts = members(zb)
    for name, change in changes.items():
        if change is None:
            parts.pop(name, None)
        elif callable(change):
            parts[name] = change(parts[name])
        else:
            parts[name] = change
    return build_zip(parts)


def sheet_part(zb: bytes, sheet: str) -> str:
    """The part name (xl/worksheets/sheetN.xml) of a sheet, from workbook.xml and its relationships."""
    parts = members(zb)
    wb = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    m = re.search(r'<sheet [^>]*name="' + re.escape(escape(sheet, {'"': "&quot;"})) + r'"[^>]*r:id="([^"]+)"', wb)
    assert m, sheet
    t = re.search(r'<Relationship [^>]*Id="' + m.group(1) + r'"[^>]*Target="([^"]+)"', rels)
    if t is None:
        t = re.search(r'<Relationship [^>]*Target="([^"]+)"[^>]*Id="' + m.group(1) + '"', rels)
    assert t, m.group(1)
    target = t.group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


def set_cell(xml: bytes, ref: str, inner: str, t: str | None = None) -> bytes:
    """Replace the content of cell `ref` in a sheet's XML (keeping its style)."""
    rx = re.compile(rb'<c r="' + ref.encode() + rb'"([^>]*?)(?:/>|>.*?</c>)', re.S)
    m = rx.search(xml)
    assert m, f"cell {ref} not in sheet XML"
    attrs = re.sub(rb'\st="[^"]*"', b"", m.group(1)).rstrip(b"/")
    new = (
        b'<c r="' + ref.encode() + b'"' + attrs + (f' t="{t}"'.encode() if t else b"") + b">" + inner.encode() + b"</c>"
    )
    return xml[: m.start()] + new + xml[m.end() :]


def inline(text: str) -> tuple[str, str]:
    """Cell content for an inline string."""
    return f'<is><t xml:space="preserve">{escape(text)}</t></is>', "inlineStr"


def with_cell(table: str, row: str, col: str, inner: str, t: str | None = None, zb: bytes | None = None) -> bytes:
    """The example workbook with one cell's XML replaced."""
    zb = zb or workbook_bytes()
    sheet, a1 = where(table, row, col)
    return edit_zip(zb, {sheet_part(zb, sheet): lambda x: set_cell(x, a1, inner, t)})


def with_text(table: str, row: str, col: str, text: str) -> bytes:
    inner, t = inline(text)
    return with_cell(table, row, col, inner, t)


def drop_formula(xml: bytes, ref: str, value: str) -> bytes:
    """A constant pasted over a formula cell (what "paste values" over a total does)."""
    return set_cell(xml, ref, f"<v>{value}</v>")


def workbook_xml_edit(zb: bytes, fn: Callable[[str], str]) -> bytes:
    return edit_zip(zb, {"xl/workbook.xml": lambda x: fn(x.decode()).encode()})


def restamp(zb: bytes, **values: str) -> bytes:
    """Change stamp values (edition, version, year) in both the custom properties and the _xltools sheet."""
    parts = members(zb)
    custom = parts["docProps/custom.xml"].decode()
    for k, v in values.items():
        custom = re.sub(rf'(name="xltools_{k}"><vt:lpwstr>)[^<]*', rf"\g<1>{v}", custom)
    parts["docProps/custom.xml"] = custom.encode()
    # the stamp sheet holds shared strings: add new inline strings instead
    part = sheet_part(zb, STAMP_SHEET)
    xml = parts[part]
    order = ["edition", "version", "year", "fingerprint", "generator"]
    for k, v in values.items():
        inner, t = inline(v)
        xml = set_cell(xml, f"B{order.index(k) + 1}", inner, t)
    parts[part] = xml
    return build_zip(parts)


# ---------------------------------------------------------------- other file formats, made from scratch


def ole_file(streams: list[str], size: int = 4096) -> bytes:
    """A minimal OLE2 compound file (what .xls and encrypted .xlsx are): header, one FAT sector and one
    directory sector naming the streams, as UTF-16LE like Excel writes them."""
    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<I", header, 44, 1)  # one FAT sector
    struct.pack_into("<I", header, 48, 1)  # first directory sector
    struct.pack_into("<I", header, 56, 4096)
    struct.pack_into("<I", header, 60, 0xFFFFFFFE)
    struct.pack_into("<I", header, 68, 0xFFFFFFFE)
    struct.pack_into("<I", header, 76, 0)  # DIFAT[0] -> FAT in sector 0
    for i in range(1, 109):
        struct.pack_into("<I", header, 76 + 4 * i, 0xFFFFFFFF)
    fat = bytearray(b"\xff" * 512)
    struct.pack_into("<II", fat, 0, 0xFFFFFFFD, 0xFFFFFFFE)
    directory = bytearray()
    for i, name in enumerate(["Root Entry", *streams]):
        entry = bytearray(128)
        raw = name.encode("utf-16-le")
        entry[0 : len(raw)] = raw
        struct.pack_into("<HBB", entry, 64, len(raw) + 2, 5 if i == 0 else 2, 1)
        struct.pack_into("<III", entry, 68, 0xFFFFFFFF, 0xFFFFFFFF, 1 if i == 0 else 0xFFFFFFFF)
        directory += entry
    directory += b"\x00" * (-len(directory) % 512)
    body = bytes(header + fat + directory)
    return body + b"\x00" * max(0, size - len(body))


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = zlib.compress(b"\x00\xff\xff\xff")
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", raw)
        + chunk(b"IEND", b"")
    )


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


# ---------------------------------------------------------------- the registry


@dataclass(frozen=True)
class Kind:
    id: str
    title: str  # what happened to the file, in the words of the finance bureau
    make: Callable[[Path], Path]  # folder -> the path to validate
    edition: str | None = None  # passed as --edition
    merge: bool = True  # a file a bureau may find in a merge folder
    big: bool = False  # slow to make (seconds): cached, and left out of small samples


KINDS: dict[str, Kind] = {}


def kind(
    kid: str, title: str, *, suffix: str = ".xlsx", edition: str | None = None, merge: bool = True, big: bool = False
) -> Callable[[Callable[[], bytes]], Callable[[], bytes]]:
    """Register a kind whose content is bytes written to <folder>/<kid><suffix>."""

    def deco(fn: Callable[[], bytes]) -> Callable[[], bytes]:
        def make(folder: Path) -> Path:
            p = folder / f"{kid}{suffix}"
            p.write_bytes(fn())
            return p

        KINDS[kid] = Kind(kid, title, make, edition, merge, big)
        return fn

    return deco


def special(
    kid: str, title: str, *, edition: str | None = None, merge: bool = True
) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    """Register a kind that makes something other than a plain file (a folder, a link, a permission)."""

    def deco(fn: Callable[[Path], Path]) -> Callable[[Path], Path]:
        KINDS[kid] = Kind(kid, title, fn, edition, merge)
        return fn

    return deco


def build(kid: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return KINDS[kid].make(folder)


def build_all(folder: Path, kinds: list[str] | None = None) -> Iterator[tuple[str, Path]]:
    for kid in kinds or list(KINDS):
        yield kid, build(kid, folder)


# ---- the file itself ----


@kind("valid", "未改动的示例工作簿（对照）")
def _valid() -> bytes:
    return workbook_bytes()


@kind("empty-file", "空文件（0 字节，下载中断）")
def _empty() -> bytes:
    return b""


@special("directory", "给出的是文件夹而不是文件", merge=False)
def _directory(folder: Path) -> Path:
    p = folder / "directory.xlsx"
    p.mkdir(exist_ok=True)
    return p


@special("missing-file", "文件不存在（路径写错）", merge=False)
def _missing(folder: Path) -> Path:
    return folder / "missing-file.xlsx"


@special("symlink-loop", "符号链接循环（快捷方式指向自己）")
def _loop(folder: Path) -> Path:
    a, b = folder / "symlink-loop.xlsx", folder / "symlink-loop-b.xlsx"
    for p in (a, b):
        if p.is_symlink():
            p.unlink()
    os.symlink(b.name, a)
    os.symlink(a.name, b)
    return a


@special("no-permission", "没有读取权限（chmod 000）")
def _no_permission(folder: Path) -> Path:
    p = folder / "no-permission.xlsx"
    p.write_bytes(workbook_bytes())
    p.chmod(0)
    return p


@kind("plain-text", "纯文本改了扩展名")
def _text() -> bytes:
    return "单位名称,金额\n网信办,477884\n".encode()


@kind("csv-gbk", "GBK 编码的 CSV 改了扩展名")
def _csv_gbk() -> bytes:
    return "单位名称,金额\n网信办,477884\n".encode("gbk")


@kind("pdf-renamed", "PDF 文件改成 .xlsx")
def _pdf() -> bytes:
    return pdf_bytes()


@kind("png-renamed", "图片（截图）改成 .xlsx")
def _png() -> bytes:
    return png_bytes()


@kind("html-saved-as-xlsx", "网页（HTML）另存为 .xlsx")
def _html() -> bytes:
    return (
        "\ufeff<!doctype html><html><head><meta charset='utf-8'></head><body><table><tr><td>部门收支总体情况表"
        "</td></tr></table></body></html>"
    ).encode()


@kind("xls-renamed", "旧版 .xls 改名为 .xlsx")
def _xls() -> bytes:
    return ole_file(["Workbook", "\x05SummaryInformation"])


@kind("encrypted-ole", "设置了打开密码（Excel 加密，OLE 容器中的 EncryptedPackage）")
def _encrypted_ole() -> bytes:
    return ole_file(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"])


@kind("encrypted-zip-entry", "压缩包部件设置了加密标志")
def _encrypted_zip() -> bytes:
    zb = bytearray(workbook_bytes())
    # set bit 0 (encrypted) of the general purpose flags in every local and central header
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        start = 0
        while (i := zb.find(sig, start)) >= 0:
            zb[i + off] |= 0x01
            start = i + 4
    return bytes(zb)


@kind("truncated-zip", "只下载了一半的工作簿（截断的压缩包）")
def _truncated() -> bytes:
    zb = workbook_bytes()
    return zb[: len(zb) * 3 // 5]


@kind("docx-renamed", "Word 文档改成 .xlsx（压缩包中没有工作簿）")
def _docx() -> bytes:
    return build_zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/content-types"/>',
            "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
            b'wordprocessingml/2006/main"><w:body/></w:document>',
        }
    )


@kind("ods-renamed", "WPS/OpenOffice 表格（.ods）改成 .xlsx")
def _ods() -> bytes:
    return build_zip(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": b'<?xml version="1.0"?><office:document-content xmlns:office="urn:oasis:'
            b'names:tc:opendocument:xmlns:office:1.0"/>',
        }
    )


@kind("zip-of-workbooks", "把多个工作簿打成一个压缩包改名 .xlsx")
def _zip_of_workbooks() -> bytes:
    return build_zip({"网信办.xlsx": workbook_bytes(), "说明.txt": "请查收".encode()})


@kind("zip-bomb", "压缩炸弹：sharedStrings 解压后上百 MB", big=True)
def _zip_bomb() -> bytes:
    parts = members(workbook_bytes())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            if name == "xl/sharedStrings.xml":
                with zf.open(_deflated(name), "w", force_zip64=True) as fh:
                    fh.write(data.replace(b"</sst>", b""))
                    chunk = b"<si><t>" + b"A" * (1 << 20) + b"</t></si>"
                    for _ in range(120):
                        fh.write(chunk)
                    fh.write(b"</sst>")
            else:
                zf.writestr(name, data)
    return buf.getvalue()


def _forge_size(zb: bytes, name: str, declared: int, crc: int) -> bytes:
    """Make the zip headers of one member lie about its uncompressed size and CRC."""
    out = bytearray(zb)
    raw = name.encode()
    start = 0
    while (i := out.find(b"PK\x03\x04", start)) >= 0:
        n = struct.unpack_from("<H", out, i + 26)[0]
        if out[i + 30 : i + 30 + n] == raw:
            struct.pack_into("<I", out, i + 14, crc)
            struct.pack_into("<I", out, i + 22, declared)
        start = i + 4
    start = 0
    while (i := out.find(b"PK\x01\x02", start)) >= 0:
        n = struct.unpack_from("<H", out, i + 28)[0]
        if out[i + 46 : i + 46 + n] == raw:
            struct.pack_into("<I", out, i + 16, crc)
            struct.pack_into("<I", out, i + 24, declared)
        start = i + 4
    return bytes(out)


@kind("zip-bomb-forged-size", "压缩炸弹：部件头谎报解压后大小（声称 30 KB，实为 200 MB）", big=True)
def _zip_bomb_forged() -> bytes:
    parts = members(workbook_bytes())
    real = parts["xl/sharedStrings.xml"]
    head = real.replace(b"</sst>", b"")
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    body = comp.compress(head)
    filler = b"<si><t>" + b"B" * (1 << 20) + b"</t></si>"
    for _ in range(200):
        body += comp.compress(filler)
    body += comp.compress(b"</sst>") + comp.flush()
    declared = len(real)
    crc = zlib.crc32((head + filler)[:declared])
    parts_bytes = build_zip({**parts, "xl/sharedStrings.xml": real})
    # splice the bomb's compressed stream in place of the honest one
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(parts_bytes)) as zin, zipfile.ZipFile(buf, "w") as zout:
        for info in zin.infolist():
            if info.filename == "xl/sharedStrings.xml":
                zi = zipfile.ZipInfo(info.filename)
                zi.compress_type = zipfile.ZIP_STORED
                zout.writestr(zi, body)  # stored: we patch the method to deflate below
            else:
                zout.writestr(info, zin.read(info), compress_type=zipfile.ZIP_DEFLATED)
    out = bytearray(buf.getvalue())
    raw = b"xl/sharedStrings.xml"
    for sig, method_off, name_len_off, name_off in ((b"PK\x03\x04", 8, 26, 30), (b"PK\x01\x02", 10, 28, 46)):
        start = 0
        while (i := out.find(sig, start)) >= 0:
            n = struct.unpack_from("<H", out, i + name_len_off)[0]
            if out[i + name_off : i + name_off + n] == raw:
                struct.pack_into("<H", out, i + method_off, 8)
            start = i + 4
    return _forge_size(bytes(out), "xl/sharedStrings.xml", declared, crc)


@kind("too-many-parts", "压缩包含 3000 个部件")
def _many_parts() -> bytes:
    parts = members(workbook_bytes())
    for i in range(3000):
        parts[f"customXml/item{i}.xml"] = b"<a/>"
    return build_zip(parts)


@kind("duplicate-parts", "压缩包中同名部件出现两次（不同程序读到不同内容）")
def _duplicate_parts() -> bytes:
    zb = workbook_bytes()
    parts = members(zb)
    part = sheet_part(zb, where("t02", "r0", "general")[0])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zf.writestr(part, set_cell(parts[part], where("t02", "r0", "general")[1], "<v>1</v>"))
    return buf.getvalue()


@kind("path-traversal-part", "压缩包中有指向上级目录的部件名（../../）")
def _traversal() -> bytes:
    return edit_zip(workbook_bytes(), {"../../evil.sh": b"#!/bin/sh\necho pwned\n"})


XXE = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>\n"
)


def _with_prolog(xml: bytes, prolog: str, extra: bytes = b"") -> bytes:
    body = re.sub(rb"^<\?xml[^>]*\?>\s*", b"", xml)
    return prolog.encode() + extra + body


@kind("xxe-sheet", "工作表 XML 中含外部实体（XXE，读取 /etc/passwd）")
def _xxe() -> bytes:
    zb = workbook_bytes()
    sheet, a1 = where("cover", "name", "value")
    part = sheet_part(zb, sheet)
    return edit_zip(zb, {part: lambda x: set_cell(_with_prolog(x, XXE), a1, "<is><t>&xxe;</t></is>", "inlineStr")})


@kind("billion-laughs", "sharedStrings 中含“十亿笑声”实体炸弹")
def _laughs() -> bytes:
    return edit_zip(
        workbook_bytes(), {"xl/sharedStrings.xml": lambda x: _with_prolog(x, LAUGHS).replace(b"<t>", b"<t>&lol9;", 1)}
    )


@kind("dtd-after-long-comment", "DTD 藏在 8 KB 注释之后（绕过只看文件开头的检查）")
def _dtd_late() -> bytes:
    comment = b"<!--" + b" padding " * 1000 + b"-->\n"
    return edit_zip(
        workbook_bytes(),
        {
            "xl/sharedStrings.xml": lambda x: (
                b'<?xml version="1.0" encoding="UTF-8"?>\n' + comment + _with_prolog(x, LAUGHS.split("\n", 1)[1])
            ).replace(b"<t>", b"<t>&lol9;", 1)
        },
    )


@kind("dtd-utf16", "以 UTF-16 编码的 XML 中含 DTD（绕过按字节查找）")
def _dtd_utf16() -> bytes:
    def to16(x: bytes) -> bytes:
        body = _with_prolog(x, LAUGHS.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>'))
        return "\ufeff".encode("utf-16-le") + body.decode().replace("<t>", "<t>&lol9;", 1).encode("utf-16-le")

    return edit_zip(workbook_bytes(), {"xl/sharedStrings.xml": to16})


@kind("xlsm-macros", "含 VBA 宏的工作簿（xl/vbaProject.bin）", suffix=".xlsm")
def _macros() -> bytes:
    return edit_zip(workbook_bytes(), {"xl/vbaProject.bin": ole_file(["VBA", "dir", "ThisWorkbook"])})


@kind("malformed-sheet-xml", "工作表 XML 被截断（部件内容损坏）")
def _malformed() -> bytes:
    zb = workbook_bytes()
    part = sheet_part(zb, where("t03", "r0", "code")[0])
    return edit_zip(zb, {part: lambda x: x[: len(x) // 2]})


@kind("crc-error", "部件数据损坏（CRC 校验失败）")
def _crc() -> bytes:
    zb = workbook_bytes()
    part = sheet_part(zb, where("t03", "r0", "code")[0]).encode()
    out = bytearray(zb)
    i = out.find(b"PK\x03\x04")
    while i >= 0:
        n, extra = struct.unpack_from("<HH", out, i + 26)
        if out[i + 30 : i + 30 + n] == part:
            csize = struct.unpack_from("<I", out, i + 18)[0]
            data_start = i + 30 + n + extra
            # corrupt a run in the middle of the stored/deflated data (keep the deflate stream decodable
            # as long as possible: flipping bits in literal bytes mostly yields a CRC mismatch)
            mid = data_start + csize // 2
            for k in range(mid, mid + 8):
                out[k] ^= 0x55
            break
        i = out.find(b"PK\x03\x04", i + 4)
    return bytes(out)


@kind("missing-sheet-part", "工作簿目录列出的工作表部件不存在")
def _missing_part() -> bytes:
    zb = workbook_bytes()
    return edit_zip(zb, {sheet_part(zb, where("t05", "r0", "code")[0]): None})


@kind("sheet-target-outside", "工作表关系指向压缩包之外的路径（../../etc/passwd）")
def _outside() -> bytes:
    zb = workbook_bytes()
    part = sheet_part(zb, where("t06", "r0", "code")[0])
    target = part[len("xl/") :]
    return edit_zip(
        zb,
        {
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(
                f'Target="{target}"'.encode(), b'Target="../../../../etc/passwd"'
            )
        },
    )


# ---- the stamp: another edition, year or version ----


@kind("stamp-removed", "新建工作簿后复制粘贴了模板工作表（没有模板标记）")
def _stamp_removed() -> bytes:
    zb = workbook_bytes()
    part = sheet_part(zb, STAMP_SHEET)
    out = workbook_xml_edit(zb, lambda x: re.sub(r'<sheet name="_xltools"[^>]*/>', "", x))
    return edit_zip(out, {"docProps/custom.xml": None, part: None})


@kind("stamp-sheet-deleted", "删除了隐藏的 _xltools 工作表（文档属性中的标记仍在）")
def _stamp_sheet_deleted() -> bytes:
    zb = workbook_bytes()
    return workbook_xml_edit(zb, lambda x: re.sub(r'<sheet name="_xltools"[^>]*/>', "", x))


@kind("unknown-edition", "其他省份/版本的模板（本工具不认识）")
def _unknown_edition() -> bytes:
    return restamp(workbook_bytes(), edition="shandong-county-2024")


@kind("other-year", "其他年度的模板（2019 年）")
def _other_year() -> bytes:
    return restamp(workbook_bytes(), year="2019")


@kind("unknown-version", "旧版本模板（版本号 2019.3）")
def _unknown_version() -> bytes:
    return restamp(workbook_bytes(), version="2019.3")


def other_edition_dir(base: Path) -> Path:
    """A small test edition (a copy of hebei-county-2020 for 2021 with its own id) under base/editions."""
    dest = base / "editions" / "test-county-2021"
    if not (dest / "edition.toml").is_file():
        shutil.copytree(REPO / "schemas" / EDITION_ID, dest, dirs_exist_ok=True)
        toml = (dest / "edition.toml").read_text(encoding="utf-8")
        toml = toml.replace(f'id = "{EDITION_ID}"', 'id = "test-county-2021"')
        toml = re.sub(r"years = \[2020\]", "years = [2021]", toml).replace("default_year = 2020", "default_year = 2021")
        (dest / "edition.toml").write_text(toml, encoding="utf-8")
    return dest


@special(
    "other-edition", "另一个版本（test-county-2021）的工作簿，按 --edition hebei-county-2020 检查", edition=EDITION_ID
)
def _other_edition(folder: Path) -> Path:
    ed = load_edition(str(other_edition_dir(folder)))
    data = example_data()
    data["cover"]["year"]["value"] = 2021
    p = folder / "other-edition.xlsx"
    p.write_bytes(workbook_bytes(data, ed))
    return p


# ---- sheets and structure ----


def _big_sheet(rows: int, varied: bool) -> bytes:
    """The example with `rows` filled rows appended to 表2, the sheet XML streamed into the zip."""
    zb = workbook_bytes()
    part = sheet_part(zb, where("t02", "r0", "code")[0])
    parts = members(zb)
    head, tail = parts[part].split(b"</sheetData>")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, data in parts.items():
            if name != part:
                zf.writestr(name, data)
                continue
            with zf.open(_deflated(name), "w", force_zip64=True) as fh:
                fh.write(head)
                step = 10000
                for start in range(50, 50 + rows, step):
                    stop = min(start + step, 50 + rows)
                    if varied:
                        fh.write(
                            "".join(
                                f'<row r="{r}"><c r="D{r}"><v>{(r * 7919) % 100003}.{r % 97}</v></c></row>'
                                for r in range(start, stop)
                            ).encode()
                        )
                    else:
                        fh.write(
                            b"".join(b'<row r="%d"><c r="D%d"><v>1</v></c></row>' % (r, r) for r in range(start, stop))
                        )
                fh.write(b"</sheetData>" + tail)
    return buf.getvalue()


@kind("million-rows", "表2 中粘贴了 1,000,000 行数据", big=True)
def _million_rows() -> bytes:
    return _big_sheet(1_000_000, varied=False)


@kind("far-away-cell", "表格之外很远处（XFD1048576）有一个数字", merge=True)
def _far_cell() -> bytes:
    zb = workbook_bytes()
    part = sheet_part(zb, where("t02", "r0", "code")[0])
    return edit_zip(
        zb,
        {
            part: lambda x: x.replace(
                b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>'
            )
        },
    )


@kind("sheet-renamed", "工作表“表3 支出总表”被改名为“支出表”")
def _renamed() -> bytes:
    return workbook_xml_edit(workbook_bytes(), lambda x: x.replace('name="表3 支出总表"', 'name="支出表"'))


@kind("sheet-deleted", "删除了工作表“表7 三公经费表”")
def _deleted() -> bytes:
    zb = workbook_bytes()
    return workbook_xml_edit(zb, lambda x: re.sub(r'<sheet name="表7 三公经费表"[^>]*/>', "", x))


@kind("sheet-added", "增加了一张工作表“草稿”")
def _added() -> bytes:
    zb = workbook_bytes()
    sheet = (
        b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>draft</t></is></c>'
        b"</row></sheetData></worksheet>"
    )
    out = edit_zip(
        zb,
        {
            "xl/worksheets/sheet99.xml": sheet,
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(
                b"</Relationships>",
                b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/'
                b'2006/relationships/worksheet" Target="worksheets/sheet99.xml"/></Relationships>',
            ),
            "[Content_Types].xml": lambda x: x.replace(
                b"</Types>",
                b'<Override PartName="/xl/worksheets/sheet99.xml" ContentType="application/vnd.openxml'
                b'formats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
            ),
        },
    )
    return workbook_xml_edit(
        out, lambda x: x.replace("</sheets>", '<sheet name="草稿" sheetId="99" r:id="rId99"/></sheets>')
    )


def _openpyxl(fn: Callable[[Any], None]) -> bytes:
    """Load the example with openpyxl, apply fn(workbook) and save: what another program's re-save does."""
    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(workbook_bytes()))
    fn(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@kind("rows-inserted-fixed", "在固定行的“表1 收支总表”中间插入了一行")
def _rows_inserted() -> bytes:
    sheet, a1 = where("t01", "inc_soe", "inc")
    return _openpyxl(lambda wb: wb[sheet].insert_rows(int(a1[1:])))


@kind("rows-beyond-area", "在“表3 支出总表”填写区之外的行中填了数据")
def _beyond() -> bytes:
    ed = edition()
    lay = table_layout(ed, "t03")
    last = lay.last_row
    sheet = ed.table("t03").sheet
    zb = workbook_bytes()
    row = (
        f'<row r="{last + 3}"><c r="B{last + 3}" t="inlineStr"><is><t>2010101</t></is></c>'
        f'<c r="D{last + 3}"><v>5000</v></c></row>'
    ).encode()
    return edit_zip(zb, {sheet_part(zb, sheet): lambda x: x.replace(b"</sheetData>", row + b"</sheetData>")})


@kind("cached-values-missing", "用其他软件（openpyxl）另存：公式没有缓存值")
def _no_cache() -> bytes:
    return _openpyxl(lambda wb: None)


@kind("header-overwritten", "表头“项目支出”被改写为“项目经费”")
def _header() -> bytes:
    ed = edition()
    t = ed.table("t03")
    lay = table_layout(ed, "t03")
    r0, c0, *_ = next(h for h in lay.header_cells() if h[4] == "项目支出")
    from xltools.cells import a1 as cell_a1

    inner, tt = inline("项目经费")
    zb = workbook_bytes()
    return edit_zip(zb, {sheet_part(zb, t.sheet): lambda x: set_cell(x, cell_a1(r0, c0), inner, tt)})


@kind("column-inserted", "在“表2 收入总表”中插入了一列")
def _column_inserted() -> bytes:
    sheet = where("t02", "r0", "general")[0]
    return _openpyxl(lambda wb: wb[sheet].insert_cols(4))


@kind("merged-header-unmerged", "表头的合并单元格被取消合并")
def _unmerged() -> bytes:
    zb = workbook_bytes()
    part = sheet_part(zb, where("t03", "r0", "code")[0])
    return edit_zip(zb, {part: lambda x: re.sub(rb"<mergeCells\b.*?</mergeCells>", b"", x, flags=re.S)})


@kind("merged-data-cells", "“表3”两个金额单元格被合并（右边的金额丢失）")
def _merged_data() -> bytes:
    zb = workbook_bytes()
    sheet, left = where("t03", "r3", "basic_public")
    _, right = where("t03", "r3", "project")

    def fn(x: bytes) -> bytes:
        x = set_cell(x, right, "")
        if b"<mergeCells" in x:
            return re.sub(
                rb'<mergeCells count="(\d+)">',
                lambda m: (
                    b'<mergeCells count="%d"><mergeCell ref="%s:%s"/>'
                    % (int(m.group(1)) + 1, left.encode(), right.encode())
                ),
                x,
            )
        return x

    return edit_zip(zb, {sheet_part(zb, sheet): fn})


@kind("formula-pasted-same", "合计公式被粘贴为数值（数值正确）")
def _pasted_same() -> bytes:
    zb = workbook_bytes()
    sheet, a1 = where("t01", "inc_total", "inc")
    return edit_zip(zb, {sheet_part(zb, sheet): lambda x: drop_formula(x, a1, "477884")})


@kind("formula-pasted-wrong", "合计公式被粘贴为错误的数值")
def _pasted_wrong() -> bytes:
    zb = workbook_bytes()
    sheet, a1 = where("t03", "r0", "total")
    return edit_zip(zb, {sheet_part(zb, sheet): lambda x: drop_formula(x, a1, "480000")})


@kind("formula-edited", "合计公式被改成另一个公式（缓存值也不对）")
def _formula_edited() -> bytes:
    zb = workbook_bytes()
    sheet, a1 = where("t01", "inc_subtotal", "inc")
    return edit_zip(zb, {sheet_part(zb, sheet): lambda x: set_cell(x, a1, "<f>B5+1</f><v>477885</v>")})


# ---- values in number cells (on an empty 金额 cell, so only the cell itself is wrong) ----

EMPTY_MONEY = ("t02", "r0", "special")


@kind("text-in-number", "金额单元格中填了文字“见附件”")
def _text_number() -> bytes:
    return with_text(*EMPTY_MONEY, "见附件")


@kind("na-in-number", "金额单元格中填了“N/A”")
def _na() -> bytes:
    return with_text(*EMPTY_MONEY, "N/A")


@kind("nan-in-number", "金额单元格中是 NaN（其他程序写出）")
def _nan() -> bytes:
    return with_cell(*EMPTY_MONEY, "<v>NaN</v>")


@kind("inf-in-number", "金额单元格中是 inf（其他程序写出）")
def _inf() -> bytes:
    return with_cell(*EMPTY_MONEY, "<v>INF</v>")


@kind("huge-number", "金额单元格中是 1e300")
def _huge() -> bytes:
    return with_cell(*EMPTY_MONEY, "<v>1E+300</v>")


@kind("error-value", "金额单元格中是 Excel 错误值 #DIV/0!")
def _error_value() -> bytes:
    return with_cell(*EMPTY_MONEY, "<v>#DIV/0!</v>", "e")


@kind("bool-in-number", "金额单元格中是逻辑值 TRUE")
def _bool() -> bytes:
    return with_cell(*EMPTY_MONEY, "<v>1</v>", "b")


@kind("date-in-number", "金额单元格中是日期 2020-03-01")
def _date() -> bytes:
    return with_cell(*EMPTY_MONEY, "<v>2020-03-01T00:00:00</v>", "d")


@kind("negative-amount", "金额填了负数（人员经费 -1000）")
def _negative() -> bytes:
    data = example_data()
    data["t06"][1]["personnel"] = -1000
    return workbook_bytes(data)


@kind("wan-in-yuan", "元为单位的表中填了“2000万”")
def _wan() -> bytes:
    return with_text(*EMPTY_MONEY, "2000万")


@kind("fullwidth-digits", "用全角数字填写金额（数值不变）")
def _fullwidth() -> bytes:
    return with_text("t02", "r0", "general", "４７７８８４")


@kind("thousands-separators", "金额带千分位逗号“477,884.00”（数值不变）")
def _thousands() -> bytes:
    return with_text("t02", "r0", "general", "477,884.00")


@kind("dash-for-zero", "无金额处填了“—”")
def _dash() -> bytes:
    return with_text(*EMPTY_MONEY, "—")


@kind("very-long-string", "文字说明中粘贴了 100,000 个字符")
def _long() -> bytes:
    return with_text("text", "duties", "text", "很长的文字" * 20000)


@kind("control-characters", "单位名称中含控制字符（从网页复制）")
def _control() -> bytes:
    return with_cell(
        "cover", "name", "value", "<is><t>中共隆尧县委网络安全和信息化委员会办公室_x0007__x000B_</t></is>", "inlineStr"
    )


@kind("duplicated-code", "表6 中同一科目填了两行")
def _dup_code() -> bytes:
    data = example_data()
    rows = data["t06"]
    i = next(k for k, r in enumerate(rows) if r["code"] == "30101")
    rows.insert(i + 1, {"code": "30101", "personnel": Decimal(0)})
    return workbook_bytes(data)


@kind("wrong-cover-year", "封面预算年度填成 2019")
def _cover_year() -> bytes:
    return with_cell("cover", "year", "value", "<v>2019</v>")


# ---- more damage seen in files from offices ----


@kind("hundred-thousand-rows", "表2 下方粘贴了 100,000 行数据（未超过大小上限）", big=True)
def _hundred_thousand_rows() -> bytes:
    return _big_sheet(100_000, varied=False)


@kind("far-cell-by-position", "很远处的单元格没有 r 属性（位置隐含在行号中）")
def _far_by_position() -> bytes:
    zb = workbook_bytes()
    part = sheet_part(zb, where("t02", "r0", "code")[0])
    return edit_zip(
        zb,
        {
            part: lambda x: x.replace(
                b"</sheetData>", b'<row r="1048576"><c><v>1</v></c><c><v>2</v></c></row></sheetData>'
            )
        },
    )


@kind("tiny-exponent", "金额单元格中是“1e-999999”（极小的指数）")
def _tiny() -> bytes:
    return with_text(*EMPTY_MONEY, "1e-999999")


@kind("deep-nesting", "单元格中嵌套了 100,000 层 XML 元素")
def _deep() -> bytes:
    inner = "<is>" + "<r>" * 100_000 + "</r>" * 100_000 + "<t>x</t></is>"
    return with_cell("text", "duties", "text", inner, "inlineStr")


@kind("bad-utf8", "sharedStrings 中有无效的 UTF-8 字节")
def _bad_utf8() -> bytes:
    return edit_zip(workbook_bytes(), {"xl/sharedStrings.xml": lambda x: x.replace(b"<t>", b"<t>\xff\xfe", 1)})


@kind("bad-shared-string-index", "单元格引用了不存在的共享字符串（索引 999999）")
def _bad_sst() -> bytes:
    return with_cell("cover", "name", "value", "<v>999999</v>", "s")


@kind("formula-error-cached", "合计公式的缓存值是错误值 #REF!")
def _formula_error() -> bytes:
    zb = workbook_bytes()
    sheet, a1 = where("t03", "total", "total")
    return edit_zip(
        zb,
        {
            sheet_part(zb, sheet): lambda x: re.sub(
                rb'(<c r="' + a1.encode() + rb'"[^>]*?)>(<f>[^<]*</f>)<v>[^<]*</v>', rb'\1 t="e">\2<v>#REF!</v>', x
            )
        },
    )


# ---- other producers' XML (issue 10): code in corpus_producers.py ----
from . import corpus_producers as _producers  # noqa: E402

kind("attribute-order", "属性顺序不同的 XML（<c s=… r=…>，其他程序写出）")(_producers.attribute_order)
kind("single-quoted-attributes", "属性值用单引号的 XML（r='A1'）")(_producers.single_quotes)
kind("namespace-prefix", "带命名空间前缀的 XML（<x:c r=…>）")(_producers.namespace_prefix)
kind("strict-ooxml", "严格 Open XML（Strict OOXML）命名空间")(_producers.strict_namespaces)
kind("sheet-target-parent", "工作表关系写成 ../xl/worksheets/…")(_producers.sheet_target_parent)
from . import corpus_env  # noqa: E402, F401  (issue 13: the environment's scenarios and cell kinds register)
