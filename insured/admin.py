from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from simple_history.admin import SimpleHistoryAdmin

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
class RegionAdmin(ImportExportModelAdmin):
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
            "collection_start",
            "collection_end",
            "collection_day_from",
            "collection_day_to",
            "is_demo",
            "notes",
        ]


@admin.register(PolicyYear)
class PolicyYearAdmin(SimpleHistoryAdmin):
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


@admin.register(User)
class StaffUserAdmin(UserAdmin):
    inlines = [StaffProfileInline]
    list_display = ["username", "last_name", "first_name", "role", "scope", "is_active"]
    list_select_related = ["staff__region"]

    @admin.display(description=_("role"))
    def role(self, obj):
        return obj.staff.get_role_display() if hasattr(obj, "staff") else "—"

    @admin.display(description=_("scope region"))
    def scope(self, obj):
        return obj.staff.region if hasattr(obj, "staff") else "—"


@admin.register(StaffProfile)
class StaffProfileAdmin(SimpleHistoryAdmin):
    list_display = ["user", "role", "region"]
    list_filter = ["role"]
    autocomplete_fields = ["user", "region"]
    search_fields = ["user__username"]


@admin.register(SpecialGroupMembership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["person", "group", "source_department", "valid_from", "valid_to"]
    list_filter = ["group"]
    search_fields = ["person__id_no", "person__name"]
    raw_id_fields = ["person"]


@admin.register(Holiday)
class HolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name", "is_workday"]
    list_filter = ["is_workday"]
    date_hierarchy = "date"
