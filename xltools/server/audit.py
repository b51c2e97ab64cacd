"""Writing the audit log, and its export. Every action of the intake goes through `record`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .models import AuditEvent


def client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    return str(request.META.get("REMOTE_ADDR", ""))[:45]


def actor(request: HttpRequest | None) -> str:
    if request is None:
        return ""
    link = getattr(request, "link_department", None)
    if link is not None:
        return f"link:{link.code}"
    user = getattr(request, "user", None)
    return user.get_username() if user is not None and user.is_authenticated else ""


def record(
    action: str,
    request: HttpRequest | None = None,
    department: Any = None,
    sha256: str = "",
    who: str | None = None,
    **detail: Any,
) -> AuditEvent:
    code = department.code if department is not None and hasattr(department, "code") else str(department or "")
    event = AuditEvent(
        who=actor(request) if who is None else who,
        action=action,
        department_code=code,
        sha256=sha256,
        detail=detail,
        ip=client_ip(request),
    )
    event.save()
    return event
