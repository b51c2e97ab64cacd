"""Who is asking, and what they may see. Every view resolves the department or version it touches
through these functions, so a clerk asking for another department's anything gets the same 404 as for
something that does not exist (nothing to list, nothing to guess)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import ROLE_ADMIN, ROLE_CLERK, ROLE_REVIEWER, Department, Profile, UploadLink, Version

SESSION_LINK = "xltools_link"


@dataclass(frozen=True)
class Who:
    role: str
    name: str
    department: Department | None = None

    @property
    def bureau(self) -> bool:
        return self.role in (ROLE_ADMIN, ROLE_REVIEWER)

    @property
    def admin(self) -> bool:
        return self.role == ROLE_ADMIN


class LinkSessionMiddleware:
    """A session opened through an upload link stays tied to that link: once revoked, the next request
    is anonymous again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.link_department = None  # type: ignore[attr-defined]
        link_id = request.session.get(SESSION_LINK)
        if link_id is not None:
            link = UploadLink.objects.select_related("department").filter(pk=link_id).first()
            if link is None or not link.active:
                request.session.flush()
            else:
                request.link_department = link.department  # type: ignore[attr-defined]
        return self.get_response(request)


def who(request: HttpRequest) -> Who | None:
    dept = getattr(request, "link_department", None)
    if dept is not None:
        return Who(ROLE_CLERK, f"link:{dept.code}", dept)
    user = getattr(request, "user", None)  # absent when a request is refused before the auth middleware (bad Host)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Who(ROLE_ADMIN, user.get_username())
    profile = Profile.objects.select_related("department").filter(user=user).first()
    if profile is None:
        return None
    if profile.role == ROLE_CLERK and profile.department is None:
        return None
    return Who(profile.role, user.get_username(), profile.department if profile.role == ROLE_CLERK else None)


def context(request: HttpRequest) -> dict[str, Any]:
    # A view behind `require` has resolved it already (for an account: one more query).
    w = getattr(request, "who", None)
    return {"who": w if w is not None else who(request)}


def require(role: str = "any") -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """role: "any" (a clerk or the bureau), "bureau" (reviewer or administrator) or "admin"."""

    def deco(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            w = who(request)
            if w is None:
                return redirect("intake:login")
            if (role == "bureau" and not w.bureau) or (role == "admin" and not w.admin):
                raise Http404
            request.who = w  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return deco


def department_for(w: Who, code: str) -> Department:
    if not w.bureau:  # a clerk's own department was read with its link or profile in this request
        if w.department is None or w.department.code != code:
            raise Http404
        return w.department
    dept = Department.objects.filter(code=code).first()
    if dept is None:
        raise Http404
    return dept


def version_for(w: Who, version_id: int) -> Version:
    v = Version.objects.select_related("department").filter(pk=version_id).first()
    if v is None or (not w.bureau and (w.department is None or w.department.pk != v.department_id)):
        raise Http404
    return v
