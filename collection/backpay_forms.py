"""The forms of back payment. They parse what the township office chose; every rule is the
service's. No amount is typed: the tier is chosen from the policy year's, the total follows."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from collection.backpay_models import BackPaymentApplication, BackPaymentScheme
from collection.backpay_selectors import IntakeChoices
from collection.backpay_services import BackPaymentInput
from insured import formats
from insured.identity import parse_resident_id
from insured.models import InsuredPerson
from insured.printing.forms import MonthField, this_month

TEXTAREA_STYLE = "width:100%;max-width:640px;padding:7px 10px;border:1px solid #bcccdc;border-radius:4px;font-size:15px"


class PersonLookupForm(forms.Form):
    id_no = forms.CharField(
        label=_("Insured person's resident ID number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )

    def clean_id_no(self) -> str:
        return parse_resident_id(self.cleaned_data["id_no"]).number


class SchemeForm(forms.Form):
    scheme = forms.ChoiceField(label=_("Scheme"), choices=BackPaymentScheme.choices, initial=BackPaymentScheme.BASIC)


class BackPaymentForm(forms.Form):
    basis = forms.ChoiceField(
        label=_("Basis"),
        choices=BackPaymentApplication.Basis.choices,
        initial=BackPaymentApplication.Basis.INTERRUPTED,
        widget=forms.RadioSelect,
    )
    tier = forms.ChoiceField(label=_("Tier (yuan a year)"))
    years = forms.TypedMultipleChoiceField(label=_("Years paid back"), coerce=int, widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(
        label=_("Note"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "style": TEXTAREA_STYLE}),
    )

    def __init__(self, *args: Any, choices: IntakeChoices, first_year: int, last_year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.scheme = choices.scheme
        self.fields["tier"].choices = [("", "—")] + [
            (f"{t.amount:.2f}", self._tier_label(t.amount, t.government_subsidy, t.is_hardship_only))
            for t in choices.tiers
        ]
        # Every year from the first the person could pay to last year: a paid or applied-for year is
        # marked, and refused by the rule with its clause if chosen.
        self.fields["years"].choices = [(y, self._year_label(y, choices)) for y in range(last_year, first_year - 1, -1)]
        if self.scheme == BackPaymentScheme.SUPPLEMENTARY:
            self.fields["basis"].choices = [
                c for c in self.fields["basis"].choices if c[0] == BackPaymentApplication.Basis.INTERRUPTED
            ]

    @staticmethod
    def _tier_label(amount: Decimal, subsidy: Decimal | None, hardship: bool) -> str:
        label = formats.money(amount)
        return f"{label}（{_('hardship groups only')}）" if hardship else label

    @staticmethod
    def _year_label(year: int, choices: IntakeChoices) -> str:
        if year in choices.paid:
            return f"{year}（{_('paid')}）"
        if year in choices.applied:
            return f"{year}（{_('applied for on %(number)s') % {'number': choices.applied[year]}}）"
        return str(year)

    def clean_tier(self) -> Decimal:
        try:
            return Decimal(self.cleaned_data["tier"])
        except InvalidOperation:
            raise forms.ValidationError(_("Choose a tier.")) from None

    def to_input(self, person: InsuredPerson) -> BackPaymentInput:
        data = self.cleaned_data
        return BackPaymentInput(
            person=person,
            scheme=self.scheme,
            basis=data["basis"],
            tier=data["tier"],
            years=list(data["years"]),
            note=data.get("note") or "",
        )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"),
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 2, "style": TEXTAREA_STYLE}),
    )


class ApplicationBatchForm(forms.Form):
    """Which application forms the auditor prints at once: a month's, in one state or all."""

    month = MonthField(label=_("Month entered"))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *BackPaymentApplication.Status.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"month": this_month()})
        super().__init__(*args, **kwargs)
