"""Refunds in the ledger, the crediting engine, the unmatched queue, the ledger check and the
reconciliation (issue 10 item 5)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from insured import ledger, ledger_audit
from insured.models import AccountEntry, PersonYear, Region
from insured.rules import RuleViolation
from payments import ledger_check, reconciliation
from payments import services as payment_services
from payments.models import ArrivalNotice, ManualAssignment
from payments.reconciliation import Figure
from tests.payments.conftest import notice as notice_body
from tests.payments.helpers import process
from tests.refunds.conftest import TODAY, advance, duplicate_notice, support_credit, take

pytestmark = pytest.mark.django_db
D = Decimal


def _problems():
    return list(ledger_check.ledger_problems(ledger_check.Scope(None, None)))


def _reverse(person, voucher):
    original = ArrivalNotice.objects.get(voucher_no=voucher)
    body = notice_body(person, voucher=f"R-{voucher}", reverses={"voucher_no": voucher, "line_no": 1})
    process(original.batch.client, [body], batch_id=f"RB-{voucher}")
    return ArrivalNotice.objects.get(voucher_no=f"R-{voucher}")


def test_tax_reversal_of_a_refunded_payment_waits_in_the_queue(person, staff):
    advance(take(person, staff), staff, "paid")

    reversal = _reverse(person, f"OWN{person.pk}")

    assert (reversal.state, reversal.reason) == ("unmatched", "refunded")
    assert not AccountEntry.objects.filter(kind="reversal").exists()
    assert _problems() == []


def test_tax_reversal_of_a_payment_being_refunded_waits_as_refund_pending(person, staff):
    take(person, staff)

    reversal = _reverse(person, f"OWN{person.pk}")

    assert (reversal.state, reversal.reason) == ("unmatched", "refund_pending")
    assert PersonYear.objects.get(person=person, year=2026).own_amount == D("500.00")


def test_a_withdrawn_refund_no_longer_holds_the_payment(person, staff):
    from refunds import services

    services.application_withdraw(take(person, staff), user=staff["town"])

    reversal = _reverse(person, f"OWN{person.pk}")

    assert reversal.state == "credited"
    assert PersonYear.objects.get(person=person, year=2026).own_amount == D("0.00")


def test_tax_reversal_of_a_payment_refunded_from_the_queue_waits(person, staff):
    notice = duplicate_notice(person)
    advance(take(person, staff, "duplicate", entries=[], notices=[notice.pk]), staff, "paid")

    reversal = _reverse(person, notice.voucher_no)

    assert (reversal.state, reversal.reason) == ("unmatched", "refunded")


def test_a_waiting_payment_on_a_refund_cannot_be_assigned(person, staff):
    notice = duplicate_notice(person)
    application = take(person, staff, "duplicate", entries=[], notices=[notice.pk])

    with pytest.raises(RuleViolation) as exc:
        payment_services.assignment_propose(notice=notice, person=person, receivable=None, user=staff["clerk"])

    assert exc.value.code == "notice_held_for_refund" and application.number in exc.value.message
    assert not ManualAssignment.objects.exists()


def test_the_queue_page_says_which_refund_holds_a_payment(client, person, staff):
    notice = duplicate_notice(person)
    application = take(person, staff, "duplicate", entries=[], notices=[notice.pk])
    client.force_login(staff["clerk"])

    page = client.get("/payments/queue/").content.decode()

    assert application.number in page


def test_ledger_check_flags_a_refund_that_does_not_take_out_its_entry(person, staff):
    own = person.entries.get(kind="own")
    ledger.ledger_post(
        [ledger.EntryRow(person.pk, 2026, "refund", D("-400.00"), ledger.REFUND, "refund:X:1", reverses_id=own.pk)],
        {(person.pk, 2026): ledger.YearDelta(own=D("-400.00"))},
    )
    problems = list(ledger_audit.ledger_problems(None, None))
    assert any("does not take out its entry" in p for p in problems), problems


def test_ledger_check_flags_a_refund_entry_naming_nothing(person):
    ledger.ledger_post([ledger.EntryRow(person.pk, 2026, "refund", D("-10.00"), ledger.REFUND, "refund:Y:1")], {})
    assert any("names no entry" in p for p in ledger_audit.ledger_problems(None, None))


def test_cached_figures_count_a_refund_as_the_kind_it_takes_out(person, staff):
    support_credit(person, "1000.00")
    collective = person.entries.get(kind="collective")
    advance(take(person, staff, "employee_pension", entries=[collective.pk]), staff, "paid")

    py = PersonYear.objects.get(person=person, year=2026)
    assert (py.own_amount, py.support_credited) == (D("500.00"), D("0.00"))
    assert list(ledger_audit.ledger_problems(None, None)) == []


def test_reconciliation_shows_refunds_per_township(person, staff, tree):
    from refunds import services

    notice = duplicate_notice(person)
    first = take(person, staff)
    second = take(person, staff, "duplicate", entries=[], notices=[notice.pk])
    for application in (first, second):
        services.application_first_review(application, user=staff["town_b"])
    services.applications_hand_over(user=staff["town_b"], region=tree["township1"], today=TODAY)
    for application in (first, second):
        services.application_approve(application, user=staff["reviewer"])
    services.request_create(
        region=tree["county"], month=dt.date(2026, 11, 1), user=staff["finance"], today=dt.date(2026, 12, 2)
    )
    for application in (first, second):
        application.refresh_from_db()
        services.application_record_payment(
            application,
            user=staff["finance"],
            paid_on=dt.date(2026, 12, 3),
            bank_reference="B",
            today=dt.date(2026, 12, 3),
        )
    county = Region.objects.get(pk=tree["county"].pk)

    result = reconciliation.reconcile(county, dt.date(2026, 1, 1), timezone.localdate())

    township, total = result.refunds
    assert township.township_code == tree["township1"].code
    assert township.to_payee == Figure(1, D("500.00"))
    assert township.to_fund == Figure(1, D("60.00"))
    assert township.from_queue == Figure(1, D("500.00"))
    assert total.paid_out == Figure(2, D("1000.00"))
    # The duplicate was paid to tax and refunded from the queue: tax = ledger + returned.
    own = next(r for r in result.rows if r.kind == "own")
    assert own.tax == Figure(2, D("1000.00"))
    assert own.ledger + own.returned == own.tax
    assert not own.differs
    assert not result.has_differences


def test_reconciliation_of_a_month_without_refunds_shows_none(person, tree):
    county = Region.objects.get(pk=tree["county"].pk)
    assert reconciliation.reconcile(county, dt.date(2026, 3, 1), dt.date(2026, 3, 31)).refunds == []


def test_reconciliation_page_and_exports_show_the_refunds(client, person, staff):
    advance(take(person, staff), staff, "paid")
    client.force_login(staff["auditor"])
    query = {"period": "month", "date": f"{timezone.localdate():%Y-%m}-01"}

    page = client.get("/reconciliation/", query)
    assert page.status_code == 200
    assert page.context["result"].refunds
    csv_text = client.get("/reconciliation/export.csv", query).content.decode("utf-8-sig")
    assert "500.00" in csv_text and "60.00" in csv_text
