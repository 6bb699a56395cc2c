"""The refund cases 退费情形 are reference data for every county: the platform's administrator (a
superuser) maintains them, a county administrator reads them. Applications, requests and reports
are read here, cut to the administrator's county, never changed (only the services change them)."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from insured import rules
from insured.admin_scope import ScopedAdmin, SuperuserChangesOnly
from insured.models import AccountEntry
from payments.models import ArrivalNotice
from refunds.models import RefundApplication, RefundCase, RefundRequest, RefundTaxReport

KIND_CHOICES = [(k, label) for k, label in AccountEntry.Kind.choices if k in rules.REFUNDABLE_KINDS]


class RefundCaseForm(forms.ModelForm):
    """The kinds and reasons as checkboxes, not JSON typed by hand."""

    kinds_to_payee = forms.MultipleChoiceField(
        label=_("kinds paid to the payee"), choices=KIND_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    kinds_to_fund = forms.MultipleChoiceField(
        label=_("kinds returned to the fund"),
        help_text=_("Sponsorship and collective subsidy never go to the fund (rule 9, notice 000 section 3(3))."),
        choices=KIND_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    queue_reasons = forms.MultipleChoiceField(
        label=_("waiting payments it returns"),
        choices=ArrivalNotice.Reason.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = RefundCase
        fields = [
            "code",
            "name",
            "basis",
            "description",
            "payee",
            "kinds_to_payee",
            "kinds_to_fund",
            "queue_reasons",
            "settles_account",
            "evidence",
            "is_active",
            "order",
        ]


@admin.register(RefundCase)
class RefundCaseAdmin(SuperuserChangesOnly, SimpleHistoryAdmin):
    form = RefundCaseForm
    list_display = ["code", "name", "payee", "settles_account", "is_active", "order"]
    list_filter = ["is_active", "payee"]
    search_fields = ["code", "name", "basis"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # A case named by an application stays; retire it by unticking "in use".
        return False


class ReadOnlyAdmin(ScopedAdmin, SimpleHistoryAdmin):
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RefundApplication)
class RefundApplicationAdmin(ReadOnlyAdmin):
    region_path = "person__village"
    list_display = ["number", "person", "case", "status", "payee_amount", "fund_amount", "batch_month"]
    list_filter = ["status", "case"]
    search_fields = ["number", "person__name", "person__person_no"]


@admin.register(RefundRequest)
class RefundRequestAdmin(ReadOnlyAdmin):
    region_path = "region"
    list_display = ["number", "region", "month", "count", "payee_total", "fund_total"]


@admin.register(RefundTaxReport)
class RefundTaxReportAdmin(ReadOnlyAdmin):
    region_path = "region"
    list_display = ["number", "region", "count", "total", "created_at"]
