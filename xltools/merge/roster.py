"""The finance bureau's list of departments (名单): a .csv or .xlsx with 单位编码 and 单位名称.

Tolerated: a UTF-8 byte order mark, GBK/GB18030 text as Excel saves "CSV" on Chinese Windows,
comma, tab, semicolon or full-width comma separators, header variants (单位编码/单位代码/部门编码/
编码/code …), title rows above the header, blank rows, codes stored as numbers in Excel
(101001.0 -> "101001"). A file with no recognisable header is read as (编码, 名称) when its first
cell is a code. A code listed twice is kept once (noted).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import texts
from ..errors import EXIT_UNREADABLE, EXIT_USAGE, UnreadableError, XltoolsError

# Header spellings seen in bureaus' rosters (data: xltools/texts/roster.toml).
CODE_HEADERS = tuple(texts.raw("roster.code_headers"))
NAME_HEADERS = tuple(texts.raw("roster.name_headers"))
_CODE_LIKE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{1,19}$")

# A roster is untrusted input like any workbook: bounded before anything is parsed. A county has hundreds of
# units; these limits are two orders of magnitude above any real roster.
MAX_BYTES = 10 * 1024 * 1024
MAX_CELLS = 500_000  # of the first sheet's used range (rows x columns), checked in the XML before a grid is built
MAX_ROWS = 100_000


class RosterError(XltoolsError):
    """The roster cannot be used: exit 2 when it is missing or of the wrong kind, 3 when its content is refused."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _refuse(key: str, **params: Any) -> RosterError:
    return RosterError(texts.text(f"roster.{key}", **params), EXIT_UNREADABLE)


@dataclass(frozen=True)
class RosterEntry:
    code: str
    name: str
    numeric: bool = False  # the cell was a number in Excel: leading zeros may have been lost


@dataclass
class Roster:
    path: str
    entries: list[RosterEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    _index: dict[str, RosterEntry] = field(default_factory=dict, repr=False, compare=False)

    def lookup(self, code: str) -> RosterEntry | None:
        """The entry for a submitted code; a numeric roster cell also matches the code without leading zeros."""
        if len(self._index) != len(self.entries):
            self._index = {e.code: e for e in self.entries}
        if not code:
            return None
        if code in self._index:
            return self._index[code]
        entry = self._index.get(code.lstrip("0"))
        return entry if entry is not None and entry.numeric else None


def _norm(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else repr(v)
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return unicodedata.normalize("NFKC", str(v)).strip().replace("\u3000", "")


def _header_key(v: Any) -> str:
    s = _norm(v).lower().replace(" ", "").replace("*", "")
    return re.sub(r"[（(].*?[）)]", "", s)


def _find_columns(rows: list[list[Any]]) -> tuple[int, int, int]:
    """(header row index or -1, code column, name column)."""
    for i, row in enumerate(rows[:20]):
        keys = [_header_key(v) for v in row]
        code_col = next((keys.index(h) for h in CODE_HEADERS if h in keys), -1)
        if code_col < 0:
            continue
        name_col = next((keys.index(h) for h in NAME_HEADERS if h in keys and keys.index(h) != code_col), -1)
        return i, code_col, name_col
    for row in rows[:20]:
        cells = [_norm(v) for v in row]
        if cells and any(cells):
            if _CODE_LIKE.match(cells[0]):
                return -1, 0, 1 if len(cells) > 1 else -1
            break
    raise RosterError(texts.text("roster.no_code_column"))


def _utf16_without_bom(data: bytes) -> str | None:
    """'le' or 'be' when the text is UTF-16 saved without a byte order mark (NUL in every other byte)."""
    sample = data[:4096]
    if len(sample) < 4 or b"\x00" not in sample:
        return None
    odd, even = sample[1::2].count(0), sample[0::2].count(0)
    half = len(sample) // 2
    if odd > half * 0.4 and even < half * 0.05:
        return "le"
    if even > half * 0.4 and odd < half * 0.05:
        return "be"
    return None


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", "replace")
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        order = _utf16_without_bom(data)
        if order is not None:  # "Unicode text" of old Excel without its mark
            return data.decode(f"utf-16-{order}")
    except UnicodeDecodeError:
        raise _refuse("encoding") from None
    if b"\x00" in data:
        raise _refuse("binary")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK, which Excel uses for "CSV" on Chinese Windows
    except UnicodeDecodeError:
        raise _refuse("encoding") from None


def _csv_rows(data: bytes) -> list[list[Any]]:
    text = _decode(data)
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";", "，"), key=first.count)
    if delimiter == "，":
        text = text.replace("，", ",")
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    rows: list[list[Any]] = []
    started = 1  # the line where the row being read began (a quoted field may span lines)
    try:
        for row in reader:
            rows.append(row)
            started = reader.line_num + 1
            if len(rows) > MAX_ROWS:
                raise _refuse("too_many_rows", limit=MAX_ROWS)
    except csv.Error as e:
        limit = csv.field_size_limit()
        if "field larger" in str(e):
            raise _refuse("field_too_long", line=started, limit=limit // 1024) from None
        if "end of data" in str(e):
            raise _refuse("unterminated_quote", line=started) from None
        raise _refuse("bad_csv", line=started) from None
    return rows


def _xlsx_rows(path: Path, data: bytes) -> tuple[list[list[Any]], set[tuple[int, int]]]:
    """The first sheet, after the reader's own checks of the package (size, bombs, DTD) and of the sheet's used
    range, so a 5 KB file with one value at XFD1048576 is refused instead of becoming a grid of 10^10 cells."""
    from python_calamine import CalamineWorkbook

    from ..reader.open import open_package

    try:
        pkg = open_package(path)
    except UnreadableError as e:
        raise _refuse("unreadable", path=str(path), reason=e.finding.message) from None
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = wb.sheet_names
        if not names:
            raise _refuse("no_sheet", path=str(path))
        rows_n, cols_n, far = pkg.extent(names[0])
        if rows_n * cols_n > MAX_CELLS:
            raise _refuse("sheet_too_large", path=str(path), sheet=names[0], cell=far or "?", limit=MAX_CELLS)
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except RosterError:
        raise
    except Exception as e:  # calamine's own error types
        raise _refuse("unreadable", path=str(path), reason=f"{type(e).__name__}: {str(e)[:120]}") from None
    finally:
        pkg.close()
    numeric = {
        (r, c)
        for r, row in enumerate(rows)
        for c, v in enumerate(row)
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
    return rows, numeric


def _read_bytes(path: Path) -> bytes:
    """The roster's bytes, read once: a regular file only (a FIFO or a device would block or never end), and
    bounded in size."""
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as e:
        raise RosterError(texts.text("roster.cannot_open", path=str(path), error=e.strerror or str(e))) from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode):
            raise RosterError(texts.text("roster.not_regular", path=str(path)))
        if st.st_size > MAX_BYTES:
            raise _refuse("too_big", path=str(path), size=st.st_size // 1048576, limit=MAX_BYTES // 1048576)
        data = fh.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _refuse("too_big", path=str(path), size=len(data) // 1048576, limit=MAX_BYTES // 1048576)
    return data


def read_roster(path: str | Path) -> Roster:
    path = Path(path)
    if not path.exists():
        raise RosterError(texts.text("roster.missing", path=str(path)))
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".xlsm", ".csv", ".txt"):
        raise RosterError(texts.text("roster.wrong_kind", path=str(path)))
    data = _read_bytes(path)
    numeric: set[tuple[int, int]] = set()
    if suffix in (".xlsx", ".xlsm"):
        rows, numeric = _xlsx_rows(path, data)
    else:
        rows = _csv_rows(data)
    header, code_col, name_col = _find_columns(rows)
    roster = Roster(str(path))
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if i <= header or code_col >= len(row):
            continue
        code = _norm(row[code_col]).replace(" ", "")
        if not code:
            continue
        name = _norm(row[name_col]) if 0 <= name_col < len(row) else ""
        if code in seen:
            roster.notes.append(texts.text("roster.duplicate", line=i + 1, code=code))
            continue
        seen.add(code)
        roster.entries.append(RosterEntry(code, name, (i, code_col) in numeric))
    if not roster.entries:
        raise RosterError(texts.text("roster.empty", path=str(path)))
    return roster
