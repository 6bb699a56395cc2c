"""Sponsorship under concurrency, on PostgreSQL with real transactions.

Rule 1 (000 二): reviewers approving different applications for one beneficiary at the same
moment never pass the year's cap together. And the steps that close or reserve meet tax's
crediting of the same receivable or person without a deadlock: locks are taken in the order
payments takes them (receivable, person-year, application)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insured import ledger
from insured.models import PersonYear
from insured.rules import RuleViolation
from payments import intake, processing
from payments import services as payment_services
from payments.models import ArrivalNotice, TaxClient
from subsidy import services
from subsidy.models import SponsorshipApplication
from tests.payments.conftest import SECRET, batch, notice
from tests.subsidy.conftest import TODAY

THREADS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_reviewers_approving_at_once_never_pass_the_cap(sponsorship_input, clerk, reviewer, county, beneficiary):
    # Submitting reserves nothing, so all twenty pass the window one by one.
    applications = [
        services.application_submit(
            sponsorship_input(amount=Decimal("300.00")), user=clerk, agency_region=county, today=TODAY
        )
        for _ in range(THREADS)
    ]
    start = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def approve(application: SponsorshipApplication) -> None:
        try:
            start.wait()
            services.application_approve(application, user=reviewer, agency_region=county, today=TODAY)
            outcomes.append("approved")
        except RuleViolation as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # a deadlock would show here
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(set(outcomes)) == ["approved", "cap_exceeded"], outcomes
    assert outcomes.count("approved") == 16  # 16 × 300 = 4800 ≤ 5000 < 17 × 300
    assert outcomes.count("cap_exceeded") == 4
    approved = SponsorshipApplication.objects.filter(status=SponsorshipApplication.Status.APPROVED)
    assert approved.count() == 16
    assert SponsorshipApplication.objects.filter(status=SponsorshipApplication.Status.SUBMITTED).count() == 4
    person_year = PersonYear.objects.get(person=beneficiary, year=2026)
    assert (
        person_year.support_reserved
        == sum(approved.values_list("amount", flat=True), Decimal("0"))
        == Decimal("4800.00")
    )
    assert person_year.support_used <= Decimal("5000.00")


@pytest.mark.django_db
def test_approval_locks_the_application_and_then_the_person_year(sponsorship_input, clerk, reviewer, county):
    application = services.application_submit(sponsorship_input(), user=clerk, agency_region=county, today=TODAY)

    with CaptureQueriesContext(connection) as ctx:
        services.application_approve(application, user=reviewer, agency_region=county, today=TODAY)

    locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) >= 2
    assert "subsidy_sponsorshipapplication" in locks[0]
    assert any("insured_personyear" in sql for sql in locks[1:])


def _withdraw(application: SponsorshipApplication, clerk) -> str:
    services.application_withdraw(application, user=clerk)
    return "closed"


def _void(application: SponsorshipApplication, clerk) -> str:
    return "closed" if services.applications_void_expired(today=dt.date(2027, 1, 1)) == 1 else "left"


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("close", "closes_receivable", "closed_status", "when_paid_first"),
    [
        (_withdraw, "receivable_cancel", SponsorshipApplication.Status.WITHDRAWN, "credited_no_refund"),
        (_void, "receivable_void", SponsorshipApplication.Status.VOIDED, "left"),
    ],
    ids=["withdraw", "void"],
)
def test_closing_while_the_payment_is_credited_ends_cleanly_one_way_or_the_other(
    sponsorship_input,
    clerk,
    reviewer,
    county,
    beneficiary,
    monkeypatch,
    close,
    closes_receivable,
    closed_status,
    when_paid_first,
):
    """The application is withdrawn (or voided) while tax's payment for its receivable is being
    credited: one of them wins and the other is refused or queued; neither dies on a deadlock."""
    application = services.application_submit(sponsorship_input(), user=clerk, agency_region=county, today=TODAY)
    application = services.application_approve(application, user=reviewer, agency_region=county, today=TODAY)
    application = services.application_record_signatures(application, user=clerk, today=TODAY)
    tax = TaxClient.objects.create(client_id="tax-test", name="税务", secret=SECRET, region=county)
    payment = notice(
        beneficiary, voucher="ZZ1", kind="sponsorship", amount="1000.00", receivable_no=application.receivable.number
    )
    # batch_store only stores (tasks.batch_dispatch would queue it): processed below, in its own thread.
    raw = json.dumps(batch([payment]), ensure_ascii=False).encode()
    stored = payment_services.batch_store(
        client=tax, parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    ).batch

    # The closing step pauses just before it closes the receivable, holding whatever it has
    # locked by then, while the batch takes the receivable's lock and goes on to credit.
    holding, resume = threading.Event(), threading.Event()
    original = getattr(payment_services, closes_receivable)

    def paused(receivable):
        holding.set()
        resume.wait(10)
        return original(receivable)

    monkeypatch.setattr(payment_services, closes_receivable, paused)
    outcomes: dict[str, str] = {}

    def closing() -> None:
        try:
            outcomes["close"] = close(application, clerk)
        except RuleViolation as exc:
            outcomes["close"] = exc.code
        except Exception as exc:
            outcomes["close"] = f"{type(exc).__name__}: {exc}"
        finally:
            holding.set()
            connection.close()

    def crediting() -> None:
        try:
            holding.wait(10)
            processing.batch_process(stored.pk)
            outcomes["batch"] = "processed"
        except Exception as exc:
            outcomes["batch"] = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=closing), threading.Thread(target=crediting)]
    for thread in threads:
        thread.start()
    holding.wait(10)
    time.sleep(1.0)  # the batch is now waiting on a lock, or has finished
    resume.set()
    for thread in threads:
        thread.join(30)

    application.refresh_from_db()
    paid = ArrivalNotice.objects.get(voucher_no="ZZ1")
    assert outcomes.get("batch") == "processed", outcomes
    assert outcomes.get("close") in ("closed", when_paid_first), outcomes
    if outcomes["close"] == "closed":
        assert application.status == closed_status
        assert (paid.state, paid.reason) == (ArrivalNotice.State.UNMATCHED, ArrivalNotice.Reason.RECEIVABLE_CLOSED)
    else:
        assert application.status == SponsorshipApplication.Status.CREDITED
        assert paid.state == ArrivalNotice.State.CREDITED


@pytest.mark.django_db(transaction=True)
def test_approving_while_a_payment_for_the_same_beneficiary_is_credited_ends_cleanly(
    sponsorship_input, clerk, reviewer, county, beneficiary, monkeypatch
):
    """A reviewer approves one application while tax's payment for another of the same
    beneficiary is credited: both take the person-year lock; both must finish."""
    paid = services.application_submit(sponsorship_input(), user=clerk, agency_region=county, today=TODAY)
    paid = services.application_approve(paid, user=reviewer, agency_region=county, today=TODAY)
    paid = services.application_record_signatures(paid, user=clerk, today=TODAY)
    waiting = services.application_submit(
        sponsorship_input(amount=Decimal("500.00")), user=clerk, agency_region=county, today=TODAY
    )
    tax = TaxClient.objects.create(client_id="tax-test", name="税务", secret=SECRET, region=county)
    payment = notice(
        beneficiary, voucher="ZZ1", kind="sponsorship", amount="1000.00", receivable_no=paid.receivable.number
    )
    raw = json.dumps(batch([payment]), ensure_ascii=False).encode()
    stored = payment_services.batch_store(
        client=tax, parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    ).batch

    # The approval pauses with its application locked, just before it reserves under the
    # person-year lock, while the batch credits the other application.
    holding, resume = threading.Event(), threading.Event()
    reserve = ledger.support_reserve

    def paused_reserve(**kwargs):
        holding.set()
        resume.wait(10)
        return reserve(**kwargs)

    monkeypatch.setattr(ledger, "support_reserve", paused_reserve)
    outcomes: dict[str, str] = {}

    def approving() -> None:
        try:
            services.application_approve(waiting, user=reviewer, agency_region=county, today=TODAY)
            outcomes["approve"] = "approved"
        except Exception as exc:
            outcomes["approve"] = f"{type(exc).__name__}: {exc}"
        finally:
            holding.set()
            connection.close()

    def crediting() -> None:
        try:
            holding.wait(10)
            processing.batch_process(stored.pk)
            outcomes["batch"] = "processed"
        except Exception as exc:
            outcomes["batch"] = f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=approving), threading.Thread(target=crediting)]
    for thread in threads:
        thread.start()
    holding.wait(10)
    time.sleep(1.0)
    resume.set()
    for thread in threads:
        thread.join(30)

    assert outcomes == {"approve": "approved", "batch": "processed"}, outcomes
    paid.refresh_from_db()
    waiting.refresh_from_db()
    assert (paid.status, waiting.status) == (
        SponsorshipApplication.Status.CREDITED,
        SponsorshipApplication.Status.APPROVED,
    )
    person_year = PersonYear.objects.get(person=beneficiary, year=2026)
    assert (person_year.support_reserved, person_year.support_credited) == (Decimal("500.00"), Decimal("1000.00"))
