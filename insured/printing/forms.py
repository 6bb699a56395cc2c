"""The fields and forms of the printing pages, and the month filter the apps' batch forms share."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*(?:[-/.月]\s*(?:\d{1,2}\s*日?)?)?$")


class MonthField(forms.Field):
    """A calendar month, typed as 2026-12 (what <input type="month"> sends), 2026/12 or 2026年12月;
    full-width digits are read too. The value is the month's first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-12"})
    default_error_messages = {"invalid": _("Enter a month as year and month, for example 2026-12.")}

    def to_python(self, value: Any) -> dt.date | None:
        if isinstance(value, dt.date):
            return value.replace(day=1)
        text = unicodedata.normalize("NFKC", str(value or "")).strip()
        if not text:
            return None
        match = MONTH.match(text)
        if not match or not (2000 <= int(match.group(1)) <= 2100 and 1 <= int(match.group(2)) <= 12):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return dt.date(int(match.group(1)), int(match.group(2)), 1)

    def prepare_value(self, value: Any) -> Any:
        return f"{value:%Y-%m}" if isinstance(value, dt.date) else value


def this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The moments a month starts and the next one starts, in Beijing time."""
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(month, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(following, dt.time.min))


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Check code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", unicodedata.normalize("NFKC", self.cleaned_data["code"])).upper()
        if not re.fullmatch(r"[0-9A-Z]{4,20}", code):
            raise forms.ValidationError(_("A check code is 4 to 20 letters and digits."), code="invalid")
        return code


class PrintLogFilterForm(forms.Form):
    form = forms.ChoiceField(label=_("Form"), required=False)
    number = forms.CharField(label=_("Document number"), required=False, max_length=60)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, forms_printed: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = [("", _("All")), *(forms_printed or [])]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The period begins after it ends."), code="period")
        return data

    def apply(self, records: Any) -> Any:
        data = self.cleaned_data
        if data.get("form"):
            records = records.filter(form=data["form"])
        if data.get("number"):
            records = records.filter(number__icontains=data["number"].strip())
        if data.get("date_from"):
            records = records.filter(at__gte=day_start(data["date_from"]))
        if data.get("date_to"):
            records = records.filter(at__lt=day_start(data["date_to"] + dt.timedelta(days=1)))
        return records


def day_start(day: dt.date) -> dt.datetime:
    """The first moment of a day, in Beijing time."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
