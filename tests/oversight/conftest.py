"""A small county whose progress is known by hand (the figures the tests expect are worked out in
the docstring of `world`), paid through the production path (tests.accounts.credit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from insured.models import InsuredPerson, Region, SpecialGroup
from oversight.services.progress import progress_refresh_region
from payments import services
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, MembershipFactory, PolicyYearFactory, region_tree

AS_OF = dt.date(2026, 3, 31)


@dataclass
class World:
    tree: dict[str, Region]
    persons: dict[str, InsuredPerson]

    @property
    def county(self) -> Region:
        return self.tree["county"]


def paid_with_receivable(person: InsuredPerson, kind: str, amount: str, paid_on: dt.date, year: int = 2026) -> None:
    receivable = services.receivable_create(
        person=person,
        kind=kind,
        payer_name=person.name,
        payer_id=person.id_no,
        year=year,
        amount=Decimal(amount),
        due_date=dt.date(2026, 12, 31),
        source_type="test",
        source_ref=f"{kind}-{person.pk}-{year}",
    )
    credit(person, kind=kind, amount=amount, year=year, paid_on=paid_on, receivable_no=receivable.number)


def build_world() -> World:
    """Township 1: village 11 has A (own 500 on 3/2; last year on 2025-03-05), B (own 300 on 3/10;
    last year on 2025-04-10, after the same date), C (never pays), D (低保, government-paid on 3/1
    both years); village 12 has E (own 1000 on 4/2, after the day shown) and F (receiving benefits:
    not liable). Township 2: village 21 has G (own 200 on 1/15, collective subsidy 200 on 3/20) and
    H (own 300 on 2/1, sponsorship 1000 on 3/21, a back payment of 500 for 2025 on 3/25); village 22
    has I (低保, not paid for).

    As of 2026-03-31: liable 8 (all but F), paid 5 (A, B, D, G, H) = 62.5 %; members 2 (D, I),
    covered 1 = 50.0 %; own 4 / 1,300.00; government-paid 1 / 100.00; collective 200, sponsorship
    1,000, back payment 500; 3,100.00 in all. Last year as of 2025-03-31: liable 8, paid 2 (A, D) =
    25.0 %. Township 1: 5 liable, 3 paid (60.0 %), last year 2 (40.0 %); township 2: 3 liable, 2 paid
    (66.7 %), last year 0 (0.0 %)."""
    tree = region_tree()
    for year in (2025, 2026):
        PolicyYearFactory(region=tree["county"], year=year, gov_paid_groups=list(SpecialGroup.values))
    specs = {
        "A": "village11",
        "B": "village11",
        "C": "village11",
        "D": "village11",
        "E": "village12",
        "F": "village12",
        "G": "village21",
        "H": "village21",
        "I": "village22",
    }
    persons = {key: InsuredPersonFactory(village=tree[v], name=f"居民{key}") for key, v in specs.items()}
    InsuredPerson.objects.filter(pk=persons["F"].pk).update(status=InsuredPerson.Status.RECEIVING)
    for key in ("D", "I"):
        MembershipFactory(person=persons[key], group=SpecialGroup.DIBAO_RECIPIENT, valid_from=dt.date(2020, 1, 1))
    p = persons
    credit(p["A"], amount="500.00", paid_on=dt.date(2026, 3, 2))
    credit(p["A"], amount="500.00", year=2025, paid_on=dt.date(2025, 3, 5))
    credit(p["B"], amount="300.00", paid_on=dt.date(2026, 3, 10))
    credit(p["B"], amount="300.00", year=2025, paid_on=dt.date(2025, 4, 10))
    credit(p["D"], kind="government_paid", amount="100.00", paid_on=dt.date(2026, 3, 1))
    credit(p["D"], kind="government_paid", amount="100.00", year=2025, paid_on=dt.date(2025, 3, 1))
    credit(p["E"], amount="1000.00", paid_on=dt.date(2026, 4, 2))
    credit(p["G"], amount="200.00", paid_on=dt.date(2026, 1, 15))
    paid_with_receivable(p["G"], "collective", "200.00", dt.date(2026, 3, 20))
    credit(p["H"], amount="300.00", paid_on=dt.date(2026, 2, 1))
    paid_with_receivable(p["H"], "sponsorship", "1000.00", dt.date(2026, 3, 21))
    paid_with_receivable(p["H"], "back_payment", "500.00", dt.date(2026, 3, 25), year=2025)
    for key in persons:
        persons[key].refresh_from_db()
    return World(tree, persons)


@pytest.fixture
def world(db) -> World:
    built = build_world()
    progress_refresh_region(built.county, (2025, 2026))
    return built
