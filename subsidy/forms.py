"""The counter's forms. They parse what the clerk typed; every rule is the service's."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from insured.fields import AmountFormField
from insured.identity import parse_resident_id
from insured.models import InsuredPerson
from insured.printing.forms import MonthField, this_month
from subsidy.models import SponsorshipApplication
from subsidy.services import SponsorshipInput


class BeneficiaryLookupForm(forms.Form):
    id_no = forms.CharField(
        label=_("Beneficiary's resident ID number"),
        max_length=20,
        help_text=_("Type the number or scan the ID card."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )

    def clean_id_no(self) -> str:
        return parse_resident_id(self.cleaned_data["id_no"]).number


PHONE = re.compile(r"^\+?[0-9][0-9-]{5,18}$")


class SponsorshipForm(forms.Form):
    sponsor_name = forms.CharField(label=_("Sponsor's name"), max_length=50)
    sponsor_id_no = forms.CharField(
        label=_("Sponsor's resident ID number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    sponsor_phone = forms.CharField(
        label=_("Sponsor's phone"),
        max_length=20,
        # Checked after clean_sponsor_phone has normalised what was typed.
    )
    relation = forms.ChoiceField(
        label=_("Relation to the beneficiary"), choices=SponsorshipApplication.Relation.choices
    )
    # No min_value: zero and negative amounts are the service's rule to refuse, with its message.
    amount = AmountFormField(label=_("Amount (yuan)"))
    year = forms.IntegerField(label=_("Year sponsored"))

    def clean_sponsor_phone(self) -> str:
        # Typed with a Chinese input method, digits may come full-width: normalised, then checked.
        phone = "".join(unicodedata.normalize("NFKC", self.cleaned_data["sponsor_phone"]).split())
        if not PHONE.match(phone):
            raise forms.ValidationError(_("Enter a phone number in digits."), code="phone")
        return phone

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": year})
        super().__init__(*args, **kwargs)
        # 000 二: only the current year is offered; a year sent anyway is the service's to refuse.
        self.fields["year"].widget = forms.Select(choices=[(year, year)])

    def to_input(self, beneficiary: InsuredPerson) -> SponsorshipInput:
        return SponsorshipInput(beneficiary=beneficiary, **self.cleaned_data)


# app.css styles inputs and selects but not text areas; match them.
TEXTAREA_STYLE = "width:100%;max-width:640px;padding:7px 10px;border:1px solid #bcccdc;border-radius:4px;font-size:15px"


class RejectForm(forms.Form):
    # An empty reason is the service's to refuse, with its message.
    reason = forms.CharField(
        label=_("Reason for rejection"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "style": TEXTAREA_STYLE}),
    )


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Check code printed on the form"),
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()


class ApplicationBatchForm(forms.Form):
    """Which application forms the auditor prints at once: a month's, in one state or all."""

    month = MonthField(label=_("Month entered"))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *SponsorshipApplication.Status.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"month": this_month()})
        super().__init__(*args, **kwargs)
