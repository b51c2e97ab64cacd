"""The board's five statuses, derived from a department's submission state and its latest version."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from .. import texts
from .models import CONFIRMED, DONE, RETURNED, SUBMITTED, Department, Version

NONE, ERRORS = "none", "errors"
ORDER = (NONE, ERRORS, SUBMITTED, RETURNED, CONFIRMED)


def status_of(dept: Department, latest: Version | None) -> str:
    if dept.state in (SUBMITTED, CONFIRMED, RETURNED):
        return dept.state
    if latest is not None and latest.state == DONE and latest.errors:
        return ERRORS
    return NONE


def label(status: str) -> str:
    return texts.text(f"server.status.{status}")


@dataclass(frozen=True)
class Deadline:
    date: dt.date | None

    @property
    def days_left(self) -> int | None:
        if self.date is None:
            return None
        return (self.date - timezone.localdate()).days


def deadline(iso: str) -> Deadline:
    try:
        return Deadline(dt.date.fromisoformat(iso) if iso else None)
    except ValueError:
        return Deadline(None)


def latest_versions(depts: list[Department]) -> dict[int, Version]:
    out: dict[int, Version] = {}
    for v in Version.objects.filter(department__in=depts).defer("findings").order_by("department_id", "-number"):
        out.setdefault(v.department_id, v)
    return out
