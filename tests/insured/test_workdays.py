"""Working days for the 3-working-day step of notice 001 附件1 四(七): the holiday table first,
then chinese-calendar, then Monday to Friday for years the library does not know."""

import datetime as dt

import pytest

from insured.models import Holiday
from insured.workdays import add_workdays, is_workday

pytestmark = pytest.mark.django_db


def test_national_day_holiday_comes_from_chinese_calendar():
    assert is_workday(dt.date(2026, 10, 1)) is False
    assert is_workday(dt.date(2026, 10, 9)) is True


def test_holiday_table_overrides_the_library():
    Holiday.objects.create(date=dt.date(2026, 10, 9), name="县里临时放假")
    Holiday.objects.create(date=dt.date(2026, 10, 11), is_workday=True, name="调休上班")
    assert is_workday(dt.date(2026, 10, 9)) is False
    assert is_workday(dt.date(2026, 10, 11)) is True  # a Sunday


def test_year_after_the_library_falls_back_to_weekdays():
    # chinese-calendar raises NotImplementedError for 2027; the table fills the gap.
    assert is_workday(dt.date(2027, 3, 1)) is True  # a Monday
    assert is_workday(dt.date(2027, 3, 6)) is False  # a Saturday
    Holiday.objects.create(date=dt.date(2027, 3, 1), name="录入的节日")
    assert is_workday(dt.date(2027, 3, 1)) is False


def test_three_working_days_skip_the_weekend():
    assert add_workdays(dt.date(2026, 11, 20), 3) == dt.date(2026, 11, 25)  # Friday -> Wednesday


def test_three_working_days_skip_the_national_day_week():
    # 1–7 October off; Saturday 10 October is worked in exchange (调休).
    assert add_workdays(dt.date(2026, 9, 30), 3) == dt.date(2026, 10, 10)
