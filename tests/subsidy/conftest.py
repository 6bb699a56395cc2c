"""Fixtures for personal sponsorship: a county with its policy, a beneficiary whose own
contribution has arrived, a clerk and two reviewers, and a valid application input."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from subsidy.services import SponsorshipInput
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, first_village, make_id_no, make_user

TODAY = dt.date(2026, 11, 22)
SPONSOR_ID = make_id_no(dt.date(1985, 6, 1), 321)


@pytest.fixture
def county(policy):
    return policy.region


@pytest.fixture
def beneficiary(policy):
    person = InsuredPersonFactory(village=first_village(policy.region), name="王秀兰")
    credit(person, year=2026, amount="500.00", paid_on=dt.date(2026, 3, 2), voucher=f"OWN{person.pk}")
    return person


@pytest.fixture
def clerk(county):
    return make_user("clerk", county, username="clerk1")


@pytest.fixture
def reviewer(county):
    return make_user("reviewer", county, username="reviewer1")


@pytest.fixture
def sponsorship_input(beneficiary):
    def build(**overrides) -> SponsorshipInput:
        fields = {
            "sponsor_name": "王大军",
            "sponsor_id_no": SPONSOR_ID,
            "sponsor_phone": "13800000000",
            "relation": "child",
            "beneficiary": beneficiary,
            "year": 2026,
            "amount": Decimal("1000.00"),
        }
        return SponsorshipInput(**(fields | overrides))

    return build
