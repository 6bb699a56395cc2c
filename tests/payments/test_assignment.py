"""The unmatched queue's maker-checker 手工划账 (issue 3, item 5): a clerk proposes, a different
person confirms, and only then does the notice post, through the same rules as processing."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from insured.models import AccountEntry, InsuredPerson
from insured.rules import RuleViolation
from payments import services
from payments.models import ArrivalNotice, ManualAssignment, NoticeBatch, Receivable
from tests.factories import InsuredPersonFactory, make_user
from tests.payments.conftest import notice
from tests.payments.helpers import (
    balance,
    entries_of,
    ledger,
    notice_row,
    person_year,
    process,
    stranger,
    support_receivable,
)

pytestmark = pytest.mark.django_db

State = ArrivalNotice.State


@pytest.fixture
def clerk(policy):
    return make_user("clerk", policy.region, username="clerk")


@pytest.fixture
def reviewer(policy):
    return make_user("reviewer", policy.region, username="reviewer")


@pytest.fixture
def waiting(tax_client, insured) -> ArrivalNotice:
    """An own contribution of 500 for an ID number nobody has: tax misspelt the person."""
    process(tax_client, [notice(stranger(insured.village), voucher="VU1")])
    row = notice_row("VU1")
    assert (row.state, row.reason) == (State.UNMATCHED, ArrivalNotice.Reason.PERSON_UNKNOWN)
    return row


def test_clerk_proposes_a_person_for_a_waiting_notice(waiting, insured, clerk):
    assignment = services.assignment_propose(
        notice=waiting, person=insured, receivable=None, user=clerk, note="税务误录身份证号"
    )

    stored = ManualAssignment.objects.get()
    assert stored.pk == assignment.pk
    assert (stored.status, stored.person_id, stored.proposed_by_id) == ("proposed", insured.pk, clerk.pk)
    assert stored.decided_by is None
    assert stored.history.count() == 1
    assert notice_row("VU1").state == State.UNMATCHED
    assert entries_of("VU1") == 0


def test_the_proposer_cannot_confirm_their_own_assignment(waiting, insured, clerk):
    """Maker-checker: the person who proposed an assignment cannot also confirm it."""
    assignment = services.assignment_propose(notice=waiting, person=insured, receivable=None, user=clerk)

    with pytest.raises(RuleViolation) as exc:
        services.assignment_decide(assignment=assignment, user=clerk, confirm=True)

    assert exc.value.code == "same_person"
    assignment.refresh_from_db()
    assert (assignment.status, assignment.decided_by_id, assignment.decided_at) == ("proposed", None, None)
    assert notice_row("VU1").state == State.UNMATCHED
    assert entries_of("VU1") == 0
    assert ledger(insured) == []


def test_the_proposer_cannot_reject_their_own_assignment_either(waiting, insured, clerk):
    assignment = services.assignment_propose(notice=waiting, person=insured, receivable=None, user=clerk)

    with pytest.raises(RuleViolation) as exc:
        services.assignment_decide(assignment=assignment, user=clerk, confirm=False)

    assert exc.value.code == "same_person"
    assignment.refresh_from_db()
    assert assignment.status == "proposed"


def test_another_person_confirms_and_the_notice_is_credited(waiting, insured, clerk, reviewer):
    assignment = services.assignment_propose(notice=waiting, person=insured, receivable=None, user=clerk)

    decided = services.assignment_decide(assignment=assignment, user=reviewer, confirm=True)

    assert (decided.status, decided.decided_by_id) == ("confirmed", reviewer.pk)
    assert decided.decided_at is not None
    row = notice_row("VU1")
    assert (row.state, row.reason, row.person_id) == (State.CREDITED, "", insured.pk)
    assert ledger(insured) == [("government_subsidy", Decimal("60.00")), ("own", Decimal("500.00"))]
    assert set(AccountEntry.objects.values_list("source_key", flat=True)) == {"notice:VU1:1", "notice:VU1:1:subsidy"}
    py = person_year(insured)
    assert (py.own_amount, str(py.own_arrived_on)) == (Decimal("500.00"), "2026-03-02")
    stored = NoticeBatch.objects.get()
    assert (stored.credited_count, stored.unmatched_count) == (1, 0)


def test_a_confirmed_assignment_cannot_be_decided_again(waiting, insured, clerk, reviewer, policy):
    assignment = services.assignment_propose(notice=waiting, person=insured, receivable=None, user=clerk)
    services.assignment_decide(assignment=assignment, user=reviewer, confirm=True)
    third = make_user("reviewer", policy.region, username="reviewer2")

    with pytest.raises(RuleViolation) as exc:
        services.assignment_decide(assignment=assignment, user=third, confirm=False)

    assert exc.value.code == "assignment_decided"
    assignment.refresh_from_db()
    assert (assignment.status, assignment.decided_by_id) == ("confirmed", reviewer.pk)
    assert balance(insured) == Decimal("560.00")


def test_a_credited_notice_cannot_be_proposed_again(waiting, insured, clerk, reviewer):
    assignment = services.assignment_propose(notice=waiting, person=insured, receivable=None, user=clerk)
    services.assignment_decide(assignment=assignment, user=reviewer, confirm=True)

    with pytest.raises(RuleViolation) as exc:
        services.assignment_propose(notice=waiting, person=insured, receivable=None, user=clerk)

    assert exc.value.code == "notice_not_waiting"
    assert ManualAssignment.objects.count() == 1


def test_rejected_assignment_leaves_the_notice_waiting_to_be_proposed_again(waiting, insured, clerk, reviewer):
    first = services.assignment_propose(notice=waiting, person=insured, receivable=None, user=clerk)

    decided = services.assignment_decide(assignment=first, user=reviewer, confirm=False)

    assert (decided.status, decided.decided_by_id) == ("rejected", reviewer.pk)
    assert notice_row("VU1").state == State.UNMATCHED
    assert entries_of("VU1") == 0
    other = InsuredPersonFactory(village=insured.village)
    second = services.assignment_propose(notice=waiting, person=other, receivable=None, user=clerk)
    assert second.pk != first.pk
    assert list(ManualAssignment.objects.order_by("pk").values_list("status", flat=True)) == ["rejected", "proposed"]


def test_proposing_while_an_assignment_is_pending_is_refused(waiting, insured, clerk, reviewer):
    services.assignment_propose(notice=waiting, person=insured, receivable=None, user=clerk)
    other = InsuredPersonFactory(village=insured.village)

    with pytest.raises(RuleViolation) as exc:
        services.assignment_propose(notice=waiting, person=other, receivable=None, user=reviewer)

    assert exc.value.code == "assignment_pending"
    assert ManualAssignment.objects.filter(notice=waiting).count() == 1
    assert ManualAssignment.objects.get().person_id == insured.pk


def test_confirming_an_assignment_that_breaks_a_rule_is_refused_and_nothing_is_saved(
    tax_client, insured, clerk, reviewer
):
    """Rule 7 (002 二): 450 is not a tier; assigning it to a person does not make it one."""
    process(tax_client, [notice(stranger(insured.village), voucher="VU2", amount="450.00")])
    waiting = notice_row("VU2")
    assignment = services.assignment_propose(notice=waiting, person=insured, receivable=None, user=clerk)

    with pytest.raises(RuleViolation) as exc:
        services.assignment_decide(assignment=assignment, user=reviewer, confirm=True)

    assert exc.value.code == "assignment_not_a_tier"
    assignment.refresh_from_db()
    assert (assignment.status, assignment.decided_by_id, assignment.decided_at) == ("proposed", None, None)
    row = notice_row("VU2")
    assert (row.state, row.reason, row.person_id) == (State.UNMATCHED, "person_unknown", None)
    assert entries_of("VU2") == 0
    py = person_year(insured)
    assert (py.own_amount, py.own_arrived_on) == (Decimal("0.00"), None)
    assert NoticeBatch.objects.get().unmatched_count == 1


def test_assignment_to_a_person_whose_own_contribution_arrived_is_refused(tax_client, insured, clerk, reviewer):
    """002 二: one own contribution a year; the assigned person already paid theirs."""
    process(tax_client, [notice(insured, voucher="V1"), notice(stranger(insured.village), voucher="VU1")])
    assignment = services.assignment_propose(notice=notice_row("VU1"), person=insured, receivable=None, user=clerk)

    with pytest.raises(RuleViolation) as exc:
        services.assignment_decide(assignment=assignment, user=reviewer, confirm=True)

    assert exc.value.code == "assignment_own_already_paid"
    assignment.refresh_from_db()
    assert assignment.status == "proposed"
    assert notice_row("VU1").state == State.UNMATCHED
    assert balance(insured) == Decimal("560.00")


def test_assignment_to_a_closed_person_is_refused(waiting, insured, clerk, reviewer):
    closed = InsuredPersonFactory(village=insured.village, status=InsuredPerson.Status.CLOSED)
    assignment = services.assignment_propose(notice=waiting, person=closed, receivable=None, user=clerk)

    with pytest.raises(RuleViolation) as exc:
        services.assignment_decide(assignment=assignment, user=reviewer, confirm=True)

    assert exc.value.code == "assignment_person_closed"
    assignment.refresh_from_db()
    assert assignment.status == "proposed"
    assert ledger(closed) == []


def test_sponsorship_without_its_number_is_assigned_to_its_receivable(tax_client, insured, clerk, reviewer):
    """Tax left out the receivable number: the clerk names it, the reviewer confirms, and the
    receivable is paid with no subsidy (rule 5, 000 二)."""
    receivable = support_receivable(insured)
    process(
        tax_client,
        [notice(insured, voucher="VS1", kind="sponsorship", amount="1000.00", payer_name="资助人")],
    )
    assert notice_row("VS1").reason == ArrivalNotice.Reason.RECEIVABLE_REQUIRED
    assignment = services.assignment_propose(
        notice=notice_row("VS1"), person=insured, receivable=receivable, user=clerk
    )

    services.assignment_decide(assignment=assignment, user=reviewer, confirm=True)

    row = notice_row("VS1")
    assert (row.state, row.receivable_id) == (State.CREDITED, receivable.pk)
    receivable.refresh_from_db()
    assert receivable.status == Receivable.Status.PAID
    assert AccountEntry.objects.filter(source_key__startswith="notice:VS1:").count() == 1
    py = person_year(insured)
    assert (py.support_reserved, py.support_credited) == (Decimal("0.00"), Decimal("1000.00"))


def test_proposing_another_persons_receivable_is_refused(tax_client, insured, clerk):
    receivable = support_receivable(insured)
    other = InsuredPersonFactory(village=insured.village)
    process(tax_client, [notice(other, voucher="VS1", kind="sponsorship", amount="1000.00")])

    with pytest.raises(RuleViolation) as exc:
        services.assignment_propose(notice=notice_row("VS1"), person=other, receivable=receivable, user=clerk)

    assert exc.value.code == "receivable_other_person"
    assert ManualAssignment.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_confirming_at_once_post_the_notice_once(tax_client, insured, policy):
    clerk = make_user("clerk", policy.region, username="clerk")
    reviewers = [make_user("reviewer", policy.region, username=f"reviewer{i}") for i in range(2)]
    process(tax_client, [notice(stranger(insured.village), voucher="VU1")])
    assignment = services.assignment_propose(notice=notice_row("VU1"), person=insured, receivable=None, user=clerk)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def confirm(user) -> None:
        try:
            start.wait()
            services.assignment_decide(
                assignment=ManualAssignment.objects.get(pk=assignment.pk), user=user, confirm=True
            )
            outcomes.append("ok")
        except RuleViolation as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(u,)) for u in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert sorted(outcomes) == ["assignment_decided", "ok"]
    assert ledger(insured) == [("government_subsidy", Decimal("60.00")), ("own", Decimal("500.00"))]
    assert person_year(insured).own_amount == Decimal("500.00")
    assert notice_row("VU1").state == State.CREDITED
    stored = NoticeBatch.objects.get()
    assert (stored.credited_count, stored.unmatched_count) == (1, 0)
