"""The forms of the payments pages. They parse what staff typed; the rules are the services'."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from insured import formats
from payments.models import PaymentKind, Receivable, ReconciliationRun

# The resident scheme's first contributions (新农保 pilots, 2009): nothing to reconcile before.
EARLIEST_DAY = dt.date(2009, 1, 1)


class AssignForm(forms.Form):
    id_no = forms.CharField(label=gettext_lazy("Resident ID number of the insured person"), max_length=18)
    receivable_no = forms.CharField(
        label=gettext_lazy("Receivable number"),
        max_length=32,
        required=False,
        help_text=gettext_lazy("Required for sponsorship, collective subsidy, social sponsorship and back payment."),
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)


class ReconciliationForm(forms.Form):
    period = forms.ChoiceField(
        label=gettext_lazy("Period"), choices=ReconciliationRun.Period.choices, initial=ReconciliationRun.Period.DAY
    )
    date = forms.DateField(
        label=gettext_lazy("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("For a month or a year, any day of it."),
    )

    def clean_date(self) -> dt.date:
        day = self.cleaned_data["date"]
        latest = timezone.localdate() + dt.timedelta(days=366)
        if not EARLIEST_DAY <= day <= latest:
            raise forms.ValidationError(
                gettext("Choose a date from %(first)s to %(last)s.")
                % {"first": formats.day(EARLIEST_DAY), "last": formats.day(latest)},
                code="date_out_of_range",
            )
        return day


class BankStatementForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Bank statement (.xlsx or .csv)"))
    account = forms.CharField(label=gettext_lazy("Income account number"), max_length=40, required=False)
    start = forms.DateField(
        label=gettext_lazy("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=gettext_lazy("The days the statement covers; empty: from its first line to its last."),
    )
    end = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise forms.ValidationError(gettext("Give both days of the statement's period, or neither."))
        if start and end:
            if end < start:
                raise forms.ValidationError(gettext("The period ends before it starts."))
            if start < EARLIEST_DAY or end > timezone.localdate():
                raise forms.ValidationError(
                    gettext("A statement covers days from %(first)s to today.") % {"first": formats.day(EARLIEST_DAY)}
                )
        return data


class ReceivableFilterForm(forms.Form):
    """The receivables list's filters (in the query string: they name no person)."""

    status = forms.ChoiceField(
        label=gettext_lazy("Status"), required=False, choices=[("", gettext_lazy("All")), *Receivable.Status.choices]
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind"), required=False, choices=[("", gettext_lazy("All")), *PaymentKind.choices]
    )
    year = forms.IntegerField(label=gettext_lazy("Year"), required=False, min_value=2009, max_value=2100)

    def apply(self, receivables: QuerySet[Receivable]) -> QuerySet[Receivable]:
        """The filters that parse; one that does not is left out (the form says why)."""
        if not self.is_valid():
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        else:
            data = self.cleaned_data
        if data.get("status"):
            receivables = receivables.filter(status=data["status"])
        if data.get("kind"):
            receivables = receivables.filter(kind=data["kind"])
        if data.get("year"):
            receivables = receivables.filter(year=data["year"])
        return receivables
