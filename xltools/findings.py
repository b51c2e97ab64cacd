"""The finding model, below every stage: a finding is data (rule id, severity, place, parameters); its
Chinese text is rendered late from the catalogue (xltools/texts/findings.toml)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .money import fmt

# error: blocks (exit 1); warning: to check, does not block; notice: information (a rounding in the last
# printed digit, a normalised value) that never changes the verdict.
ERROR, WARNING, NOTICE = "error", "warning", "notice"
SEVERITIES = (ERROR, WARNING, NOTICE)
SEVERITY_ZH = {ERROR: "错误", WARNING: "提醒", NOTICE: "提示"}


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str  # stable id, e.g. "table.sum-of-parts"; key of the message catalogue
    severity: str  # "error" | "warning"
    sheet: str  # "" for the file as a whole
    cell: str  # "C12", a range such as "C5:C9", or "" for the file
    params: Mapping[str, Any] = field(default_factory=dict)
    check: str = ""  # identity id from the edition, when the finding comes from one
    table: str = ""  # table id, when known

    @property
    def message(self) -> str:
        from .texts import render

        return render(self.rule, "message", self.params)

    @property
    def hint(self) -> str:
        from .texts import render

        if self.params.get("hint"):
            return str(self.params["hint"])
        return render(self.rule, "hint", self.params)

    @property
    def title(self) -> str:
        from .texts import render

        return render(self.rule, "title", self.params)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "severity": self.severity,
            "sheet": self.sheet,
            "cell": self.cell,
            "message": self.message,
            "hint": self.hint,
        }
        if self.check:
            out["check"] = self.check
        for k in ("expected", "actual"):
            if k in self.params:
                v = self.params[k]
                if k == "expected" and "target" in self.params:  # set by the diagnosis: None = not this cell
                    if self.params["target"] is None:
                        continue
                    v = self.params["target"]
                out[k] = fmt(v) if isinstance(v, Decimal) else v
        return out

    def sort_key(self) -> tuple[int, str, int, int, str]:
        from .cells import parse_a1

        try:
            row, col = parse_a1(self.cell.split(":")[0]) if self.cell else (0, 0)
        except ValueError:
            row, col = 0, 0
        return (SEVERITIES.index(self.severity) if self.severity in SEVERITIES else 3, self.sheet, row, col, self.rule)


class Verdict:
    """Counts and verdict of a report holding `findings` and an `unreadable` flag (validate's FileReport and
    the audit's AuditReport): an unreadable file or any error fails it; warnings and notices never do."""

    findings: list[Finding]
    unreadable: bool

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == WARNING]

    @property
    def notices(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == NOTICE]

    @property
    def valid(self) -> bool:
        return not self.unreadable and not self.errors


def finding(
    rule: str, severity: str, sheet: str = "", cell: str = "", check: str = "", table: str = "", **params: Any
) -> Finding:
    return Finding(rule, severity, sheet, cell, params, check, table)
