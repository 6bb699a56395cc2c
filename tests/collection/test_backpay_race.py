"""Back payment under concurrency, on PostgreSQL with real transactions: two township clerks
entering the same year at once leave one live application (the unique constraint settles what
the rule read before either wrote); two reviewers approving at once approve once, with one
receivable a year; approving while tax's batch credits a waiting payment credits it once."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from collection import backpay_services as services
from collection.backpay_models import BackPaymentApplication, BackPaymentYear
from insured.models import AccountEntry
from insured.rules import RuleViolation
from payments.models import ArrivalNotice, Receivable
from tests.accounts import credit
from tests.collection import backpay_fixtures
from tests.collection.backpay_fixtures import TODAY, approve, enter
from tests.factories import make_user

tree, person, staff = backpay_fixtures.tree, backpay_fixtures.person, backpay_fixtures.staff
D = Decimal
THREADS = 6


def _together(work, n: int = THREADS) -> list[str]:
    start = threading.Barrier(n)
    outcomes: list[str] = []

    def run(i: int) -> None:
        try:
            start.wait()
            work(i)
            outcomes.append("ok")
        except RuleViolation as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # a deadlock or a 5xx-to-be would show here
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
def test_clerks_entering_the_same_year_at_once_leave_one_application(person, staff, tree):
    clerks = [make_user("township_office", tree["township1"], username=f"t{i}") for i in range(THREADS)]
    data = services.BackPaymentInput(person, "basic", "interrupted", D("500.00"), [2025])

    outcomes = _together(
        lambda i: services.application_submit(data, user=clerks[i], agency_region=tree["township1"], today=TODAY)
    )
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} == {"back_payment_applied"}
    assert BackPaymentYear.objects.filter(person=person, year=2025, status__in=BackPaymentYear.LIVE).count() == 1
    assert BackPaymentApplication.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_reviewers_approving_at_once_approve_once(person, staff, tree):
    application = enter(person, staff, years=[2024, 2025])
    reviewers = [make_user("reviewer", tree["county"], username=f"r{i}") for i in range(THREADS)]

    outcomes = _together(
        lambda i: services.application_approve(
            application, user=reviewers[i], agency_region=tree["county"], today=TODAY
        )
    )
    assert outcomes.count("ok") == 1 and set(outcomes) - {"ok"} == {"wrong_state"}
    assert Receivable.objects.filter(source_type=services.SOURCE_TYPE).count() == 2


@pytest.mark.django_db(transaction=True)
def test_approval_locks_the_application_row(person, staff):
    application = enter(person, staff)
    with CaptureQueriesContext(connection) as queries:
        approve(application, staff)
    locking = [q["sql"] for q in queries if "FOR UPDATE" in q["sql"] and "backpaymentapplication" in q["sql"]]
    assert locking, "the application is read FOR UPDATE before its state changes"


@pytest.mark.django_db(transaction=True)
def test_approval_and_a_second_payment_of_the_year_credit_the_year_once(person, staff):
    credit(person, kind="own", year=2025, amount="500.00", paid_on=dt.date(2026, 4, 10))
    application = enter(person, staff, years=[2025])

    def work(i: int) -> None:
        if i == 0:
            approve(application, staff)
        else:
            credit(person, kind="own", year=2025, amount="500.00", paid_on=TODAY)

    outcomes = _together(work, n=2)
    assert outcomes == ["ok", "ok"]
    own_2025 = AccountEntry.objects.filter(person=person, year=2025, kind="own")
    assert own_2025.count() == 1 and own_2025.get().amount == D("500.00")
    assert ArrivalNotice.objects.filter(year=2025, state="credited", person=person).count() == 1
    assert ArrivalNotice.objects.filter(year=2025, state="unmatched", insured_id_no=person.id_no).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_batch_read_before_an_approval_is_tried_again_and_credits_once(person, staff, monkeypatch):
    """The approval commits after the batch read its receivables and before it locked the
    person-year: the batch is tried again (as the worker's retry does) and credits the payment
    against the new receivable, without subsidy."""
    import json

    from payments import intake, processing
    from payments import services as payment_services
    from tests.accounts import county_tax_client

    application = enter(person, staff, years=[2025])
    body = {
        "batch_id": "RACE-1",
        "sent_at": "2026-11-22T10:00:00+08:00",
        "count": 1,
        "total_amount": "500.00",
        "notices": [
            {
                "voucher_no": "RACEV",
                "line_no": 1,
                "kind": "own",
                "insured_id_number": person.id_no,
                "insured_name": person.name,
                "payer_name": person.name,
                "payer_id": person.id_no,
                "year": 2025,
                "amount": "500.00",
                "paid_at": "2026-11-22T09:00:00+08:00",
                "channel": "wechat",
                "receivable_no": None,
                "reverses": None,
                "tax_office_code": None,
                "agency_code": None,
            }
        ],
    }
    raw = json.dumps(body).encode()
    stored = payment_services.batch_store(
        client=county_tax_client(person), parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    )
    real_lock = processing.ledger.person_years_lock
    approved = []

    def approve_first(pairs):
        if not approved:  # another connection approves and commits between the two reads
            approved.append(True)
            thread = threading.Thread(target=lambda: (approve(application, staff), connection.close()))
            thread.start()
            thread.join()
        return real_lock(pairs)

    monkeypatch.setattr(processing.ledger, "person_years_lock", approve_first)
    with pytest.raises(processing.BackPaymentApprovedMeanwhile):
        processing.batch_process(stored.batch.pk)
    assert ArrivalNotice.objects.get(voucher_no="RACEV").state == "received"  # nothing of it stayed

    assert processing.batch_process(stored.batch.pk)  # the worker's retry
    notice = ArrivalNotice.objects.get(voucher_no="RACEV")
    assert notice.state == "credited" and notice.receivable.source_ref == f"{application.number}-2025"
    assert list(AccountEntry.objects.filter(person=person, year=2025).values_list("kind", "amount")) == [
        ("own", D("500.00"))
    ]
