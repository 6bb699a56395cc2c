"""The forms of the payments pages. They parse what staff typed; the rules are the services'."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from payments.models import ReconciliationRun


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
        help_text=gettext_lazy("For a month, any day of that month."),
    )
