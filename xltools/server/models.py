"""The intake's data: departments of the roster, people and their roles, upload links, versions of each
department's one submission, the reviewer's decisions, waivers of 提醒, and the append-only audit log."""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone

ROLE_ADMIN, ROLE_REVIEWER, ROLE_CLERK = "admin", "reviewer", "clerk"
ROLES = (ROLE_ADMIN, ROLE_REVIEWER, ROLE_CLERK)

# Submission state of a department (the board derives 未报送 / 有错误 from the versions).
DRAFT, SUBMITTED, RETURNED, CONFIRMED = "draft", "submitted", "returned", "confirmed"
# Processing state of a version.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"


class Department(models.Model):
    code = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=12, default=DRAFT)
    submitted_version = models.ForeignKey("Version", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    last_year_sha256 = models.CharField(max_length=64, blank=True, default="")  # last year's workbook, if on file

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Profile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(max_length=10, default=ROLE_CLERK)
    department = models.ForeignKey(Department, null=True, blank=True, on_delete=models.PROTECT)


class UploadLink(models.Model):
    """A revocable per-department link; only the token's SHA-256 is stored."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="links")
    token_sha256 = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.CharField(max_length=150, blank=True, default="")
    revoked_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def hash_token(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class Version(models.Model):
    """One upload: never changed once checked except for its processing state; never deleted."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    suffix = models.CharField(max_length=5, default=".xlsx")  # .xlsx or .xlsm, from the reader's verdict
    uploaded_by = models.CharField(max_length=150)
    uploaded_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=8, default=QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    failure = models.TextField(blank=True, default="")
    errors = models.PositiveIntegerField(default=0)
    warnings = models.PositiveIntegerField(default=0)
    notices = models.PositiveIntegerField(default=0)
    fixed = models.PositiveIntegerField(null=True, blank=True)  # against the previous version
    new = models.PositiveIntegerField(null=True, blank=True)
    remaining = models.PositiveIntegerField(null=True, blank=True)
    findings = models.JSONField(default=list, blank=True)  # the JSON report's findings
    unit_code = models.CharField(max_length=40, blank=True, default="")  # as written on the cover
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["department", "-number"]
        constraints = [models.UniqueConstraint(fields=["department", "number"], name="one_number_per_department")]

    @property
    def passed(self) -> bool:
        return self.state == DONE and self.errors == 0


class Review(models.Model):
    """A reviewer's decision (退回 with its reason, 确认) or a clerk's submit/withdraw: the visible thread."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="reviews")
    version = models.ForeignKey(Version, null=True, on_delete=models.PROTECT)
    action = models.CharField(max_length=10)
    reason = models.TextField(blank=True, default="")
    by = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-id"]


class Waiver(models.Model):
    """An accepted 提醒 with its written reason (rule + place), for one department's submission."""

    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="waivers")
    version = models.ForeignKey(Version, on_delete=models.PROTECT)
    rule = models.CharField(max_length=100)
    sheet = models.CharField(max_length=100, blank=True, default="")
    cell = models.CharField(max_length=40, blank=True, default="")
    reason = models.TextField()
    by = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)


class AppendOnlyError(RuntimeError):
    pass


class _AuditQuerySet(models.QuerySet):  # type: ignore[type-arg]
    def delete(self) -> Any:
        raise AppendOnlyError("audit events are never deleted")

    def update(self, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit events are never changed")


class AuditEvent(models.Model):
    """Append-only: saving an existing row or deleting one raises. Each row carries the SHA-256 of its own
    content, so an edit made behind the application's back (in the database itself) shows."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    who = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=20, db_index=True)
    department_code = models.CharField(max_length=20, blank=True, default="")
    sha256 = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)
    ip = models.CharField(max_length=45, blank=True, default="")
    digest = models.CharField(max_length=64, blank=True, default="")

    objects = _AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def content_digest(self) -> str:
        import json

        body = [self.at.isoformat(), self.who, self.action, self.department_code, self.sha256, self.detail, self.ip]
        return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events are never changed")
        self.digest = self.content_digest()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit events are never deleted")
