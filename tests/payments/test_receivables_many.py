"""payments.services.receivables_create_many: many receivables at once, numbered together, one live
receivable per source, with their history, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from payments import services
from payments.models import Receivable
from payments.services import ReceivableRequest
from tests.factories import InsuredPersonFactory, ReceivableFactory, first_village

pytestmark = pytest.mark.django_db


def _requests(persons, ref="R", amount="200.00") -> list[ReceivableRequest]:
    return [
        ReceivableRequest(
            person_id=p.pk,
            kind="collective",
            payer_name="南关村股份经济合作社",
            payer_id="N2211370MA0000007M",
            year=2026,
            amount=Decimal(amount),
            due_date=dt.date(2026, 12, 31),
            source_type="test.many",
            source_ref=f"{ref}{n}",
        )
        for n, p in enumerate(persons, start=1)
    ]


@pytest.fixture
def persons(policy):
    return [InsuredPersonFactory(village=first_village(policy.region)) for _ in range(30)]


def test_each_request_gets_a_receivable_in_order_with_consecutive_numbers(persons):
    made = services.receivables_create_many(_requests(persons))

    assert [r.person_id for r in made] == [p.pk for p in persons]
    numbers = [r.number for r in made]
    assert numbers == sorted(numbers) and len(set(numbers)) == 30
    sequences = [int(n[-5:]) for n in numbers]
    assert sequences == list(range(sequences[0], sequences[0] + 30))
    assert all(r.status == Receivable.Status.OPEN and r.kind == "collective" for r in made)
    assert Receivable.history.filter(source_type="test.many").count() == 30


def test_numbers_continue_after_the_days_highest(persons):
    single = services.receivable_create(
        person=persons[0],
        kind="own",
        payer_name="x",
        payer_id=persons[0].id_no,
        year=2026,
        amount=Decimal("1"),
        due_date=dt.date(2026, 12, 31),
        source_type="single",
        source_ref="1",
    )
    made = services.receivables_create_many(_requests(persons[:3]))
    assert [int(r.number[-5:]) for r in made] == [int(single.number[-5:]) + n for n in (1, 2, 3)]


def test_a_source_with_a_live_receivable_gets_it_back_unchanged(persons):
    first = services.receivables_create_many(_requests(persons[:2]))

    again = services.receivables_create_many(_requests(persons[:3], amount="999.00"))

    assert [r.pk for r in again[:2]] == [r.pk for r in first]
    assert again[0].amount == Decimal("200.00")
    assert Receivable.objects.filter(source_type="test.many").count() == 3


def test_the_query_count_does_not_grow_with_the_rows(persons):
    with CaptureQueriesContext(connection) as small:
        services.receivables_create_many(_requests(persons[:3], ref="A"))
    with CaptureQueriesContext(connection) as large:
        services.receivables_create_many(_requests(persons, ref="B"))
    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_number_taken_meanwhile_is_retried_with_the_next(persons, monkeypatch):
    taken = ReceivableFactory(number="YS2026120100001", person=persons[0])
    calls = []
    original = services._next_numbers

    def stale_once(count):
        calls.append(count)
        if len(calls) == 1:
            return [taken.number, *[f"YS20261201{n:05d}" for n in range(2, count + 1)]]
        return original(count)

    monkeypatch.setattr(services, "_next_numbers", stale_once)

    made = services.receivables_create_many(_requests(persons[:2]))

    assert len(calls) == 2
    assert taken.number not in [r.number for r in made]
    assert Receivable.objects.filter(source_type="test.many").count() == 2


def test_a_zero_amount_is_refused(persons):
    with pytest.raises(ValueError):
        services.receivables_create_many(_requests(persons[:1], amount="0.00"))
