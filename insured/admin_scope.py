"""The Django admin cut to the administrator's region, like every page.

A county administrator (Role.ADMINISTRATOR, is_staff, not a superuser) sees and changes only the
rows of their own region; a record elsewhere is simply not there (404). Reference data that spans
counties (a city's or province's policy year, the national holiday calendar) is read-only for them
and changed by a superuser, the platform's operator.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from insured import access


class ScopedAdmin(admin.ModelAdmin):
    """`region_path` leads from the model to its Region ("" for a Region itself)."""

    region_path: str = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return access.scoped(queryset, request.user, self.region_path)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        related = db_field.related_model
        if not request.user.is_superuser and field is not None and related._meta.label_lower == "insured.region":
            field.queryset = access.scoped(field.queryset, request.user, "")
        return field


class SuperuserChangesOnly(admin.ModelAdmin):
    """Shared reference data: anyone with admin access may read it; only a superuser changes it."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return request.user.is_superuser
