"""The forms of refunds. They parse what people type and upload; every rule is the service's.
No amount is ever typed: the application's amount is the sum of the money chosen."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from insured.identity import parse_resident_id
from insured.models import InsuredPerson
from insured.printing.forms import MonthField, this_month
from refunds.copies import LABELS, validate_copy
from refunds.models import RefundApplication, RefundCase
from refunds.selectors import WaitingChoice, YearChoices
from refunds.services import Applicant, RefundInput

# app.css styles inputs and selects but not text areas; match them.
TEXTAREA_STYLE = "width:100%;max-width:640px;padding:7px 10px;border:1px solid #bcccdc;border-radius:4px;font-size:15px"
ACCEPT = "application/pdf,image/jpeg,image/png"


class PersonLookupForm(forms.Form):
    id_no = forms.CharField(
        label=_("Insured person's resident ID number"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )

    def clean_id_no(self) -> str:
        return parse_resident_id(self.cleaned_data["id_no"]).number


class CopyField(forms.FileField):
    """A scan or photo of a document: PDF, JPEG or PNG, at most 5 MB (refunds.copies)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if isinstance(value, UploadedFile):
            validate_copy(value)
        return value


class ApplicantFields(forms.Form):
    """Who applies and where the money goes (002 附件2 一)."""

    relation = forms.ChoiceField(label=_("Applicant"), choices=RefundApplication.Relation.choices)
    applicant_name = forms.CharField(label=_("Applicant's name"), max_length=50)
    applicant_id_no = forms.CharField(
        label=_("Applicant's resident ID number"), max_length=20, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    applicant_phone = forms.CharField(
        label=_("Applicant's phone"),
        max_length=20,
        validators=[RegexValidator(r"^\+?[0-9][0-9 -]{5,18}$", _("Enter a phone number in digits."), "phone")],
    )
    bank_name = forms.CharField(label=_("Bank and branch"), max_length=60)
    account_type = forms.ChoiceField(
        label=_("Account type"),
        choices=RefundApplication.AccountType.choices,
        help_text=_("A bank card number is checked by its check digit; a passbook number has none."),
    )
    account_no = forms.CharField(
        label=_("Account number"), max_length=40, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    account_name = forms.CharField(
        label=_("Account name"), max_length=50, help_text=_("Must be the applicant's own name.")
    )
    circumstances = forms.CharField(
        label=_("Circumstances"),
        max_length=200,
        required=False,
        help_text=_("For example: employee pension from March 2026; date of death."),
        widget=forms.Textarea(attrs={"rows": 2, "style": TEXTAREA_STYLE}),
    )
    id_card_copy = CopyField(label=LABELS["id_card_copy"])
    bank_card_copy = CopyField(label=LABELS["bank_card_copy"])
    payment_proof = CopyField(label=LABELS["payment_proof"])
    evidence_copy = CopyField(
        label=LABELS["evidence_copy"], help_text=_("The document the case asks for, e.g. a death certificate.")
    )

    def applicant(self) -> Applicant:
        data = self.cleaned_data
        return Applicant(**{f: data[f] for f in Applicant.__dataclass_fields__})

    def copies(self) -> dict[str, UploadedFile | None]:
        return {f: self.cleaned_data.get(f) or None for f in RefundApplication.COPIES}


class IntakeForm(ApplicantFields):
    case = forms.ModelChoiceField(label=_("Refund case"), queryset=RefundCase.objects.none(), empty_label=None)
    entries = forms.TypedMultipleChoiceField(label=_("Payments in the account"), coerce=int, required=False)
    notices = forms.TypedMultipleChoiceField(label=_("Payments waiting in the queue"), coerce=int, required=False)

    field_order = ["case", "entries", "notices"]

    def __init__(
        self,
        *args: Any,
        person: InsuredPerson,
        cases: Any,
        years: list[YearChoices],
        waiting: list[WaitingChoice],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "relation": RefundApplication.Relation.SELF,
                "applicant_name": person.name,
                "account_name": person.name,
                "applicant_phone": person.phone,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases
        # Only the person's own money is offered; the service checks each again.
        self.fields["entries"].choices = [(c.entry.pk, c.entry.pk) for y in years for c in y.choices if c.is_available]
        self.fields["notices"].choices = [(w.notice.pk, w.notice.pk) for w in waiting if not w.reserved_by]

    def to_input(self, person: InsuredPerson) -> RefundInput:
        return RefundInput(
            person=person,
            case=self.cleaned_data["case"],
            entry_ids=tuple(self.cleaned_data["entries"]),
            notice_ids=tuple(self.cleaned_data["notices"]),
            applicant=self.applicant(),
        )


class CorrectForm(ApplicantFields):
    @classmethod
    def for_application(cls, application: RefundApplication, data: Any = None, files: Any = None) -> CorrectForm:
        initial = {f: getattr(application, f) for f in Applicant.__dataclass_fields__}
        return cls(data, files, initial=initial)


class ReasonForm(forms.Form):
    # An empty reason is the service's to refuse, with its message.
    reason = forms.CharField(
        label=_("Reason"),
        max_length=200,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "style": TEXTAREA_STYLE}),
    )


class PaymentForm(forms.Form):
    paid_on = forms.DateField(label=_("Paid on"), widget=forms.DateInput(attrs={"type": "date"}))
    # A blank reference is the service's to refuse, with its message.
    bank_reference = forms.CharField(label=_("Bank reference"), max_length=60, required=False)


class RequestForm(forms.Form):
    month = forms.TypedChoiceField(
        label=_("Month"),
        coerce=dt.date.fromisoformat,
        help_text=_("The month whose applications the request pays (the county asks early the next month)."),
    )

    def __init__(self, *args: Any, months: list[dt.date] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The months with approved applications waiting, and last month; a month sent anyway
        # is the service's to refuse, with its rule.
        last_month = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        offered = sorted({last_month, *(months or [])}, reverse=True)
        self.fields["month"].choices = [(m.isoformat(), f"{m:%Y-%m}") for m in offered]
        self.fields["month"].initial = last_month.isoformat()

    def clean_month(self) -> dt.date:
        return self.cleaned_data["month"].replace(day=1)


class ApplicationBatchForm(forms.Form):
    """Which refund application forms the auditor prints at once: a month's (received then)."""

    month = MonthField(label=_("Month received"))
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("All")), *RefundApplication.Status.choices]
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"month": this_month()})
        super().__init__(*args, **kwargs)
