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

from ..errors import XltoolsError

CODE_HEADERS = (
    "单位编码",
    "单位代码",
    "部门编码",
    "部门代码",
    "预算单位编码",
    "预算单位代码",
    "单位编号",
    "编码",
    "代码",
    "code",
    "unitcode",
    "unit_code",
    "deptcode",
)
NAME_HEADERS = (
    "单位名称",
    "部门名称",
    "预算单位名称",
    "预算单位",
    "单位",
    "部门",
    "名称",
    "name",
    "unitname",
    "unit_name",
    "deptname",
)
_CODE_LIKE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z\-]{1,19}$")


class RosterError(XltoolsError):
    exit_code = 2


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
    raise RosterError("名单文件中找不到“单位编码”列。请在第一行写列名“单位编码”“单位名称”，每行一个单位。")


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")  # a superset of GBK, which Excel uses for "CSV" on Chinese Windows
    except UnicodeDecodeError:
        raise RosterError("名单文件的编码无法识别。请在 Excel 中另存为“CSV UTF-8（逗号分隔）”或 .xlsx。") from None


def _csv_rows(path: Path) -> list[list[Any]]:
    text = _decode(path.read_bytes())
    first = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((",", "\t", ";", "，"), key=first.count)
    if delimiter == "，":
        text = text.replace("，", ",")
        delimiter = ","
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _xlsx_rows(path: Path) -> tuple[list[list[Any]], set[tuple[int, int]]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as e:  # calamine's own error types
        raise RosterError(f"名单文件无法读取：{type(e).__name__}: {str(e)[:120]}") from None
    numeric = {
        (r, c)
        for r, row in enumerate(rows)
        for c, v in enumerate(row)
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }
    return rows, numeric


def read_roster(path: str | Path) -> Roster:
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"找不到名单文件：{path}")
    suffix = path.suffix.lower()
    numeric: set[tuple[int, int]] = set()
    try:
        if suffix in (".xlsx", ".xlsm"):
            rows, numeric = _xlsx_rows(path)
        elif suffix in (".csv", ".txt"):
            rows = _csv_rows(path)
        else:
            raise RosterError(f"名单文件须为 .csv 或 .xlsx：{path}")
    except OSError as e:
        raise RosterError(f"名单文件无法读取：{path}（{e.strerror or e}）") from None
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
            roster.notes.append(f"名单第 {i + 1} 行：单位编码 {code} 重复，只计一次。")
            continue
        seen.add(code)
        roster.entries.append(RosterEntry(code, name, (i, code_col) in numeric))
    if not roster.entries:
        raise RosterError(f"名单文件中没有单位：{path}")
    return roster
