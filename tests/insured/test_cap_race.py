"""Rule 1 under concurrency: 20 threads reserving for one person never pass the cap."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection

from insured import ledger
from insured.models import PersonYear
from insured.rules import RuleViolation
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, PolicyYearFactory, first_village


@pytest.mark.django_db(transaction=True)
def test_twenty_threads_reserving_at_once_never_pass_the_cap():
    policy = PolicyYearFactory()  # top tier 5000
    person = InsuredPersonFactory(village=first_village(policy.region))
    credit(person, year=2026, amount="500", paid_on=dt.date(2026, 3, 1))
    start = threading.Barrier(20)
    outcomes: list[str] = []

    def reserve() -> None:
        try:
            start.wait()
            ledger.support_reserve(person=person, year=2026, amount=Decimal("700.00"))
            outcomes.append("ok")
        except RuleViolation as exc:
            outcomes.append(exc.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    reserved = PersonYear.objects.get(person=person, year=2026).support_reserved
    assert outcomes.count("ok") == 7  # 7 × 700 = 4900 ≤ 5000 < 8 × 700
    assert outcomes.count("cap_exceeded") == 13
    assert reserved == Decimal("4900.00")


@pytest.mark.django_db
def test_reservation_locks_the_person_year_row(person, django_assert_num_queries):
    from django.test.utils import CaptureQueriesContext

    credit(person, year=2026, amount="500", paid_on=dt.date(2026, 3, 1))
    with CaptureQueriesContext(connection) as ctx:
        ledger.support_reserve(person=person, year=2026, amount=Decimal("10"))
    locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks and "insured_personyear" in locks[0]
