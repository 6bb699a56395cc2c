from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from payments.models import NoticeBatch, Receivable, TaxClient


@admin.register(TaxClient)
class TaxClientAdmin(SimpleHistoryAdmin):
    list_display = ["client_id", "name", "region", "is_active", "created_at"]
    list_filter = ["is_active"]
    autocomplete_fields = ["region"]

    def get_readonly_fields(self, request, obj=None):
        # The secret is set once; a leaked secret is replaced by a new client, not edited.
        return ["secret"] if obj else []


@admin.register(NoticeBatch)
class NoticeBatchAdmin(admin.ModelAdmin):
    """Read-only: batches are what tax sent, and change only through processing."""

    list_display = [
        "batch_id",
        "client",
        "source",
        "status",
        "declared_count",
        "credited_count",
        "duplicate_count",
        "unmatched_count",
        "reversed_count",
        "received_at",
    ]
    list_filter = ["status", "source", "client"]
    search_fields = ["batch_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Receivable)
class ReceivableAdmin(SimpleHistoryAdmin):
    list_display = ["number", "kind", "person", "year", "amount", "status", "due_date"]
    list_filter = ["status", "kind", "year"]
    search_fields = ["number", "person__id_no", "person__name"]
    readonly_fields = [f.name for f in Receivable._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
