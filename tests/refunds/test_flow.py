"""The refund flow end to end (notice 002 附件2): the township takes and signs, sends it by the
25th, the county approves, finance requests the money and records the bank's result; the ledger
and the unmatched queue change only when the payment is recorded."""

import datetime as dt
from decimal import Decimal

import pytest

from insured.models import AccountEntry, PersonYear
from insured.rules import RuleViolation
from payments import ledger_check
from payments.models import ArrivalNotice
from refunds import services
from refunds.models import RefundApplication, RefundLine
from tests.refunds.conftest import TODAY, advance, duplicate_notice, support_credit, take

pytestmark = pytest.mark.django_db
D = Decimal


def _problems():
    return list(ledger_check.ledger_problems(ledger_check.Scope(None, None)))


def test_employee_pension_refund_returns_own_and_collective_and_sends_the_subsidy_back(person, staff):
    """人社部发〔2014〕17号 六: the overlap's own contribution and collective subsidy go back to the
    person; the government subsidy goes back to the fund."""
    support_credit(person, "1000.00")
    collective = person.entries.get(kind="collective")
    application = take(
        person, staff, entries=[*person.entries.filter(kind="own").values_list("pk", flat=True), collective.pk]
    )
    assert (application.payee_amount, application.fund_amount) == (D("1500.00"), D("60.00"))
    assert application.status == RefundApplication.Status.RECEIVED
    assert PersonYear.objects.get(person=person, year=2026).own_amount == D("500.00")  # nothing moves yet

    paid = advance(application, staff, "paid")

    assert paid.status == RefundApplication.Status.PAID
    refunds = sorted(AccountEntry.objects.filter(kind="refund").values_list("source_key", "amount"))
    own = person.entries.get(kind="own")
    subsidy = person.entries.get(kind="government_subsidy")
    assert refunds == sorted(
        [
            (f"refund:{paid.number}:{own.pk}", D("-500.00")),
            (f"refund:{paid.number}:{subsidy.pk}:fund", D("-60.00")),
            (f"refund:{paid.number}:{collective.pk}", D("-1000.00")),
        ]
    )
    assert {e.reverses_id for e in AccountEntry.objects.filter(kind="refund")} == {own.pk, subsidy.pk, collective.pk}
    py = PersonYear.objects.get(person=person, year=2026)
    # The whole year's own contribution is refunded: rule 2 fails again for that year.
    assert (py.own_amount, py.own_arrived_on, py.support_credited) == (D("0.00"), None, D("0.00"))
    assert sum(person.entries.values_list("amount", flat=True)) == D("0.00")
    assert _problems() == []


def test_duplicate_payment_waiting_in_the_queue_is_refunded_without_touching_the_account(person, staff):
    notice = duplicate_notice(person)
    assert (notice.state, notice.reason) == ("unmatched", "own_already_paid")
    before = list(person.entries.values_list("pk", "amount"))

    application = take(person, staff, "duplicate", entries=[], notices=[notice.pk])
    assert (application.payee_amount, application.fund_amount) == (D("500.00"), D("0.00"))
    advance(application, staff, "paid")

    notice.refresh_from_db()
    assert notice.state == ArrivalNotice.State.REFUNDED
    assert notice.refund_ref == application.number and notice.refunded_at is not None
    assert list(person.entries.values_list("pk", "amount")) == before
    assert PersonYear.objects.get(person=person, year=2026).own_amount == D("500.00")
    assert _problems() == []


def test_failed_bank_payment_returns_the_application_and_leaves_the_ledger_alone(person, staff):
    application = advance(take(person, staff), staff, "requested")
    entries_before = AccountEntry.objects.count()

    failed = services.application_record_failure(application, user=staff["finance"], reason="账号与户名不符")

    assert failed.status == RefundApplication.Status.PAYMENT_FAILED
    assert failed.failure_reason == "账号与户名不符"
    assert AccountEntry.objects.count() == entries_before
    assert PersonYear.objects.get(person=person, year=2026).own_amount == D("500.00")
    # The money stays reserved for the corrected application.
    assert RefundLine.objects.filter(application=failed, is_live=True).count() == 2


def test_corrected_after_a_failed_payment_goes_round_again_and_pays_in_a_later_request(person, staff):
    application = advance(take(person, staff), staff, "requested")
    services.application_record_failure(application, user=staff["finance"], reason="账户已销户")
    from tests.refunds.conftest import applicant_of

    corrected = services.application_correct(
        application, user=staff["town"], applicant=applicant_of(person, bank_name="中国邮政储蓄银行演示县支行")
    )
    assert corrected.status == RefundApplication.Status.RECEIVED
    assert corrected.request is None and corrected.batch_month is None
    # The officer who corrected it cannot sign its first review again.
    with pytest.raises(RuleViolation) as exc:
        services.application_first_review(corrected, user=staff["town"])
    assert exc.value.code == "same_person"
    services.application_first_review(corrected, user=staff["town_b"])
    services.applications_hand_over(
        user=staff["town_b"], region=staff["town_b"].staff.region, today=dt.date(2026, 12, 10)
    )
    services.application_approve(corrected, user=staff["reviewer"])
    request = services.request_create(
        region=staff["finance"].staff.region,
        month=dt.date(2026, 12, 1),
        user=staff["finance"],
        today=dt.date(2027, 1, 4),
    )
    corrected.refresh_from_db()
    assert corrected.request == request
    services.application_record_payment(
        corrected, user=staff["finance"], paid_on=dt.date(2027, 1, 5), bank_reference="R2", today=dt.date(2027, 1, 5)
    )
    assert AccountEntry.objects.filter(kind="refund").count() == 2
    assert _problems() == []


def test_withdrawing_frees_the_money_for_another_application(person, staff):
    first = take(person, staff)
    services.application_withdraw(first, user=staff["town"])
    assert not RefundLine.objects.filter(application=first, is_live=True).exists()

    second = take(person, staff)
    assert second.status == RefundApplication.Status.RECEIVED


def test_steps_show_who_did_what_in_order(person, staff):
    application = advance(take(person, staff), staff, "approved")
    from refunds.selectors import application_steps

    steps = application_steps(application)
    assert [s.who for s in steps] == ["陈海燕", "周敏", "周敏", "王建国"]
    assert steps[2].note == "joins the request of 2026-11" or "2026-11" in steps[2].note
    assert TODAY.month == 11
