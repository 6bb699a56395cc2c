"""Fixtures of the back-payment tests (imported by name into each test module, so they sit beside
the special-group tests' own conftest): a county with two townships, the 2026 policy with 004's
supplementary tiers (and 2025's, for a supplementary back payment), the staff of each step, and a
person of the first township who paid 2026 but not 2024 or 2025."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from collection import backpay_services as services
from collection.backpay_models import BackPaymentApplication, BackPaymentScheme
from insured.models import PolicyTier, Region
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, PolicyYearFactory, make_user

TODAY = dt.date(2026, 11, 22)
D = Decimal
SUPPLEMENTARY_TIERS = [("200", "70"), ("500", "120"), ("1000", "200"), ("2000", "360"), ("5000", "600")]


def add_supplementary(policy) -> None:
    for amount, subsidy in SUPPLEMENTARY_TIERS:
        PolicyTier.objects.create(
            policy_year=policy, scheme=PolicyTier.Scheme.SUPPLEMENTARY, amount=D(amount), government_subsidy=D(subsidy)
        )


@pytest.fixture
def today(monkeypatch):
    """Every service and page reads the day through timezone.localdate: 22 November 2026."""
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


@pytest.fixture
def tree(policy):
    county = policy.region
    add_supplementary(policy)
    # The years the tests pay: the engine credits a year only under its policy.
    for year in range(2015, 2026):
        past = PolicyYearFactory(region=county, year=year)
        if year == 2025:
            add_supplementary(past)
    townships = list(Region.objects.filter(parent=county).order_by("code"))
    return {
        "county": county,
        "policy": policy,
        "township1": townships[0],
        "township2": townships[1],
        "village11": townships[0].children.order_by("code").first(),
        "village21": townships[1].children.order_by("code").first(),
    }


@pytest.fixture
def person(tree):
    """Enrolled in 2020, paid 2020–2023 and 2026; 2024 and 2025 missing."""
    person = InsuredPersonFactory(village=tree["village11"], name="刘桂芳", enrolled_on=dt.date(2020, 3, 1))
    for year in (2020, 2021, 2022, 2023, 2026):
        credit(person, year=year, amount="300.00", paid_on=dt.date(year, 3, 2))
    return person


@pytest.fixture
def staff(tree):
    county = tree["county"]
    return {
        "town": make_user("township_office", tree["township1"], username="town1", last_name="陈", first_name="海燕"),
        "other_town": make_user("township_office", tree["township2"], username="town2"),
        "reviewer": make_user("reviewer", county, username="rev1", last_name="王", first_name="建国"),
        "clerk": make_user("clerk", county, username="clerk1"),
        "auditor": make_user("auditor", county, username="aud1"),
        "village": make_user("village_accountant", tree["village11"], username="vil1"),
    }


def enter(person, staff, *, years=(2025,), tier="500.00", scheme=BackPaymentScheme.BASIC, basis=None, today=TODAY):
    data = services.BackPaymentInput(
        person=person,
        scheme=scheme,
        basis=basis or BackPaymentApplication.Basis.INTERRUPTED,
        tier=D(tier),
        years=list(years),
    )
    township = person.village.parent
    return services.application_submit(data, user=staff["town"], agency_region=township, today=today)


def approve(application, staff, today=TODAY):
    county = application.person.village.parent.parent
    return services.application_approve(application, user=staff["reviewer"], agency_region=county, today=today)
