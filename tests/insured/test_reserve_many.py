"""insured.ledger.support_reserve_many / support_release_many: many reservations against the cap
at once (rules 1 and 2), all or nothing, under person-year locks taken in key order."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from insured import ledger, plugins
from insured.ledger import Reservation, ReservationRefused
from insured.models import PersonYear
from subsidy.models import SponsorshipApplication
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, SponsorshipApplicationFactory, first_village


def _paid(policy, n: int) -> list:
    persons = [InsuredPersonFactory(village=first_village(policy.region)) for _ in range(n)]
    for person in persons:
        credit(person, year=2026, amount="500.00", paid_on=dt.date(2026, 3, 2))
    return persons


def _reserved(person) -> Decimal:
    return PersonYear.objects.get(person=person, year=2026).support_reserved


@pytest.mark.django_db
def test_every_row_is_reserved_at_once(policy):
    a, b = _paid(policy, 2)

    ledger.support_reserve_many([Reservation(a.pk, 2026, Decimal("300.00")), Reservation(b.pk, 2026, Decimal("1000"))])

    assert (_reserved(a), _reserved(b)) == (Decimal("300.00"), Decimal("1000.00"))


@pytest.mark.django_db
def test_rows_for_one_person_count_together_and_the_row_that_passes_the_cap_is_named(policy):
    (a,) = _paid(policy, 1)
    rows = [Reservation(a.pk, 2026, Decimal("3000"), "序号 1"), Reservation(a.pk, 2026, Decimal("2500"), "序号 2")]

    with pytest.raises(ReservationRefused) as exc:
        ledger.support_reserve_many(rows)

    assert exc.value.code == "cap_exceeded"  # rule 1: 3000 + 2500 > 5000
    assert (exc.value.index, exc.value.reservation.ref) == (1, "序号 2")
    assert _reserved(a) == Decimal("0.00")  # nothing of the set


@pytest.mark.django_db
def test_a_row_without_its_own_contribution_refuses_the_whole_set(policy):
    (paid,) = _paid(policy, 1)
    unpaid = InsuredPersonFactory(village=first_village(policy.region))

    with pytest.raises(ReservationRefused) as exc:
        ledger.support_reserve_many(
            [Reservation(paid.pk, 2026, Decimal("100")), Reservation(unpaid.pk, 2026, Decimal("100"))]
        )

    assert exc.value.code == "own_contribution_missing"  # rule 2
    assert exc.value.index == 1
    assert _reserved(paid) == Decimal("0.00")


@pytest.mark.django_db
def test_what_is_already_reserved_and_credited_counts(policy):
    (a,) = _paid(policy, 1)
    ledger.support_reserve_many([Reservation(a.pk, 2026, Decimal("4500"))])

    with pytest.raises(ReservationRefused):
        ledger.support_reserve_many([Reservation(a.pk, 2026, Decimal("500.01"))])
    ledger.support_reserve_many([Reservation(a.pk, 2026, Decimal("500.00"))])

    assert _reserved(a) == Decimal("5000.00")


@pytest.mark.django_db
def test_a_year_without_a_policy_is_refused(policy):
    (a,) = _paid(policy, 1)
    with pytest.raises(ReservationRefused) as exc:
        ledger.support_reserve_many([Reservation(a.pk, 2031, Decimal("10"))])
    assert exc.value.code == "policy_missing"


@pytest.mark.django_db
def test_release_gives_back_and_refuses_more_than_is_reserved(policy):
    a, b = _paid(policy, 2)
    ledger.support_reserve_many([Reservation(a.pk, 2026, Decimal("300")), Reservation(b.pk, 2026, Decimal("200"))])

    ledger.support_release_many([Reservation(a.pk, 2026, Decimal("100")), Reservation(a.pk, 2026, Decimal("200"))])
    with pytest.raises(ValueError):
        ledger.support_release_many([Reservation(b.pk, 2026, Decimal("200.01"))])

    assert (_reserved(a), _reserved(b)) == (Decimal("0.00"), Decimal("200.00"))


@pytest.mark.django_db
def test_the_person_years_are_locked_for_update(policy):
    a, b = _paid(policy, 2)
    with CaptureQueriesContext(connection) as ctx:
        ledger.support_reserve_many([Reservation(b.pk, 2026, Decimal("1")), Reservation(a.pk, 2026, Decimal("1"))])
    locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 1 and "insured_personyear" in locks[0] and "ORDER BY py.id" in locks[0]


@pytest.mark.django_db(transaction=True)
def test_overlapping_sets_reserved_at_once_in_opposite_orders_never_pass_the_cap_nor_deadlock(policy):
    persons = _paid(policy, 6)
    start = threading.Barrier(8)
    outcomes: list[str] = []

    def reserve(order: list) -> None:
        try:
            start.wait()
            ledger.support_reserve_many([Reservation(p.pk, 2026, Decimal("2000.00")) for p in order])
            outcomes.append("ok")
        except ReservationRefused as exc:
            outcomes.append(exc.code)
        except Exception as exc:  # a deadlock would show here
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    orders = [persons if n % 2 else list(reversed(persons)) for n in range(8)]
    threads = [threading.Thread(target=reserve, args=(order,)) for order in orders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcomes.count("ok") == 2, outcomes  # 2 × 2000 ≤ 5000 < 3 × 2000
    assert outcomes.count("cap_exceeded") == 6
    assert {_reserved(p) for p in persons} == {Decimal("4000.00")}


@pytest.mark.django_db
def test_pending_support_of_other_apps_is_summed(policy):
    a, b = _paid(policy, 2)
    SponsorshipApplicationFactory(beneficiary=a, amount=Decimal("300.00"))
    SponsorshipApplicationFactory(beneficiary=a, amount=Decimal("200.00"))
    SponsorshipApplicationFactory(beneficiary=b, amount=Decimal("50.00"), status=SponsorshipApplication.Status.APPROVED)

    pending = plugins.pending_support([a.pk, b.pk], 2026)

    assert pending == {a.pk: Decimal("500.00")}  # approved sponsorship is reserved, not pending
    assert plugins.pending_support([a.pk], 2026, except_app="subsidy") == {}
