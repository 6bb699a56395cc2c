"""The collection window 集中征缴期 (002 三; 003 五(二); 004 三 "每月1-25日…节假日不顺延"): read from the
policy year, said on the counter and the person page; a payment outside it credited and flagged, or
kept waiting, as the policy year says."""

from __future__ import annotations

import datetime as dt

import pytest

from insured import rules
from insured.models import OutsideWindow, PolicyYear, Role
from payments.models import ArrivalNotice
from tests.accounts import credit
from tests.factories import HolidayFactory, make_user

pytestmark = pytest.mark.django_db


def _anze(policy: PolicyYear) -> PolicyYear:
    """004 三: January to June, days 1 to 25 of each month."""
    policy.collection_start, policy.collection_end = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    policy.collection_day_from, policy.collection_day_to = 1, 25
    policy.save()
    return policy


@pytest.mark.parametrize(
    ("day", "is_open"),
    [
        (dt.date(2026, 1, 1), True),  # 元旦, a holiday inside the window: open (online payment works)
        (dt.date(2026, 2, 17), True),  # 春节
        (dt.date(2026, 4, 25), True),  # a Saturday, the last day of the month's window
        (dt.date(2026, 4, 26), False),  # 004 三 节假日不顺延: not extended past the 25th
        (dt.date(2026, 6, 26), False),
        (dt.date(2026, 7, 1), False),  # after June
    ],
)
def test_the_anze_window_on_holidays_and_after_the_25th(policy, day, is_open):
    HolidayFactory(date=dt.date(2026, 4, 25), name="演示假日")
    assert rules.collection_window_open(_anze(policy), day) is is_open


def test_a_policy_without_a_window_is_always_open(policy):
    assert rules.collection_window_open(policy, dt.date(2026, 12, 31))


def test_fei_county_window_is_the_first_quarter(policy):
    """002 三: 集中征缴期为第一季度."""
    policy.collection_start, policy.collection_end = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
    assert rules.collection_window_open(policy, dt.date(2026, 3, 31))
    assert not rules.collection_window_open(policy, dt.date(2026, 4, 1))
    with pytest.raises(rules.RuleViolation) as caught:
        rules.check_collection_window(policy, dt.date(2026, 4, 1))
    assert caught.value.code == "outside_window" and "002" in caught.value.message


def test_outside_the_window_a_payment_is_credited_and_flagged_by_default(client, tree, policy, person_at):
    _anze(policy)
    inside = credit(person_at(), amount="500.00", paid_on=dt.date(2026, 3, 10))
    late = person_at()
    outside = credit(late, amount="500.00", paid_on=dt.date(2026, 3, 27))
    assert (inside.state, inside.is_outside_window) == ("credited", False)
    assert (outside.state, outside.is_outside_window) == ("credited", True)
    client.force_login(make_user(Role.CLERK, tree["county"]))
    assert "outside-window" in client.get(f"/persons/{late.pk}/").content.decode()
    assert "outside-window" in client.get(f"/payments/batches/{outside.batch_id}/").content.decode()


def test_outside_the_window_a_payment_waits_when_the_policy_year_says_so(policy, person_at):
    _anze(policy).outside_window = OutsideWindow.QUEUE
    policy.save()
    waiting = credit(person_at(), amount="500.00", paid_on=dt.date(2026, 8, 3))
    assert (waiting.state, waiting.reason) == ("unmatched", ArrivalNotice.Reason.OUTSIDE_WINDOW)


def test_the_window_does_not_hold_back_the_governments_money(policy, person_at):
    from tests.factories import MembershipFactory

    _anze(policy).outside_window = OutsideWindow.QUEUE
    policy.save()
    person = person_at()
    MembershipFactory(person=person)
    assert credit(person, kind="government_paid", amount="100.00", paid_on=dt.date(2026, 8, 3)).state == "credited"


def test_the_counter_and_the_person_page_say_whether_the_window_is_open(client, tree, policy, person_at):
    """Today is outside June: the demo machine's date decides, so the policy's window is set around it."""
    from django.utils import timezone

    today = timezone.localdate()
    person = person_at()
    policy.year = today.year
    policy.collection_start, policy.collection_end = today, today
    policy.save()
    client.force_login(make_user(Role.CLERK, tree["county"]))
    assert 'id="collection-window" class="ok"' in client.get("/").content.decode()
    page = client.get(f"/persons/{person.pk}/").content.decode()
    assert 'id="collection-window" class="ok"' in page

    policy.collection_start = policy.collection_end = today - dt.timedelta(days=1)
    policy.save()
    page = client.get(f"/persons/{person.pk}/").content.decode()
    assert 'id="collection-window" class="bad"' in page
