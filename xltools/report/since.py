"""Re-validation progress: compare a report with an earlier JSON report (docs/report-json.md).

Findings are matched by (rule, sheet, cell, check): the message text may change between versions
of xltools, the place and the rule do not.
"""

from __future__ import annotations

import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import texts
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


MAX_BYTES = 50 * 1024 * 1024  # a report of 300 files with every finding is a few MB
MAX_DEPTH = 32  # an xltools report nests 5 deep


def _depth_exceeds(doc: Any, limit: int) -> bool:
    """Whether a parsed document nests deeper than limit (iteratively: no recursion on hostile input)."""
    stack = [(doc, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def _read(path: Path) -> bytes:
    """The bytes of a regular file, bounded: a FIFO or a device would block or never end."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        raise PreviousReportError(texts.text("since.missing", path=str(path))) from None
    except OSError as e:
        raise PreviousReportError(texts.text("since.unreadable", path=str(path), error=e.strerror or str(e))) from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise PreviousReportError(texts.text("since.not_regular", path=str(path)))
        try:
            data = fh.read(MAX_BYTES + 1)
        except OSError as e:
            raise PreviousReportError(
                texts.text("since.unreadable", path=str(path), error=e.strerror or str(e))
            ) from None
    if len(data) > MAX_BYTES:
        raise PreviousReportError(texts.text("since.too_big", path=str(path), limit=MAX_BYTES // 1048576))
    return data


def load_previous(path: Path) -> dict[str, Any]:
    data = _read(Path(path))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PreviousReportError(texts.text("since.not_json", path=str(path))) from None
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError):
        raise PreviousReportError(texts.text("since.not_json", path=str(path))) from None
    if _depth_exceeds(doc, MAX_DEPTH):
        raise PreviousReportError(texts.text("since.too_deep", path=str(path), limit=MAX_DEPTH))
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("files"), list):
        raise PreviousReportError(texts.text("since.not_report", path=str(path)))
    if not isinstance(doc.get("version"), int) or doc["version"] > VERSION:
        raise PreviousReportError(
            texts.text("since.newer", path=str(path), version=str(doc.get("version")), supported=VERSION)
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
        return texts.text("since.input_unreadable", path=report.path)
    p = compare(report, doc)
    if p is None:
        return texts.text("since.not_in_previous", path=report.path, since=str(since))
    return texts.text(
        "since.progress", path=report.path, since=str(since), fixed=len(p.fixed), new=len(p.new), left=len(p.remaining)
    )
