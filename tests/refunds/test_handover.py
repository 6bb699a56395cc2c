"""The township's monthly hand-over (002 附件2 二: 每月25日前): by the 25th an application joins this
month's request for money, after it next month's; when the 25th is not a working day the deadline
is the next working day (民法典 第二百零三条)."""

import datetime as dt

import pytest

from insured import rules
from insured.workdays import WorkCalendar
from refunds import services
from tests.factories import HolidayFactory
from tests.refunds.conftest import advance, take

pytestmark = pytest.mark.django_db


def _month(day: dt.date) -> dt.date:
    return rules.refund_batch_month(day, WorkCalendar(day.replace(day=1), day + dt.timedelta(days=40)))


def test_25th_on_a_working_day_is_the_deadline():
    assert dt.date(2026, 11, 25).weekday() == 2
    assert _month(dt.date(2026, 11, 25)) == dt.date(2026, 11, 1)
    assert _month(dt.date(2026, 11, 26)) == dt.date(2026, 12, 1)


def test_25th_on_a_sunday_moves_the_deadline_to_monday():
    assert dt.date(2026, 1, 25).weekday() == 6
    calendar = WorkCalendar(dt.date(2026, 1, 1), dt.date(2026, 2, 28))
    assert rules.refund_handover_deadline(2026, 1, calendar) == dt.date(2026, 1, 26)
    assert _month(dt.date(2026, 1, 26)) == dt.date(2026, 1, 1)
    assert _month(dt.date(2026, 1, 27)) == dt.date(2026, 2, 1)


def test_a_holiday_from_the_administrators_calendar_moves_the_deadline():
    HolidayFactory(date=dt.date(2026, 5, 25), name="调休（测试）")
    calendar = WorkCalendar(dt.date(2026, 5, 1), dt.date(2026, 6, 30))
    assert rules.refund_handover_deadline(2026, 5, calendar) == dt.date(2026, 5, 26)
    assert _month(dt.date(2026, 5, 26)) == dt.date(2026, 5, 1)


def test_late_december_goes_into_januarys_request():
    assert _month(dt.date(2026, 12, 28)) == dt.date(2027, 1, 1)


@pytest.mark.parametrize(
    ("day", "month"),
    [(dt.date(2026, 1, 26), dt.date(2026, 1, 1)), (dt.date(2026, 1, 27), dt.date(2026, 2, 1))],
    ids=["on-the-moved-deadline", "a-day-late"],
)
def test_hand_over_stamps_the_month_its_request_belongs_to(person, staff, day, month):
    application = take(person, staff)
    services.application_first_review(application, user=staff["town_b"])

    sent = services.applications_hand_over(user=staff["town"], region=staff["town"].staff.region, today=day)

    assert [a.pk for a in sent] == [application.pk]
    application.refresh_from_db()
    assert (application.status, application.batch_month) == ("handed_over", month)


def test_hand_over_sends_only_signed_applications_of_the_township(person, staff, tree):
    signed = advance(take(person, staff), staff, "first_reviewed")
    with pytest.raises(rules.RuleViolation) as exc:
        services.applications_hand_over(user=staff["other_town"], region=staff["other_town"].staff.region)
    assert exc.value.code == "nothing_to_hand_over"
    signed.refresh_from_db()
    assert signed.status == "first_reviewed"


def test_request_includes_approved_applications_of_earlier_months(person, staff):
    """One handed over in October and approved late joins November's request."""
    application = take(person, staff)
    services.application_first_review(application, user=staff["town_b"])
    services.applications_hand_over(user=staff["town"], region=staff["town"].staff.region, today=dt.date(2026, 10, 20))
    services.application_approve(application, user=staff["reviewer"])
    request = services.request_create(
        region=staff["finance"].staff.region,
        month=dt.date(2026, 11, 1),
        user=staff["finance"],
        today=dt.date(2026, 12, 1),
    )
    assert (request.count, list(request.applications.all())) == (1, [application])
