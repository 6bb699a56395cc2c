"""The forms of collective subsidy. They parse what people typed and uploaded; every rule is the
services'."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collective import services
from collective.models import Filing, Organisation, Roster
from collective.summary import APPROVED, PAID, SummaryFilter
from insured.fields import AmountFormField
from insured.models import Region

PHONE = RegexValidator(r"^\+?[0-9][0-9 -]{5,18}$", _("Enter a phone number in digits."), "phone")
TEXTAREA_STYLE = "width:100%;max-width:640px;padding:7px 10px;border:1px solid #bcccdc;border-radius:4px;font-size:15px"
MINUTES_MAX_BYTES = 10 * 1024 * 1024
DATE = forms.DateInput(attrs={"type": "date"})


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Organisation name"), max_length=100)
    uscc = forms.CharField(label=_("Unified social credit code"), max_length=30)
    village = forms.ModelChoiceField(label=_("Village"), queryset=Region.objects.none())
    address = forms.CharField(label=_("Address"), max_length=200)
    legal_person_name = forms.CharField(label=_("Legal person"), max_length=50)
    legal_person_id_no = forms.CharField(label=_("Legal person's ID number"), max_length=30)
    legal_person_phone = forms.CharField(label=_("Legal person's phone"), max_length=20, validators=[PHONE])
    handler_name = forms.CharField(label=_("Handler"), max_length=50)
    handler_id_no = forms.CharField(label=_("Handler's ID number"), max_length=30)
    handler_phone = forms.CharField(label=_("Handler's phone"), max_length=20, validators=[PHONE])
    taxpayer_id = forms.CharField(
        label=_("Taxpayer identification number"),
        max_length=20,
        required=False,
        help_text=_("Leave empty when it is the unified social credit code."),
    )
    bank_name = forms.CharField(label=_("Bank of the direct-debit agreement"), max_length=100, required=False)
    bank_account = forms.CharField(label=_("Account of the direct-debit agreement"), max_length=40, required=False)

    def __init__(self, *args: Any, scope: Region, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        villages = Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=scope.prefix)
        self.fields["village"].queryset = villages.select_related("parent")
        self.fields["village"].label_from_instance = lambda r: f"{r.parent.name} {r.name}"
        if scope.level == Region.Level.VILLAGE:
            self.fields["village"].initial = scope
        for name in ("uscc", "legal_person_id_no", "handler_id_no"):
            self.fields[name].widget.attrs["autocomplete"] = "off"

    def to_input(self) -> services.OrganisationInput:
        return services.OrganisationInput(**self.cleaned_data)

    @staticmethod
    def initial_of(organisation: Organisation) -> dict[str, Any]:
        return {name: getattr(organisation, name) for name in services.OrganisationInput.__dataclass_fields__}


class VirtualUnitForm(forms.Form):
    code = forms.CharField(label=_("Virtual unit code"), max_length=30, required=False)


class PlanForm(forms.Form):
    """The year's plan 备案 (001 附件5) and its resolution 四议两公开 (二(四))."""

    year = forms.IntegerField(label=_("Year"))
    proposed_on = forms.DateField(label=_("Proposed by the village committees on"), required=False, widget=DATE)
    resolved_on = forms.DateField(label=_("Resolved by the members' meeting on"), required=False, widget=DATE)
    attendance_expected = forms.IntegerField(label=_("Members expected at the meeting"), min_value=1, required=False)
    attendance_present = forms.IntegerField(label=_("Members present"), min_value=0, required=False)
    publicity_from = forms.DateField(label=_("Resolution made public from"), required=False, widget=DATE)
    publicity_to = forms.DateField(label=_("Resolution made public until"), required=False, widget=DATE)
    minutes = forms.FileField(label=_("Minutes of the meeting (PDF or picture)"), required=False)
    standard = AmountFormField(label=_("Standard per person (yuan)"))
    hardship_standard = AmountFormField(label=_("Standard for hardship groups (yuan)"), required=False)
    planned_count = forms.IntegerField(label=_("Members planned"), min_value=1)
    planned_total = AmountFormField(label=_("Total planned (yuan)"))
    declares_not_land_acquired = forms.BooleanField(
        label=_("The money is not the land-acquired farmers' pension subsidy (notice 001 section 2(3))"),
        required=False,
    )

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": year})
        super().__init__(*args, **kwargs)
        # 001 二(二): only the current year is offered; another year sent anyway is the service's to refuse.
        self.fields["year"].widget = forms.Select(choices=[(year, year)])

    def clean_minutes(self) -> Any:
        minutes = self.cleaned_data.get("minutes")
        if minutes and minutes.size > MINUTES_MAX_BYTES:
            raise forms.ValidationError(_("The minutes may be at most 10 MB."), code="too_large")
        return minutes

    def to_input(self) -> services.PlanInput:
        data = dict(self.cleaned_data)
        minutes = data.pop("minutes")
        return services.PlanInput(
            **data,
            minutes=minutes.read() if minutes else None,
            minutes_name=minutes.name[:200] if minutes else "",
        )

    @staticmethod
    def initial_of(filing: Filing) -> dict[str, Any]:
        names = [n for n in services.PlanInput.__dataclass_fields__ if n not in ("minutes", "minutes_name")]
        return {name: getattr(filing, name) for name in names}


class SponsorForm(forms.Form):
    sponsor_kind = forms.ChoiceField(label=_("Kind of sponsor"), choices=Filing.SponsorKind.choices)
    sponsor_name = forms.CharField(label=_("Sponsor's name"), max_length=100)
    sponsor_code = forms.CharField(
        label=_("Sponsor's credit code or ID number"),
        max_length=30,
        help_text=_("The unified social credit code of a company or charity; the resident ID number of a person."),
    )
    sponsor_phone = forms.CharField(label=_("Sponsor's phone"), max_length=20, validators=[PHONE])
    sponsor_address = forms.CharField(label=_("Sponsor's address"), max_length=200, required=False)
    year = forms.IntegerField(label=_("Year"))

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": year})
        super().__init__(*args, **kwargs)
        self.fields["year"].widget = forms.Select(choices=[(year, year)])

    def to_input(self) -> services.SponsorInput:
        return services.SponsorInput(**self.cleaned_data)


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster (.xlsx or .csv)"),
        help_text=_(
            "Columns of notice 001 attachment 3: 序号, 姓名, 性别, 公民身份号码, 补助金（资助）金额, 补助或资助类型."
        ),
    )


class RejectForm(forms.Form):
    # An empty reason is the service's to refuse, with its message.
    reason = forms.CharField(
        label=_("Reason for sending it back"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "style": TEXTAREA_STYLE}),
    )


class SummaryForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2009, max_value=2100)
    kind = forms.ChoiceField(
        label=_("Type"),
        required=False,
        choices=[("", _("Collective subsidy and social sponsorship")), *[(k, v) for k, v in Filing.Kind.choices]],
    )
    basis = forms.ChoiceField(
        label=_("Counted"), choices=[(PAID, _("paid (arrived)")), (APPROVED, _("approved"))], initial=PAID
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": timezone.localdate().year, "basis": PAID})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The period begins after it ends."), code="period")
        return data

    def to_filter(self) -> SummaryFilter:
        data = self.cleaned_data
        return SummaryFilter(
            data["year"], data.get("kind") or "", data["basis"], data.get("date_from"), data.get("date_to")
        )


class RosterFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", _("All")), *Roster.Status.choices])


class RosterBatchForm(forms.Form):
    """Which roster forms the auditor prints at once: a year's (or one filing's), as 申报表, 缴费通知单
    or 应收核定单; the last two exist for approved rosters only."""

    year = forms.IntegerField(label=_("Year"), min_value=2009, max_value=2100)
    form = forms.ChoiceField(
        label=_("Form"),
        choices=[("roster", _("Roster")), ("notice", _("Payment notice")), ("statement", _("Receivables statement"))],
    )
    filing = forms.CharField(label=_("Filing number"), required=False, max_length=20)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All but drafts and replaced")), *Roster.Status.choices],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": timezone.localdate().year, "form": "roster"})
        super().__init__(*args, **kwargs)

    def clean_filing(self) -> str:
        return self.cleaned_data["filing"].strip().upper()
