"""Working days (工作日) for the 3-working-day steps of notice 001 附件1 四(七).

The administrator's holiday table decides first; then `chinese-calendar`, for the years
whose State Council holiday arrangements its release knows (it refuses later years); then
plain Monday-to-Friday, so 2027 keeps working until the table is filled in.
"""

from __future__ import annotations

import datetime as dt

import chinese_calendar

from insured.models import Holiday

# The years this release of chinese-calendar has the official arrangements for.
_LIBRARY_YEARS = range(min(chinese_calendar.holidays).year, max(chinese_calendar.holidays).year + 1)


class WorkCalendar:
    """Reads the holiday table once for the span it is asked about."""

    def __init__(self, start: dt.date, end: dt.date) -> None:
        self._overrides = dict(Holiday.objects.filter(date__range=(start, end)).values_list("date", "is_workday"))

    def is_workday(self, day: dt.date) -> bool:
        if day in self._overrides:
            return self._overrides[day]
        if day.year in _LIBRARY_YEARS:
            return chinese_calendar.is_workday(day)
        return day.weekday() < 5

    def after(self, start: dt.date, count: int) -> dt.date:
        """The day `count` working days after `start` (start itself not counted)."""
        day = start
        while count > 0:
            day += dt.timedelta(days=1)
            if self.is_workday(day):
                count -= 1
        return day


def add_workdays(start: dt.date, count: int) -> dt.date:
    return WorkCalendar(start, start + dt.timedelta(days=count * 3 + 30)).after(start, count)


def is_workday(day: dt.date) -> bool:
    return WorkCalendar(day, day).is_workday(day)
