from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from knox.models import AuthToken
from simple_history.admin import SimpleHistoryAdmin

from insured.admin_scope import ScopedAdmin, SuperuserChangesOnly
from insured.models import (
    Holiday,
    PolicyTier,
    PolicyYear,
    Region,
    SpecialGroup,
    SpecialGroupMembership,
    StaffProfile,
)

User = get_user_model()

admin.site.site_header = _("Resident pension agency system")
admin.site.site_title = _("Resident pension agency system")


@admin.register(Region)
class RegionAdmin(ScopedAdmin, ImportExportModelAdmin):
    region_path = ""
    list_display = ["code", "name", "level", "parent", "valid_from", "valid_to"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    autocomplete_fields = ["parent"]


class PolicyTierInline(admin.TabularInline):
    model = PolicyTier
    extra = 0


class PolicyYearForm(forms.ModelForm):
    """The special groups as checkboxes, not JSON typed by hand."""

    hardship_groups = forms.MultipleChoiceField(
        label=PolicyYear._meta.get_field("hardship_groups").verbose_name,
        help_text=_("Members of the groups ticked may choose a hardship-only tier (notice 002 section 2)."),
        choices=SpecialGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    gov_paid_groups = forms.MultipleChoiceField(
        label=PolicyYear._meta.get_field("gov_paid_groups").verbose_name,
        choices=SpecialGroup.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = PolicyYear
        fields = [
            "region",
            "year",
            "title",
            "source",
            "hardship_groups",
            "gov_paid_groups",
            "gov_paid_amount",
            "gov_paid_counts_as_own",
            "gov_paid_payer_name",
            "gov_paid_payer_id",
            "gov_paid_deadline",
            "collection_start",
            "collection_end",
            "collection_day_from",
            "collection_day_to",
            "outside_window",
            "is_demo",
            "notes",
        ]


@admin.register(PolicyYear)
class PolicyYearAdmin(ScopedAdmin, SimpleHistoryAdmin):
    region_path = "region"
    form = PolicyYearForm
    list_display = ["region", "year", "title", "top_tier_display", "gov_paid_amount", "is_demo"]
    list_filter = ["year", "is_demo"]
    search_fields = ["region__name", "title", "source"]
    autocomplete_fields = ["region"]
    inlines = [PolicyTierInline]

    @admin.display(description=_("top tier"))
    def top_tier_display(self, obj: PolicyYear):
        return obj.top_tier


class StaffProfileInline(admin.StackedInline):
    model = StaffProfile
    can_delete = False
    autocomplete_fields = ["region"]


admin.site.unregister(User)
# Tokens are hashed and expire; nobody lists or copies them (a user revokes their own).
admin.site.unregister(AuthToken)


@admin.register(User)
class StaffUserAdmin(ScopedAdmin, UserAdmin):
    # A county administrator manages the staff of their own region; a user without a scope
    # (not yet given a role) is the superuser's to place.
    region_path = "staff__region"
    inlines = [StaffProfileInline]

    OPERATOR_FIELDS = ("is_superuser", "user_permissions", "groups")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        # Never grant what one does not hold: superuser status and raw permissions stay the operator's.
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in self.OPERATOR_FIELDS]})
            for name, options in fieldsets
        ]

    list_display = ["username", "last_name", "first_name", "role", "scope", "is_active"]
    list_select_related = ["staff__region"]

    @admin.display(description=_("role"))
    def role(self, obj):
        return obj.staff.get_role_display() if hasattr(obj, "staff") else "—"

    @admin.display(description=_("scope region"))
    def scope(self, obj):
        return obj.staff.region if hasattr(obj, "staff") else "—"


@admin.register(StaffProfile)
class StaffProfileAdmin(ScopedAdmin, SimpleHistoryAdmin):
    region_path = "region"
    list_display = ["user", "role", "region"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "region"]
    search_fields = ["user__username"]


@admin.register(SpecialGroupMembership)
class MembershipAdmin(ScopedAdmin, SimpleHistoryAdmin):
    region_path = "person__village"
    list_display = ["person", "group", "source_department", "valid_from", "valid_to", "list_month"]
    list_filter = ["group"]
    search_fields = ["person__id_no", "person__name"]
    raw_id_fields = ["person"]


@admin.register(Holiday)
class HolidayAdmin(SuperuserChangesOnly):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
