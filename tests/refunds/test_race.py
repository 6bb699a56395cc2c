"""Refunds under concurrency, on PostgreSQL with real transactions: the same money is refunded
once however many officers take it at the same moment, a waiting payment is either refunded or
assigned, never both, and a month's money is requested once."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insured.models import AccountEntry
from insured.rules import RuleViolation
from payments import ledger_check
from payments import services as payment_services
from payments.models import ArrivalNotice, ManualAssignment
from refunds import services
from refunds.models import RefundApplication, RefundLine, RefundRequest
from tests.factories import make_user
from tests.refunds.conftest import advance, copies, duplicate_notice, refund_input, take

THREADS = 8


def _race(n: int, action: Callable[[int], object]) -> list[str]:
    start = threading.Barrier(n)
    outcomes: list[str] = []

    def run(i: int) -> None:
        try:
            start.wait()
            action(i)
            outcomes.append("ok")
        except RuleViolation as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # a deadlock or an IntegrityError would show here
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_officers_taking_the_same_money_at_once_refund_it_once(person, staff, tree):
    officers = [make_user("township_office", tree["township1"], username=f"t{i}") for i in range(THREADS)]
    data = refund_input(person)

    outcomes = _race(
        THREADS,
        lambda i: services.application_receive(data, copies={}, user=officers[i], agency_region=tree["township1"]),
    )

    assert sorted(outcomes) == ["ok"] + ["refund_entry_reserved"] * (THREADS - 1), outcomes
    assert RefundApplication.objects.count() == 1
    assert RefundLine.objects.filter(is_live=True).count() == 2


@pytest.mark.django_db(transaction=True)
def test_officers_taking_the_same_waiting_payment_at_once_refund_it_once(person, staff, tree):
    notice = duplicate_notice(person)
    officers = [make_user("township_office", tree["township1"], username=f"t{i}") for i in range(THREADS)]
    data = refund_input(person, "duplicate", entries=[], notices=[notice.pk])

    outcomes = _race(
        THREADS,
        lambda i: services.application_receive(data, copies={}, user=officers[i], agency_region=tree["township1"]),
    )

    assert outcomes.count("ok") == 1 and set(outcomes) == {"ok", "refund_entry_reserved"}, outcomes
    assert RefundLine.objects.filter(notice=notice, is_live=True).count() == 1


@pytest.mark.django_db(transaction=True)
def test_refund_intake_and_manual_assignment_of_one_waiting_payment_never_both(person, staff, tree):
    notice = duplicate_notice(person)
    clerk, reviewer = staff["clerk"], staff["reviewer"]
    # The first own contribution was reversed, so the duplicate could be assigned to the account.
    assignment = ManualAssignment.objects.create(notice=notice, person=person, proposed_by=clerk)
    data = refund_input(person, "duplicate", entries=[], notices=[notice.pk])

    def act(i: int) -> None:
        if i == 0:
            services.application_receive(data, copies={}, user=staff["town"], agency_region=tree["township1"])
        else:
            payment_services.assignment_decide(assignment=assignment, user=reviewer, confirm=True)

    outcomes = _race(2, act)

    notice.refresh_from_db()
    refunded = RefundLine.objects.filter(notice=notice, is_live=True).exists()
    assert refunded != (notice.state == ArrivalNotice.State.CREDITED), (outcomes, notice.state)
    assert "ok" in outcomes


@pytest.mark.django_db(transaction=True)
def test_two_finance_officers_requesting_a_month_at_once_make_one_request(person, staff, tree):
    application = advance(take(person, staff), staff, "approved")
    finance2 = make_user("finance", tree["county"], username="fin2")
    users = [staff["finance"], finance2]

    outcomes = _race(
        2,
        lambda i: services.request_create(
            region=tree["county"], month=application.batch_month, user=users[i], today=dt.date(2026, 12, 2)
        ),
    )

    assert sorted(outcomes) == ["ok", "request_exists"], outcomes
    assert RefundRequest.objects.count() == 1
    application.refresh_from_db()
    assert application.status == "requested"


@pytest.mark.django_db(transaction=True)
def test_recording_a_payment_while_tax_reverses_it_leaves_one_of_the_two(person, staff):
    """The reversal 冲正 of an own contribution on a refund being paid waits in the queue (held),
    whichever commits first; the ledger check stays clean."""
    from tests.payments.conftest import notice as notice_body
    from tests.payments.helpers import process

    application = advance(take(person, staff), staff, "requested")
    original = ArrivalNotice.objects.get(voucher_no=f"OWN{person.pk}")
    client = original.batch.client

    def act(i: int) -> None:
        if i == 0:
            services.application_record_payment(
                application,
                user=staff["finance"],
                paid_on=dt.date(2026, 12, 3),
                bank_reference="B1",
                today=dt.date(2026, 12, 3),
            )
        else:
            body = notice_body(person, voucher="REV1", reverses={"voucher_no": original.voucher_no, "line_no": 1})
            process(client, [body], batch_id="REV")

    outcomes = _race(2, act)

    assert outcomes == ["ok", "ok"]
    reversal = ArrivalNotice.objects.get(voucher_no="REV1")
    assert (reversal.state, reversal.reason) in {("unmatched", "refund_pending"), ("unmatched", "refunded")}
    assert AccountEntry.objects.filter(kind="reversal").count() == 0
    assert AccountEntry.objects.filter(kind="refund").count() == 2
    assert list(ledger_check.ledger_problems(ledger_check.Scope(None, None))) == []


@pytest.mark.django_db
def test_intake_locks_the_chosen_entries_and_waiting_payments(person, staff, tree):
    notice = duplicate_notice(person)
    data = refund_input(person, "duplicate", notices=[notice.pk])
    with CaptureQueriesContext(connection) as queries:
        services.application_receive(data, copies=copies(), user=staff["town"], agency_region=tree["township1"])
    sql = [q["sql"] for q in queries.captured_queries]
    assert any("insured_accountentry" in s and "FOR NO KEY UPDATE" in s for s in sql)
    assert any("payments_arrivalnotice" in s and "FOR UPDATE" in s for s in sql)
