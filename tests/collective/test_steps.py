"""A roster's steps after the upload (001 附件1 三, 四(三)): submitted and checked again, first
review within 3 working days, approval by another person that reserves every row under the cap,
sending back with a reason."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collective import selectors, services
from collective.models import Roster
from insured import ledger
from insured.models import InsuredPerson, PersonYear
from insured.rules import RuleViolation
from payments.models import Receivable
from tests.collective.conftest import TODAY, row, rows_of, xlsx_file
from tests.factories import HolidayFactory

pytestmark = pytest.mark.django_db


def _draft(filing, rows, user) -> Roster:
    return services.roster_upload(filing, xlsx_file(rows), "名单.xlsx", user=user, today=TODAY).roster


def _reviewed(filing, rows, accountant, reviewer) -> Roster:
    roster = services.roster_submit(_draft(filing, rows, accountant), user=accountant, today=TODAY)
    return services.roster_review(roster, user=reviewer, today=TODAY)


def test_submission_checks_every_rule_again(filing, members, accountant):
    roster = _draft(filing, rows_of(members), accountant)
    InsuredPerson.objects.filter(pk=members[2].pk).update(status="receiving")

    with pytest.raises(services.RosterRefused) as exc:
        services.roster_submit(roster, user=accountant, today=TODAY)

    assert exc.value.code == "receiving_benefits"
    assert "3" in exc.value.message  # the row's 序号
    roster.refresh_from_db()
    assert roster.status == Roster.Status.DRAFT


def test_the_first_review_is_due_three_working_days_after_submission_holidays_skipped(filing, members, accountant):
    HolidayFactory(date=dt.date(2026, 11, 24), name="测试假日")
    roster = services.roster_submit(_draft(filing, rows_of(members), accountant), user=accountant, today=TODAY)
    assert roster.first_review_due_on == dt.date(2026, 11, 27)  # Tue is off: Wed, Thu, Fri
    assert not selectors.is_overdue(roster, dt.date(2026, 11, 27))
    assert selectors.is_overdue(roster, dt.date(2026, 11, 30))


def test_an_overdue_roster_is_flagged_in_the_county_queue(filing, members, accountant, reviewer):
    roster = services.roster_submit(_draft(filing, rows_of(members), accountant), user=accountant, today=TODAY)
    late = selectors.review_queue(reviewer, today=dt.date(2026, 12, 1))
    assert [(i.roster.pk, i.is_overdue) for i in late] == [(roster.pk, True)]
    assert selectors.review_queue(reviewer, today=TODAY)[0].is_overdue is False


def test_approval_by_the_first_reviewer_is_refused(filing, members, accountant, reviewer):
    roster = _reviewed(filing, rows_of(members), accountant, reviewer)
    with pytest.raises(RuleViolation) as exc:
        services.roster_approve(roster, user=reviewer, today=TODAY)
    assert exc.value.code == "same_person"
    assert not PersonYear.objects.filter(support_reserved__gt=0).exists()


def test_the_clerk_who_entered_a_social_roster_cannot_review_it(clerk, county, members, reviewer):
    from tests.factories import make_uscc

    sponsor = services.SponsorInput("charity", "慈善总会", make_uscc("53", "211370", "MA0CHRTY"), "0470", "", 2026)
    filing = services.social_filing_create(sponsor, user=clerk, agency_region=county, today=TODAY)
    roster = _draft(filing, [row(1, members[0], kind="社会资助")], clerk)
    roster = services.roster_submit(roster, user=clerk, today=TODAY)
    with pytest.raises(RuleViolation) as exc:
        services.roster_review(roster, user=clerk, today=TODAY)
    assert exc.value.code == "same_person"
    assert services.roster_review(roster, user=reviewer, today=TODAY).status == Roster.Status.REVIEWED


def test_a_row_that_no_longer_fits_refuses_the_approval_by_its_number_and_nothing_is_reserved(
    filing, members, accountant, reviewer, reviewer2
):
    first = _draft(filing, [row(1, members[1], "3000.00", kind="社会资助")], accountant)
    services.roster_submit(first, user=accountant, today=TODAY)
    services.roster_review(first, user=reviewer, today=TODAY)
    services.roster_approve(first, user=reviewer2, today=TODAY)
    second = _reviewed(
        filing, [row(1, members[2]), row(7, members[1], "1000.00", kind="社会资助")], accountant, reviewer
    )
    # Meanwhile a personal sponsorship of 1500 for members[1] is approved: 3000 + 1500 + 1000 > 5000.
    ledger.support_reserve(person=members[1], year=2026, amount=Decimal("1500.00"))

    with pytest.raises(RuleViolation) as exc:
        services.roster_approve(second, user=reviewer2, today=TODAY)

    assert exc.value.code == "cap_exceeded"
    assert "7" in exc.value.message.split("：")[0]  # the row's 序号 leads the message
    assert PersonYear.objects.get(person=members[2], year=2026).support_reserved == Decimal("0.00")
    assert PersonYear.objects.get(person=members[1], year=2026).support_reserved == Decimal("4500.00")
    second.refresh_from_db()
    assert second.status == Roster.Status.REVIEWED
    assert not Receivable.objects.filter(source_ref__startswith=second.number).exists()


def test_approval_locks_the_roster_then_the_person_years_in_key_order(filing, members, accountant, reviewer, reviewer2):
    roster = _reviewed(filing, rows_of(members), accountant, reviewer)
    with CaptureQueriesContext(connection) as ctx:
        services.roster_approve(roster, user=reviewer2, today=TODAY)
    locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert "collective_roster" in locks[0]
    assert any("insured_personyear" in sql and "ORDER BY py.id" in sql for sql in locks[1:])


def test_sending_back_needs_a_reason_and_reserves_nothing(filing, members, accountant, reviewer):
    roster = services.roster_submit(_draft(filing, rows_of(members), accountant), user=accountant, today=TODAY)
    with pytest.raises(RuleViolation) as exc:
        services.roster_reject(roster, user=reviewer, reason="  ")
    assert exc.value.code == "reason_required"

    roster = services.roster_reject(roster, user=reviewer, reason="第3行金额与决议不符")

    assert roster.status == Roster.Status.REJECTED and roster.rejection_reason == "第3行金额与决议不符"
    # Back to the village: it uploads a corrected roster under the same filing.
    assert _draft(filing, rows_of(members), accountant).status == Roster.Status.DRAFT


def test_a_step_out_of_turn_is_refused(filing, members, accountant, reviewer2):
    roster = _draft(filing, rows_of(members), accountant)
    with pytest.raises(RuleViolation) as exc:
        services.roster_approve(roster, user=reviewer2, today=TODAY)
    assert exc.value.code == "wrong_state"


def test_the_history_records_who_took_each_step(filing, members, accountant, reviewer, reviewer2):
    roster = _reviewed(filing, rows_of(members), accountant, reviewer)
    services.roster_approve(roster, user=reviewer2, today=TODAY)
    who = {c.who for c in selectors.roster_history(roster)}
    assert {"刘春生", "王建国", "赵丽华"} <= who
