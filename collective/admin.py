from django.contrib import admin
from import_export.admin import ExportMixin
from simple_history.admin import SimpleHistoryAdmin

from collective.models import Filing, Organisation, Roster, RosterRow
from collective.resources import RosterRowResource


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ["name", "uscc", "village", "virtual_unit_code"]
    search_fields = ["name", "uscc"]
    readonly_fields = ["virtual_unit_recorded_at", "virtual_unit_recorded_by", "created_at", "created_by"]


@admin.register(Filing)
class FilingAdmin(SimpleHistoryAdmin):
    list_display = ["number", "kind", "year", "organisation", "sponsor_name", "standard", "planned_total"]
    list_filter = ["kind", "year"]
    search_fields = ["number", "organisation__name", "sponsor_name"]


@admin.register(Roster)
class RosterAdmin(SimpleHistoryAdmin):
    """Read only: a roster moves only through its steps (collective.services)."""

    list_display = ["number", "filing", "status", "row_count", "total", "submitted_at", "approved_at"]
    list_filter = ["status"]
    search_fields = ["number", "check_code"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RosterRow)
class RosterRowAdmin(ExportMixin, admin.ModelAdmin):
    """Rows can be exported (the roster's columns, by import-export); they are never edited here."""

    resource_classes = [RosterRowResource]
    list_display = ["roster", "seq", "name", "amount", "kind", "paid_at"]
    list_filter = ["kind"]
    search_fields = ["roster__number", "name"]
    raw_id_fields = ["roster", "person", "receivable"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
