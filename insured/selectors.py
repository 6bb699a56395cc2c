"""Reads shared by pages, the API and other apps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext as _

from insured import rules
from insured.identity import normalize_id_no
from insured.models import (
    AccountEntry,
    InsuredPerson,
    PersonYear,
    PolicyTier,
    PolicyYear,
    Region,
)
from insured.money import quantize


class PolicyResolver:
    """Finds the most specific policy year for a village code: county, then city, then province.

    Loads each year's policies once with their tiers, so a batch of thousands of payments
    resolves its policies in memory.
    """

    def __init__(self) -> None:
        self._by_year: dict[int, dict[str, PolicyYear]] = {}

    def _load(self, year: int) -> dict[str, PolicyYear]:
        if year not in self._by_year:
            policies = (
                PolicyYear.objects.filter(year=year, region__level__in=["county", "city", "province"])
                .select_related("region")
                .prefetch_related(Prefetch("tiers", queryset=PolicyTier.objects.order_by("scheme", "amount")))
            )
            self._by_year[year] = {p.region.prefix: p for p in policies}
        return self._by_year[year]

    def get(self, village_code: str, year: int) -> PolicyYear | None:
        by_prefix = self._load(year)
        for length in (6, 4, 2):
            policy = by_prefix.get(village_code[:length])
            if policy is not None:
                return policy
        return None


def policy_for(village: Region, year: int) -> PolicyYear:
    """The most specific policy year covering the village: county before city before province."""
    policy = PolicyResolver().get(village.code, year)
    if policy is None:
        raise rules.RuleViolation(
            "policy_missing",
            _(
                "No contribution standard for %(year)s covers %(village)s; ask the administrator to "
                "enter the policy year."
            )
            % {"year": year, "village": village.name},
        )
    return policy


def policy_for_or_none(village: Region, year: int) -> PolicyYear | None:
    try:
        return policy_for(village, year)
    except rules.RuleViolation:
        return None


def looks_like_id_no(query: str) -> bool:
    """Six digits or more: the start of a resident ID (personal data, kept out of URLs)."""
    id_like = normalize_id_no(query or "")
    return len(id_like) >= 6 and id_like[:17].isdigit() and id_like[:17].isascii()


def person_search(queryset: QuerySet[InsuredPerson], query: str) -> QuerySet[InsuredPerson]:
    query = (query or "").strip()
    if not query:
        return queryset.none()
    if looks_like_id_no(query):
        return queryset.filter(Q(id_no__startswith=normalize_id_no(query)) | Q(person_no=query))
    return queryset.filter(Q(name__startswith=query) | Q(person_no=query))


@dataclass(frozen=True)
class YearAccount:
    year: int
    total: Decimal
    entries: list[AccountEntry]
    person_year: PersonYear | None


def account_by_year(person: InsuredPerson) -> list[YearAccount]:
    entries = list(person.entries.order_by("-year", "posted_at", "id"))
    person_years = {py.year: py for py in person.years.all()}
    years = sorted({e.year for e in entries} | set(person_years), reverse=True)
    return [
        YearAccount(
            year=y,
            total=sum((e.amount for e in entries if e.year == y), Decimal("0.00")),
            entries=[e for e in entries if e.year == y],
            person_year=person_years.get(y),
        )
        for y in years
    ]


def account_balance(person: InsuredPerson) -> Decimal:
    return quantize(person.entries.aggregate(total=Sum("amount"))["total"] or Decimal("0"))


@dataclass(frozen=True)
class YearStanding:
    """What the counter needs to know about a person this year."""

    year: int
    policy: PolicyYear | None
    person_year: PersonYear | None
    has_own_contribution: bool
    cap: Decimal | None
    used: Decimal
    room: Decimal | None


def year_standing(person: InsuredPerson, today: dt.date) -> YearStanding:
    year = today.year
    policy = policy_for_or_none(person.village, year)
    person_year = PersonYear.objects.filter(person=person, year=year).first()
    used = person_year.support_used if person_year else Decimal("0.00")
    cap = policy.top_tier if policy else None
    return YearStanding(
        year=year,
        policy=policy,
        person_year=person_year,
        has_own_contribution=bool(policy and rules.has_own_contribution(person_year, policy)),
        cap=cap,
        used=used,
        room=rules.cap_room(cap=cap, used=used),
    )
