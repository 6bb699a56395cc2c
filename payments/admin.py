from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from insured.admin_scope import ScopedAdmin
from payments import services
from payments.models import NoticeBatch, Receivable, TaxClient


def _show_once(request: HttpRequest, client: TaxClient, secret: str) -> None:
    messages.warning(
        request,
        _(
            "The shared secret of %(client)s is %(secret)s. It is shown this once and never again: give it to "
            "the tax bureau by a secure channel now."
        )
        % {"client": client.client_id, "secret": secret},
    )


@admin.register(TaxClient)
class TaxClientAdmin(ScopedAdmin, SimpleHistoryAdmin):
    """The secret is made by the server (32 random bytes), shown once, stored encrypted; a leaked
    secret is renewed with the action, never typed in."""

    region_path = "region"
    list_display = ["client_id", "name", "region", "is_active", "created_at"]
    list_filter = ["is_active"]
    autocomplete_fields = ["region"]
    fields = ["client_id", "name", "region", "is_active"]
    actions = ["renew_secret"]

    def save_model(self, request: HttpRequest, obj: TaxClient, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        secret = services.tax_client_secret_new()
        obj.secret = secret
        super().save_model(request, obj, form, change)
        _show_once(request, obj, secret)

    @admin.action(description=gettext_lazy("Renew the shared secret (the old one stops working)"))
    def renew_secret(self, request: HttpRequest, queryset: QuerySet[TaxClient]) -> None:
        for client in queryset:
            _show_once(request, client, services.tax_client_secret_renew(client))


@admin.register(NoticeBatch)
class NoticeBatchAdmin(ScopedAdmin, admin.ModelAdmin):
    """Read-only: batches are what tax sent, and change only through processing."""

    region_path = "client__region"

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
class ReceivableAdmin(ScopedAdmin, SimpleHistoryAdmin):
    region_path = "person__village"
    list_display = ["number", "kind", "person", "year", "amount", "status", "due_date"]
    list_filter = ["status", "kind", "year"]
    search_fields = ["number", "person__id_no", "person__name"]
    readonly_fields = [f.name for f in Receivable._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
