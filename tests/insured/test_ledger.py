"""The personal account is append-only, enforced by the database itself; money reaches it only
through insured.ledger (here by a notice pushed and credited, the production path)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from insured import ledger, selectors
from insured.models import AccountEntry, PersonYear
from tests.accounts import credit
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def _post_own(person, key="t1", amount="500.00", year=2026):
    """True when the payment was credited; False when the same voucher line had been credited before."""
    return credit(person, amount=amount, year=year, voucher=f"V{key}").state == "credited"


def test_own_contribution_posts_entry_and_tier_subsidy(person):
    assert _post_own(person) is True
    kinds = dict(AccountEntry.objects.filter(person=person).values_list("kind", "amount"))
    assert kinds == {"own": Decimal("500.00"), "government_subsidy": Decimal("60.00")}
    person_year = PersonYear.objects.get(person=person, year=2026)
    assert person_year.own_amount == Decimal("500.00")
    assert person_year.own_arrived_on is not None
    assert selectors.account_balance(person) == Decimal("560.00")


def test_same_source_posts_once(person):
    assert _post_own(person) is True
    assert _post_own(person) is False
    assert AccountEntry.objects.filter(person=person).count() == 2


def test_source_key_is_unique_in_the_database(person):
    _post_own(person)
    taken = AccountEntry.objects.get(person=person, kind="own").source_key
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountEntry.objects.create(
            person=person, year=2026, kind="own", amount=Decimal("1.00"), source_type="test", source_key=taken
        )


def test_database_refuses_update(person):
    _post_own(person)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccountEntry.objects.filter(person=person).update(amount=Decimal("9999.00"))
    assert AccountEntry.objects.get(kind="own").amount == Decimal("500.00")


def test_database_refuses_delete(person):
    _post_own(person)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccountEntry.objects.filter(person=person).delete()
    assert AccountEntry.objects.filter(person=person).count() == 2


def test_database_refuses_raw_sql_update(person):
    _post_own(person)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE insured_accountentry SET amount = 0.01")


def test_zero_amount_is_refused_by_the_database(person):
    with pytest.raises(IntegrityError), transaction.atomic():
        AccountEntry.objects.create(
            person=person, year=2026, kind="own", amount=Decimal("0"), source_type="test", source_key="zero"
        )


def test_balance_by_year(person):
    _post_own(person, key="a", year=2026)
    # A second posting of the same year, straight through the ledger's door (the engine would
    # refuse a second own contribution; the balance is a plain sum either way).
    ledger.person_years_lock({(person.pk, 2026)})
    ledger.ledger_post(
        [
            ledger.EntryRow(person.pk, 2026, "own", Decimal("200.00"), "test", "b"),
            ledger.EntryRow(person.pk, 2026, "government_subsidy", Decimal("35.00"), "test", "b:subsidy"),
        ],
        {(person.pk, 2026): ledger.YearDelta(own=Decimal("200.00"), own_arrived_on=dt.date(2026, 4, 1))},
    )
    years = selectors.account_by_year(person)
    assert [(y.year, y.total) for y in years] == [(2026, Decimal("795.00"))]


def test_government_paid_contribution(person):
    MembershipFactory(person=person)  # rule 10: the government pays for members of its groups
    assert credit(person, kind="government_paid", amount="100.00", voucher="GP1").state == "credited"
    assert PersonYear.objects.get(person=person, year=2026).gov_paid_amount == Decimal("100.00")
    assert credit(person, kind="government_paid", amount="100.00", voucher="GP1").state == "duplicate"
