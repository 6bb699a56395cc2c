"""Rule 1 under concurrency (001 二(二)): reviewers approving rosters that name the same persons at
the same moment never pass the year's cap together, and never deadlock, whatever order the rosters
list the persons in. On PostgreSQL with real transactions."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from collective import services
from collective.models import Roster, RosterRow
from insured.models import PersonYear
from insured.rules import RuleViolation
from payments.models import Receivable
from tests.collective.conftest import TODAY, paid_member
from tests.factories import FilingFactory, RosterFactory, RosterRowFactory, make_uscc, make_user

ROSTERS = 4


@pytest.mark.django_db(transaction=True)
def test_rosters_for_the_same_people_approved_at_once_never_pass_the_cap(filing, village, county, accountant):
    persons = [paid_member(village) for _ in range(6)]
    first_reviewer = make_user("reviewer", county, username="first-reviewer")
    approvers = [make_user("reviewer", county, username=f"approver{n}") for n in range(ROSTERS)]
    social = FilingFactory(
        kind="social",
        organisation=None,
        region=county,
        sponsor_kind="company",
        sponsor_name="爱心企业",
        sponsor_code=make_uscc("91", "211370", "MA0ABCDE"),
        created_by=accountant,
        standard=None,
        hardship_standard=None,
    )
    rosters = []
    for n in range(ROSTERS):
        # Two filings: the village's collective plan and a company's social sponsorship; each roster
        # lists the same six persons at 3000 (two fit in no person's cap of 5000), half in reverse.
        roster = RosterFactory(
            filing=filing if n % 2 else social,
            status=Roster.Status.REVIEWED,
            row_count=6,
            total=Decimal("18000.00"),
            uploaded_by=accountant,
            reviewed_by=first_reviewer,
        )
        ordered = persons if n % 2 else list(reversed(persons))
        for seq, person in enumerate(ordered, start=1):
            RosterRowFactory(roster=roster, seq=seq, person=person, amount=Decimal("3000.00"), kind="social")
        rosters.append(roster)
    start = threading.Barrier(ROSTERS)
    outcomes: list[str] = []

    def approve(roster: Roster, approver) -> None:
        try:
            start.wait()
            services.roster_approve(roster, user=approver, today=TODAY)
            outcomes.append("approved")
        except RuleViolation as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # a deadlock would show here
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=pair) for pair in zip(rosters, approvers, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["approved"] + ["cap_exceeded"] * (ROSTERS - 1), outcomes
    approved = Roster.objects.get(status=Roster.Status.APPROVED)
    assert Roster.objects.filter(status=Roster.Status.REVIEWED).count() == ROSTERS - 1
    for person in persons:
        year = PersonYear.objects.get(person=person, year=2026)
        assert year.support_reserved == Decimal("3000.00")
        assert year.support_used <= Decimal("5000.00")
    assert Receivable.objects.filter(source_type=services.ROW_SOURCE_TYPE).count() == 6
    assert RosterRow.objects.filter(roster=approved, receivable__isnull=False).count() == 6
    assert not RosterRow.objects.exclude(roster=approved).filter(receivable__isnull=False).exists()
