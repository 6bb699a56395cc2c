"""The forms of oversight's pages: which region, year and day to show, and the uploads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from insured import formats
from insured.models import Region
from oversight.models import DepartmentList
from oversight.selectors.progress import collection_window

EARLIEST_YEAR = 2009  # the resident scheme's first pilot year (国发〔2009〕32号)
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
REGION_CODE = r"^[0-9]{12}$"


class ProgressForm(forms.Form):
    """Which year to show and as of which day: by default today, or the end of a past year's window."""

    year = forms.IntegerField(label=_("Year"), min_value=EARLIEST_YEAR)
    date = forms.DateField(
        label=_("As of"), required=False, widget=DATE_WIDGET, help_text=_("Empty: today, or the end of a past year.")
    )

    def __init__(self, *args: Any, region: Region, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.region = region
        self.today = today or timezone.localdate()
        self.fields["year"].validators.append(MaxValueValidator(self.today.year))
        self.fields["year"].widget.attrs["max"] = self.today.year

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        year = data.get("year")
        if year is None or self.errors:
            return data
        day = data.get("date")
        latest = min(self.today, max(dt.date(year, 12, 31), collection_window(self.region, year)[1]))
        if day is None:
            data["date"] = latest
        elif not dt.date(year, 1, 1) <= day <= latest:
            self.add_error(
                "date",
                gettext("Choose a day from %(first)s to %(last)s.")
                % {"first": formats.day(dt.date(year, 1, 1)), "last": formats.day(latest)},
            )
        return data


class WeekForm(forms.Form):
    """A week of the weekly report, named by any day of it."""

    day = forms.DateField(label=_("A day of the week"), widget=DATE_WIDGET)

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_day(self) -> dt.date:
        day = self.cleaned_data["day"]
        monday = day - dt.timedelta(days=day.weekday())
        this_monday = self.today - dt.timedelta(days=self.today.weekday())
        if monday >= this_monday:
            raise forms.ValidationError(
                gettext("Only a week that has ended can be reported; the last is the week of %(day)s.")
                % {"day": formats.day(this_monday - dt.timedelta(days=7))},
                code="week_not_over",
            )
        if day.year < EARLIEST_YEAR:
            raise forms.ValidationError(gettext("Choose a week from %(year)s on.") % {"year": EARLIEST_YEAR})
        return monday


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (.xlsx or .csv)"))
    data_date = forms.DateField(
        label=_("Data as of"), widget=DATE_WIDGET, help_text=_("The day the department extracted the list.")
    )

    def __init__(self, *args: Any, today: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()

    def clean_data_date(self) -> dt.date:
        day = self.cleaned_data["data_date"]
        if day > self.today or day.year < EARLIEST_YEAR:
            raise forms.ValidationError(gettext("The list cannot be dated in the future."), code="future")
        return day


class ExtractUploadForm(UploadForm):
    township = forms.ChoiceField(label=_("Township"))

    def __init__(self, *args: Any, townships: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["township"].choices = townships


class DepartmentListUploadForm(UploadForm):
    kind = forms.ChoiceField(label=_("List"), choices=DepartmentList.Kind.choices)
    department = forms.CharField(label=_("Providing department"), max_length=100)


class ListFilterForm(forms.Form):
    village = forms.RegexField(regex=REGION_CODE, required=False)
