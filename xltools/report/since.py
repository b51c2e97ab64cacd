"""Re-validation progress: compare a report with an earlier JSON report (docs/report-json.md).

Findings are matched by (rule, sheet, cell, check): the message text may change between versions
of xltools, the place and the rule do not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..validate import FileReport
from .json import SCHEMA, VERSION

Key = tuple[str, str, str, str]


class PreviousReportError(ValueError):
    """The --since file is not a usable xltools JSON report (the message is for the user)."""


@dataclass(frozen=True)
class Progress:
    fixed: frozenset[Key]
    new: frozenset[Key]
    remaining: frozenset[Key]
    previous_path: str  # the path recorded in the previous report


def key_of(d: dict[str, Any]) -> Key:
    return (str(d.get("rule", "")), str(d.get("sheet", "")), str(d.get("cell", "")), str(d.get("check", "") or ""))


def load_previous(path: Path) -> dict[str, Any]:
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise PreviousReportError(f"找不到上次的检查报告“{path}”。") from None
    except (OSError, UnicodeDecodeError) as e:
        raise PreviousReportError(f"无法读取上次的检查报告“{path}”（{e}）。") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError:
        raise PreviousReportError(f"“{path}”不是 JSON 文件。请用 xltools validate --format json 保存的报告。") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("files"), list):
        raise PreviousReportError(f"“{path}”不是 xltools 的检查报告（应由 xltools validate --format json 生成）。")
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise PreviousReportError(
            f"“{path}”的报告格式版本为 {doc.get('version')}，本工具只认识第 {VERSION} 版及更早的版本。请升级 xltools。"
        )
    return doc


def _list(value: Any) -> list[Any]:
    """A list from a hand-edited or damaged report; anything else counts as empty."""
    return value if isinstance(value, list) else []


def _same_file(a: str, b: str) -> bool:
    try:
        return a == b or Path(a).resolve() == Path(b).resolve()
    except (OSError, ValueError, RuntimeError):  # a path with a NUL byte, a symbolic link loop
        return False


def previous_entry(doc: dict[str, Any], path: str) -> dict[str, Any] | None:
    """The previous report's entry for `path`: same path, else same file name, else the only entry."""
    files = [f for f in doc.get("files", []) if isinstance(f, dict)]
    for f in files:
        if _same_file(str(f.get("path", "")), path):
            return f
    named = [f for f in files if Path(str(f.get("path", ""))).name == Path(path).name]
    if len(named) == 1:
        return named[0]
    return files[0] if len(files) == 1 else None


def compare(report: FileReport, doc: dict[str, Any]) -> Progress | None:
    entry = previous_entry(doc, report.path)
    if entry is None:
        return None
    before = {key_of(f) for f in _list(entry.get("findings")) if isinstance(f, dict)}
    now = {key_of(f.to_json()) for f in report.findings}
    return Progress(
        frozenset(before - now), frozenset(now - before), frozenset(now & before), str(entry.get("path", ""))
    )


def render(report: FileReport, doc: dict[str, Any], since: Path) -> str:
    if report.unreadable:
        return f"{report.path}：文件无法读取，无法与上次的检查结果比较。"
    p = compare(report, doc)
    if p is None:
        return f"{report.path}：上次的检查报告“{since}”中没有这个文件，无法比较。"
    return (
        f"{report.path}：与上次检查（{since}）相比：已修复 {len(p.fixed)} / 新增 {len(p.new)} / 剩余 {len(p.remaining)}"
    )
