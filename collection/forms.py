"""The forms of collection's pages: a department's list to import, the 台账's township and month."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from collection.models import GroupListRow

MONTH_WIDGET = forms.DateInput(attrs={"type": "month"}, format="%Y-%m")


class MonthField(forms.DateField):
    """A month typed as 2026-03 (or a whole date, of which the month is kept)."""

    input_formats = ["%Y-%m", "%Y-%m-%d", "%Y/%m", "%Y年%m月"]
    widget = MONTH_WIDGET

    def to_python(self, value: Any) -> dt.date | None:
        day = super().to_python(value.strip() if isinstance(value, str) else value)
        return day.replace(day=1) if day else None


class GroupListUploadForm(forms.Form):
    department = forms.CharField(
        label=_("Providing department"), max_length=50, help_text=_("For example 县民政局, 县残联, 县乡村振兴局.")
    )
    list_month = MonthField(label=_("List month"))
    file = forms.FileField(label=_("List file (.xlsx or .csv)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["list_month"].initial = timezone.localdate().replace(day=1)

    def clean_department(self) -> str:
        return " ".join(self.cleaned_data["department"].split())

    def clean_list_month(self) -> dt.date:
        month = self.cleaned_data["list_month"]
        if month > timezone.localdate():
            raise forms.ValidationError(_("A list is for this month or a past one."))
        return month


class OutcomeFilterForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Show"), required=False, choices=[("", _("everyone")), *list(GroupListRow.Outcome.choices)]
    )


class LedgerForm(forms.Form):
    township = forms.ChoiceField(label=_("Township"))
    month = forms.ChoiceField(label=_("List month"), required=False)
    outcome = forms.ChoiceField(
        label=_("Show"), required=False, choices=[("", _("everyone")), *list(GroupListRow.Outcome.choices)]
    )

    def __init__(self, *args: Any, townships: list[tuple[str, str]], months: list[dt.date], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township"].choices = townships
        self.fields["month"].choices = [("", _("every month"))] + [(f"{m:%Y-%m}", f"{m:%Y-%m}") for m in months]

    def clean_month(self) -> dt.date | None:
        value = self.cleaned_data.get("month")
        return dt.date.fromisoformat(f"{value}-01") if value else None
