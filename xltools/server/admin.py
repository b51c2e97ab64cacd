"""The Django admin: departments, links and versions to look at; the audit log read-only."""

from typing import Any

from django.contrib import admin

from .models import AuditEvent, Department, Profile, Review, UploadLink, Version, Waiver


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "state")
    search_fields = ("code", "name")


@admin.register(Version)
class VersionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("department", "number", "uploaded_at", "uploaded_by", "state", "errors", "warnings", "sha256")
    readonly_fields = [f.name for f in Version._meta.fields]

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("at", "who", "action", "department_code", "sha256")
    list_filter = ("action",)

    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


admin.site.register(Profile)
admin.site.register(UploadLink)
admin.site.register(Review)
admin.site.register(Waiver)
