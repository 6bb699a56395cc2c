"""Reads shared by pages, the API and other apps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Case, CharField, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.expressions import Expression
from django.db.models.functions import Collate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

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
        self._found: dict[tuple[str, int], PolicyYear | None] = {}

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
        key = (village_code, year)
        if key in self._found:
            return self._found[key]
        by_prefix = self._load(year)
        policy = next((p for length in (6, 4, 2) if (p := by_prefix.get(village_code[:length])) is not None), None)
        self._found[key] = policy
        return policy


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
    return _matching(queryset, query)


def _matching(queryset: QuerySet[InsuredPerson], query: str) -> QuerySet[InsuredPerson]:
    if looks_like_id_no(query):
        return queryset.filter(Q(id_no__startswith=normalize_id_no(query)) | Q(person_no=query))
    return queryset.filter(Q(name__startswith=query) | Q(person_no=query))


# --- The person list ------------------------------------------------------------------------------

# Chinese names sort by pinyin (丁 ding, 万 wan, 于 yu …), not by code point. PostgreSQL built with
# ICU has this collation in every database; the SQLite demo (and a PostgreSQL without ICU) falls
# back to the code-point order, which groups equal names but is no dictionary order.
PINYIN_COLLATION = "zh-x-icu"
_has_pinyin: dict[str, bool] = {}


def pinyin_available(alias: str = "default") -> bool:
    if alias not in _has_pinyin:
        connection = connections[alias]
        if connection.vendor != "postgresql":
            _has_pinyin[alias] = False
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_collation WHERE collname = %s", [PINYIN_COLLATION])
                _has_pinyin[alias] = cursor.fetchone() is not None
    return _has_pinyin[alias]


def pinyin(field: str) -> Expression:
    """An ordering expression for a Chinese text column: pinyin order where the database has it."""
    return Collate(field, PINYIN_COLLATION) if pinyin_available() else F(field)


class PaymentState:
    """Where a person's contribution of a year stands, as a village accountant chases it."""

    OWN = "own"  # the own contribution has arrived
    GOVERNMENT = "government"  # only a government-paid contribution has arrived
    NONE = "none"  # nothing has arrived

    choices = (
        (OWN, gettext_lazy("paid")),
        (GOVERNMENT, gettext_lazy("paid by the government")),
        (NONE, gettext_lazy("not paid")),
    )
    labels = dict(choices)


def with_contribution(persons: QuerySet[InsuredPerson], year: int) -> QuerySet[InsuredPerson]:
    """Each person with the year's contribution: `paid_on`, `tier` (the own contribution that
    arrived, which is a tier of the year) and `payment_state` (PaymentState). No balances."""
    person_year = PersonYear.objects.filter(person=OuterRef("pk"), year=year)
    return persons.annotate(
        paid_on=Subquery(person_year.values("own_arrived_on")[:1]),
        tier=Subquery(person_year.filter(own_arrived_on__isnull=False).values("own_amount")[:1]),
        gov_paid=Subquery(person_year.values("gov_paid_amount")[:1]),
    ).annotate(
        payment_state=Case(
            When(paid_on__isnull=False, then=Value(PaymentState.OWN)),
            When(gov_paid__gt=0, then=Value(PaymentState.GOVERNMENT)),
            default=Value(PaymentState.NONE),
            output_field=CharField(),
        )
    )


def region_counts(persons: QuerySet[InsuredPerson], region: Region | None, year: int) -> dict[str, Any]:
    """The home page's figures of a region (`persons` already cut to it): insured, enrolled,
    receiving, own contribution arrived this year, and enrolled with nothing paid this year.

    Counting a county of a million persons takes most of a second, and every member of staff opens
    the home page first: the figures are kept in the cache for REGION_COUNTS_SECONDS and say when
    they were counted (`at`)."""
    seconds = settings.REGION_COUNTS_SECONDS
    key = f"insured.region_counts:{region.pk if region else 0}:{year}"
    counts = cache.get(key) if seconds else None
    if counts is None:
        counts = _region_counts(persons, year)
        if seconds:
            cache.set(key, counts, seconds)
    return counts


def _region_counts(persons: QuerySet[InsuredPerson], year: int) -> dict[str, Any]:
    counts: dict[str, Any] = persons.aggregate(
        total=Count("pk"),
        enrolled=Count("pk", filter=Q(status=InsuredPerson.Status.ENROLLED)),
        receiving=Count("pk", filter=Q(status=InsuredPerson.Status.RECEIVING)),
    )
    this_year = PersonYear.objects.filter(year=year, person__in=persons.values("pk"))
    counts["paid"] = this_year.filter(own_arrived_on__isnull=False).count()
    # Who is still to pay this year: enrolled, and neither an own nor a government-paid contribution
    # (PaymentState.NONE): the enrolled less those whose person-year has either.
    covered = this_year.filter(person__status=InsuredPerson.Status.ENROLLED).filter(
        Q(own_arrived_on__isnull=False) | Q(gov_paid_amount__gt=0)
    )
    counts["unpaid"] = counts["enrolled"] - covered.count()
    counts["at"] = timezone.now()
    return counts


@dataclass(frozen=True)
class PersonFilters:
    """What a list of persons is cut by: a search (name, person number or the start of a resident
    ID), a township, a village, a status and where this year's contribution stands."""

    query: str = ""
    township: Region | None = None
    village: Region | None = None
    status: str = ""
    payment: str = ""


def person_list(persons: QuerySet[InsuredPerson], filters: PersonFilters, year: int) -> QuerySet[InsuredPerson]:
    """The persons (already cut to the user's scope) that the filters leave, with the year's
    contribution, by name in pinyin order."""
    query = (filters.query or "").strip()
    if query:
        persons = _matching(persons, query)
    if filters.township is not None:
        persons = persons.filter(village__code__startswith=filters.township.prefix)
    if filters.village is not None:
        persons = persons.filter(village=filters.village)
    if filters.status:
        persons = persons.filter(status=filters.status)
    persons = with_contribution(persons, year)
    if filters.payment:
        persons = persons.filter(payment_state=filters.payment)
    return persons.order_by(pinyin("name"), "id_no")


@dataclass(frozen=True)
class YearContribution:
    """A person's contribution of one year as the village sees it: arrived or not, and the tier."""

    year: int
    state: str
    paid_on: dt.date | None
    tier: Decimal | None

    @property
    def label(self) -> str:
        return str(PaymentState.labels[self.state])


def year_contribution(person: InsuredPerson, year: int) -> YearContribution:
    return contribution_of(year, PersonYear.objects.filter(person=person, year=year).first())


def contribution_of(year: int, person_year: PersonYear | None) -> YearContribution:
    """The year's contribution from the person-year already read (None: none recorded)."""
    if person_year is not None and person_year.own_arrived_on is not None:
        return YearContribution(year, PaymentState.OWN, person_year.own_arrived_on, person_year.own_amount)
    if person_year is not None and person_year.gov_paid_amount > 0:
        return YearContribution(year, PaymentState.GOVERNMENT, None, None)
    return YearContribution(year, PaymentState.NONE, None, None)


# The supplementary pension 补充养老保险 (004) is kept apart from the basic pension in the account.
SUPPLEMENTARY_KINDS = frozenset({rules.SUPPLEMENTARY, rules.SUPPLEMENTARY_SUBSIDY})


@dataclass(frozen=True)
class YearAccount:
    year: int
    total: Decimal
    entries: list[AccountEntry]
    person_year: PersonYear | None

    @property
    def supplementary(self) -> Decimal:
        """Of the year's total, the supplementary pension: its entries and what reversed them."""
        kinds = {e.pk: e.kind for e in self.entries}
        return sum(
            (
                e.amount
                for e in self.entries
                if e.kind in SUPPLEMENTARY_KINDS or kinds.get(e.reverses_id) in SUPPLEMENTARY_KINDS
            ),
            Decimal("0.00"),
        )


@dataclass(frozen=True)
class PersonAccount:
    """A person's ledger read once (two queries), for a page that shows it several ways: every
    entry, newest year first, and every person-year by year."""

    entries: list[AccountEntry]
    person_years: dict[int, PersonYear]

    @property
    def balance(self) -> Decimal:
        return quantize(sum((e.amount for e in self.entries), Decimal("0")))

    def by_year(self) -> list[YearAccount]:
        by_year: dict[int, list[AccountEntry]] = {}
        for entry in self.entries:
            by_year.setdefault(entry.year, []).append(entry)
        years = sorted(set(by_year) | set(self.person_years), reverse=True)
        return [
            YearAccount(
                year=y,
                total=sum((e.amount for e in by_year.get(y, [])), Decimal("0.00")),
                entries=by_year.get(y, []),
                person_year=self.person_years.get(y),
            )
            for y in years
        ]


def person_account(person: InsuredPerson) -> PersonAccount:
    return PersonAccount(
        entries=list(person.entries.order_by("-year", "posted_at", "id")),
        person_years={py.year: py for py in person.years.all()},
    )


def account_by_year(person: InsuredPerson) -> list[YearAccount]:
    return person_account(person).by_year()


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
    return standing_in(person, today.year)


def standing_in(person: InsuredPerson, year: int) -> YearStanding:
    policy = policy_for_or_none(person.village, year)
    return standing_of(year, policy, PersonYear.objects.filter(person=person, year=year).first())


def standing_of(year: int, policy: PolicyYear | None, person_year: PersonYear | None) -> YearStanding:
    """The standing from the policy and the person-year already read (None: none)."""
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


@dataclass(frozen=True)
class CapPreview:
    """What taking `amount` under the cap would leave: shown on every page that approves support
    (a sponsorship, a roster of collective subsidy) before the approver presses the button."""

    standing: YearStanding
    amount: Decimal
    used_after: Decimal
    room_after: Decimal | None

    @property
    def fits(self) -> bool:
        return self.room_after is not None and self.room_after >= 0


def cap_preview(standing: YearStanding, amount: Decimal) -> CapPreview:
    room_after = standing.room - amount if standing.room is not None else None
    return CapPreview(standing, amount, standing.used + amount, room_after)


@dataclass(frozen=True)
class WindowStatus:
    """Whether the collection window 集中征缴期 of the year is open on a day (002 三; 004 三)."""

    year: int
    is_open: bool
    text: str
    outside_action: str  # PolicyYear.outside_window's label


def collection_window_status(region_code: str, day: dt.date) -> WindowStatus | None:
    """For a region (its code begins with the county's), from the most specific policy year; None
    when no policy of the year covers it."""
    return window_status_of(PolicyResolver().get(region_code, day.year), day)


def window_status_of(policy: PolicyYear | None, day: dt.date) -> WindowStatus | None:
    """The same from the policy of `day`'s year already found."""
    if policy is None:
        return None
    return WindowStatus(
        year=day.year,
        is_open=rules.collection_window_open(policy, day),
        text=rules.collection_window_text(policy),
        outside_action=policy.get_outside_window_display(),
    )
