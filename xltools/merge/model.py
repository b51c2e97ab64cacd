"""The merge's data: what a worker sends back for one file (`FileResult`, plain picklable values), and what the
merge makes of it (`InputEntry` with its status, `MergeResult` with the county totals).

This module imports nothing of the reading stack, so a worker's record can be unpickled anywhere.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from ..errors import EXIT_INVALID, EXIT_OK
from . import spec

if TYPE_CHECKING:
    from ..edition.model import Edition
    from .roster import Roster, RosterEntry

# Worker verdicts (the merge turns them into the Chinese statuses).
OK, INVALID, UNREADABLE, INTERNAL = "ok", "invalid", "unreadable", "internal"

# Input statuses, in the order the merge decides them (see statuses.py).
INCLUDED, ERRORS, NOREAD, DUPLICATE, NOT_ON_ROSTER, MISMATCH = (
    "included",
    "invalid",
    "unreadable",
    "duplicate",
    "not_on_roster",
    "mismatch",
)
STATUS_KEYS = (INCLUDED, ERRORS, NOREAD, DUPLICATE, NOT_ON_ROSTER, MISMATCH)
_STATUS_TEXT = {
    INCLUDED: "status_included",
    ERRORS: "status_invalid",
    NOREAD: "status_unreadable",
    DUPLICATE: "status_duplicate",
    NOT_ON_ROSTER: "status_not_on_roster",
    MISMATCH: "status_mismatch",
}


def status_text(key: str) -> str:
    return spec.text(_STATUS_TEXT[key])


# ---- what a worker sends back ----


@dataclass(frozen=True)
class FindingNote:
    """One of a file's first findings, as the merge lists it (text already rendered in the worker)."""

    rule: str
    severity: str
    sheet: str
    cell: str
    message: str
    hint: str

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True)
class TableRows:
    """One stacked table of one department: the sent columns' keys and (row id, values as exact text)."""

    cols: tuple[str, ...]
    rows: tuple[tuple[str, tuple[str | None, ...]], ...]


@dataclass(frozen=True)
class CheckedRows:
    """One list table of one department as its column checks see it (values Decimal, str or None): the
    county view stacks these (county.py)."""

    cols: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Decimal | str | None, ...]], ...]


@dataclass(frozen=True)
class BookData:
    """The figures of a valid book the outputs need: key figures (exact decimal text) and stacked tables;
    `lists`, every list table as the column checks see it, for the county checks."""

    figures: dict[str, str | None]
    tables: dict[str, TableRows]
    lists: dict[str, CheckedRows] = field(default_factory=dict)


@dataclass(frozen=True)
class FileFacts:
    sha256: str = ""
    size: int | None = None
    mtime: float | None = None
    mtime_ns: int | None = None


@dataclass(frozen=True)
class FileResult:
    """Everything the merge learns from one file. `data` is set for a valid book only."""

    path: str
    facts: FileFacts = FileFacts()
    verdict: str = UNREADABLE
    unit_code: str = ""
    unit_name: str = ""
    edition: str = ""
    edition_title: str = ""
    version: str = ""
    year: int | None = None
    money_unit: str = ""
    errors: int = 0
    warnings: int = 0
    findings: tuple[FindingNote, ...] = ()
    detail: str = ""
    crashed: bool = False  # the worker process died on this file (found by re-running it alone)
    data: BookData | None = None


# ---- what the merge makes of it ----


@dataclass(slots=True)
class InputEntry:
    """One input as the main process holds it while merging: what the statuses and the sort need, no more (its
    findings, the county checks' included, hash, size and times stay in the spool, see spool.py; the outputs
    read them back)."""

    path: str
    kind: str = "file"  # or "folder": a folder that could not be searched
    status_key: str = NOREAD
    verdict: str = UNREADABLE
    unit_code: str = ""
    unit_name: str = ""
    edition: str = ""
    edition_title: str = ""
    version: str = ""
    year: int | None = None
    mtime_ns: int | None = None  # only with prefer_latest (statuses.entry_of): the outputs read it from the spool
    errors: int = 0
    warnings: int = 0
    note: str = ""  # the reason, when it is not worded from `duplicates`
    key: int = 0  # the spool's id of this input's result (0: none)
    duplicates: list[InputEntry] | None = None  # 重复: the group sharing this 单位编码 (one list for all of them)

    @property
    def status(self) -> str:
        return status_text(self.status_key)

    @property
    def reason(self) -> str:
        """Why this status. A duplicate's is worded when asked, so 10,000 copies hold one group, not 10,000 texts."""
        if self.duplicates is not None:
            return spec.text("reason_duplicate", code=self.unit_code, others=listed(self.duplicates, self))
        return self.note

    @reason.setter
    def reason(self, text: str) -> None:
        self.note, self.duplicates = text, None

    @property
    def sort_key(self) -> tuple[bool, str, str]:
        return (not self.unit_code, self.unit_code, self.path)


MAX_LISTED = 5  # a reason names at most this many other files (and how many there are): linear, not N²


def listed(group: list[InputEntry], me: InputEntry | None) -> str:
    """The paths of a group's files other than `me`: the first MAX_LISTED, and the count when there are more."""
    shown: list[str] = []
    for e in group:
        if e is not me:
            if len(shown) == MAX_LISTED:
                total = len(group) - (me is not None)
                return spec.text("more_files", files="、".join(shown), count=total)
            shown.append(e.path)
    return "、".join(shown)


@dataclass
class Group:
    """Files sharing one edition and 预算年度 (listed when the merge refuses to mix them)."""

    edition: str
    version: str
    year: int | None
    paths: list[str]


@dataclass
class ClassRow:
    code: str
    name: str
    level: int
    depts: int
    values: list[Decimal]


@dataclass
class Totals:
    figures: dict[str, Decimal] = field(default_factory=dict)
    classes: dict[str, list[ClassRow]] = field(default_factory=dict)  # classification id -> rows by code


@dataclass
class MergeResult:
    inputs: list[InputEntry]
    missing: list[RosterEntry] = field(default_factory=list)
    not_on_roster: list[InputEntry] = field(default_factory=list)
    roster: Roster | None = None
    refused: list[Group] | None = None
    edition: Edition | None = None
    totals: Totals = field(default_factory=Totals)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per phase (for bench/merge_bench.py)
    reused: int = 0  # results taken from an interrupted run's spool (--resume)

    def count(self, key: str) -> int:
        return sum(1 for e in self.inputs if e.status_key == key)

    @property
    def included(self) -> list[InputEntry]:
        return [e for e in self.inputs if e.status_key == INCLUDED]

    @property
    def exit_code(self) -> int:
        return EXIT_INVALID if self.refused is not None or not self.included else EXIT_OK

    def summary_line(self) -> str:
        line = spec.text(
            "summary_line",
            included=self.count(INCLUDED),
            invalid=self.count(ERRORS),
            unreadable=self.count(NOREAD),
            duplicate=self.count(DUPLICATE),
            missing=len(self.missing),
        )
        if self.roster is not None and self.count(NOT_ON_ROSTER):
            line += spec.text("summary_extra", not_on_roster=self.count(NOT_ON_ROSTER))
        return line

    def refusal_lines(self) -> list[str]:
        if self.refused is None:
            return []
        out = [spec.text("refused")]
        for g in self.refused:
            out.append(
                spec.text("refused_group", year=g.year, edition=g.edition, version=g.version, count=len(g.paths))
            )
            out.extend(f"      {p}" for p in g.paths)
        return out
