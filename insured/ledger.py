"""The one door to the personal accounts: nothing else writes AccountEntry or PersonYear.

A ledger write is two things that change together, in the caller's transaction:
- entries appended to the ledger (never updated or deleted: a trigger refuses it), each under
  a source key that is unique, so the same source credits once;
- the person-year figures those entries change (own contribution, government-paid, support
  reserved and credited), which the money rules read under the person-year row lock.

The crediting engine posts thousands of rows at a time, so the rows are typed tuples and the
writes are set-based: on PostgreSQL by COPY and UPDATE … FROM (insured.bulk), on the SQLite
demo by the ORM's bulk operations. A caller locks the person-years it will change first
(`person_years_lock`, in key order), decides with `insured.rules`, then posts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat, StrIndex, Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from insured import bulk, rules
from insured.models import AccountEntry, InsuredPerson, PersonYear
from insured.selectors import PolicyResolver, policy_for

ZERO = Decimal("0.00")

# --- Source keys ----------------------------------------------------------------------------------
# A payment from tax credits under `notice:{voucher}:{line}`, the subsidy beside it under the same
# key with `:subsidy`, and a reversal 冲正 under `reversal:{voucher}:{line}:{reversed entry id}`.

NOTICE = "notice"
NOTICE_PREFIX = "notice:"
REVERSAL_PREFIX = "reversal:"
SUBSIDY_SUFFIX = ":subsidy"


def notice_key(voucher_no: str, line_no: int) -> str:
    return f"{NOTICE_PREFIX}{voucher_no}:{line_no}"


def subsidy_key(key: str) -> str:
    return f"{key}{SUBSIDY_SUFFIX}"


def main_key(key: str) -> str:
    """The payment's own key, given its key or its subsidy's."""
    return key.removesuffix(SUBSIDY_SUFFIX)


def reversal_key(voucher_no: str, line_no: int, reversed_entry_id: int) -> str:
    return f"{REVERSAL_PREFIX}{voucher_no}:{line_no}:{reversed_entry_id}"


# A refund 退费 takes an entry out under `refund:{application number}:{entry id}`, and the part of
# it that goes back to the fund (the government's money) under the same key with `:fund`.
REFUND = "refund"
REFUND_PREFIX = "refund:"
FUND_SUFFIX = ":fund"


def refund_key(number: str, entry_id: int, *, to_fund: bool = False) -> str:
    key = f"{REFUND_PREFIX}{number}:{entry_id}"
    return f"{key}{FUND_SUFFIX}" if to_fund else key


def refund_entries(number: str | None = None) -> QuerySet[AccountEntry]:
    """The refund entries of one application, or of all when no number is given."""
    prefix = f"{REFUND_PREFIX}{number}:" if number else REFUND_PREFIX
    return AccountEntry.objects.filter(source_type=REFUND, source_key__startswith=prefix)


def key_expression(prefix: str, voucher: Any, line: Any) -> Concat:
    """`notice_key` (or the reversal key's first part) as a database expression."""
    return Concat(Value(prefix), voucher, Value(":"), Cast(line, CharField()), output_field=CharField())


def subsidy_key_expression(key: Any) -> Concat:
    return Concat(key, Value(SUBSIDY_SUFFIX), output_field=CharField())


def with_key_parts(entries: QuerySet[AccountEntry]) -> QuerySet[AccountEntry]:
    """Read the voucher and line back out of a notice-sourced key, as `k_voucher` and `k_line`.

    Keys are `notice:V:L`, `notice:V:L:subsidy` and `reversal:V:L:ID`; a malformed key yields
    parts that match no notice.
    """
    return entries.alias(
        _rest=Substr("source_key", StrIndex("source_key", Value(":")) + 1),
        _c1=StrIndex("_rest", Value(":")),
        k_voucher=Case(When(_c1__gt=0, then=Substr("_rest", 1, F("_c1") - 1)), default=F("_rest")),
        _after=Substr("_rest", F("_c1") + 1),
        _c2=StrIndex("_after", Value(":")),
        k_line=Case(When(_c2__gt=0, then=Substr("_after", 1, F("_c2") - 1)), default=F("_after")),
    )


def reversal_entries() -> QuerySet[AccountEntry]:
    return AccountEntry.objects.filter(source_key__startswith=REVERSAL_PREFIX)


def entries_by_key(keys: Iterable[str], *, with_subsidies: bool = False) -> QuerySet[AccountEntry]:
    keys = list(keys)
    wanted = Q(source_key__in=keys)
    if with_subsidies:
        wanted |= Q(source_key__in=[subsidy_key(k) for k in keys])
    return AccountEntry.objects.filter(wanted)


def refund_of(key: str) -> tuple[str, bool] | None:
    """The refund application number behind a refund key, and whether the entry went back to the
    fund; None for a key that is not a refund's."""
    if not key.startswith(REFUND_PREFIX):
        return None
    return key[len(REFUND_PREFIX) :].split(":")[0], key.endswith(FUND_SUFFIX)


def voucher_of(key: str) -> tuple[str, int] | None:
    """The tax voucher and line behind a notice's key, its subsidy's or a reversal's; None for a
    key that names no voucher line."""
    for prefix in (NOTICE_PREFIX, REVERSAL_PREFIX):
        if key.startswith(prefix):
            parts = main_key(key)[len(prefix) :].split(":")
            if len(parts) >= 2 and parts[1].isdigit():
                return parts[0], int(parts[1])
    return None


# --- Rows -----------------------------------------------------------------------------------------


class EntryRow(NamedTuple):
    """One ledger entry to append; a tuple, so it travels to COPY as it is."""

    person_id: int
    year: int
    kind: str
    amount: Decimal
    source_type: str
    source_key: str
    reverses_id: int | None = None
    note: str = ""
    posted_at: dt.datetime | None = None
    posted_by_id: int | None = None


ENTRY_COLUMNS = EntryRow._fields


@dataclass(slots=True)
class YearDelta:
    """What one posting changes in one person-year's figures.

    The own contribution's arrival date is set by the first arrival and cleared when the own
    contribution goes back to zero (a reversal, a refund of the whole year).
    """

    own: Decimal = ZERO
    own_arrived_on: dt.date | None = None
    gov_paid: Decimal = ZERO
    reserved: Decimal = ZERO
    credited: Decimal = ZERO


@dataclass(slots=True)
class YearFigures:
    """A locked person-year's figures, as the money rules read them."""

    own_amount: Decimal
    gov_paid_amount: Decimal
    support_reserved: Decimal
    support_credited: Decimal
    own_arrived_on: dt.date | None = None


YearKey = tuple[int, int]  # (person id, year)


def person_years_lock(pairs: set[YearKey]) -> dict[YearKey, YearFigures]:
    """Create the person-year rows a posting touches, then lock exactly those, in primary-key
    order (two lockers never wait on each other in a circle)."""
    if not pairs:
        return {}
    persons, years = zip(*sorted(pairs), strict=True)
    table = PersonYear._meta.db_table
    if bulk.is_postgres():
        arrays = [list(persons), list(years)]
        bulk.execute(
            f"INSERT INTO {table} (person_id, year, own_amount, gov_paid_amount, support_reserved, "  # noqa: S608
            "support_credited) SELECT p, y, 0, 0, 0, 0 FROM unnest(%s::bigint[], %s::smallint[]) AS t(p, y) "
            "ON CONFLICT (person_id, year) DO NOTHING",
            arrays,
        )
        rows = bulk.fetch(
            f"SELECT py.person_id, py.year, py.own_amount, py.gov_paid_amount, py.support_reserved, "  # noqa: S608
            f"py.support_credited, py.own_arrived_on FROM {table} py "
            "JOIN unnest(%s::bigint[], %s::smallint[]) AS t(p, y) "
            "ON py.person_id = t.p AND py.year = t.y ORDER BY py.id FOR UPDATE OF py",
            arrays,
        )
        return {(p, y): YearFigures(*figures) for p, y, *figures in rows}
    PersonYear.objects.bulk_create(
        [PersonYear(person_id=p, year=y) for p, y in pairs], batch_size=1000, ignore_conflicts=True
    )
    locked = (
        PersonYear.objects.select_for_update()
        .filter(person_id__in={p for p, _ in pairs}, year__in={y for _, y in pairs})
        .order_by("pk")
    )
    return {
        (r.person_id, r.year): YearFigures(
            r.own_amount, r.gov_paid_amount, r.support_reserved, r.support_credited, r.own_arrived_on
        )
        for r in locked
        if (r.person_id, r.year) in pairs
    }


def ledger_post(entries: Sequence[EntryRow], deltas: Mapping[YearKey, YearDelta]) -> None:
    """Append `entries` and apply `deltas` to the person-years, in the caller's transaction.

    The caller has locked the person-years (`person_years_lock`) and decided every entry with
    insured.rules. A source key already in the ledger fails the whole transaction: the caller's
    duplicate checks should make that impossible, and a refused posting is better than half of one.
    """
    now = timezone.now()
    _entries_insert([e if e.posted_at else e._replace(posted_at=now) for e in entries])
    _person_years_apply(deltas)


def _entries_insert(entries: list[EntryRow]) -> None:
    if not entries:
        return
    if bulk.is_postgres():
        bulk.copy_rows(AccountEntry._meta.db_table, ENTRY_COLUMNS, entries)
        return
    AccountEntry.objects.bulk_create([AccountEntry(**e._asdict()) for e in entries], batch_size=500)


def _person_years_apply(deltas: Mapping[YearKey, YearDelta]) -> None:
    if not deltas:
        return
    rows = [(p, y, d.own, d.own_arrived_on, d.gov_paid, d.reserved, d.credited) for (p, y), d in deltas.items()]
    if bulk.is_postgres():
        bulk.temp_table(
            "tmp_py",
            "person_id bigint, year smallint, d_own numeric(14,2), arrived date, "
            "d_gov numeric(14,2), d_reserved numeric(14,2), d_credited numeric(14,2)",
        )
        bulk.copy_rows("tmp_py", ("person_id", "year", "d_own", "arrived", "d_gov", "d_reserved", "d_credited"), rows)
        bulk.execute(
            f"UPDATE {PersonYear._meta.db_table} p SET own_amount = p.own_amount + t.d_own, "  # noqa: S608
            "own_arrived_on = CASE WHEN p.own_amount + t.d_own = 0 THEN NULL "
            "ELSE COALESCE(p.own_arrived_on, t.arrived) END, "
            "gov_paid_amount = p.gov_paid_amount + t.d_gov, "
            "support_reserved = p.support_reserved + t.d_reserved, "
            "support_credited = p.support_credited + t.d_credited "
            "FROM tmp_py t WHERE p.person_id = t.person_id AND p.year = t.year"
        )
        bulk.execute("DROP TABLE tmp_py")
        return
    for person_id, year, d_own, arrived, d_gov, d_reserved, d_credited in rows:
        person_year = PersonYear.objects.get(person_id=person_id, year=year)
        own = person_year.own_amount + d_own
        PersonYear.objects.filter(pk=person_year.pk).update(
            own_amount=F("own_amount") + d_own,
            own_arrived_on=None if own == 0 else (person_year.own_arrived_on or arrived),
            gov_paid_amount=F("gov_paid_amount") + d_gov,
            support_reserved=F("support_reserved") + d_reserved,
            support_credited=F("support_credited") + d_credited,
        )


# --- Refunds -------------------------------------------------------------------------------------


def _figures_delta(delta: YearDelta, kind: str, amount: Decimal) -> None:
    """What an entry of `kind` counts in its person-year's cached figures (insured.ledger_audit)."""
    if kind == AccountEntry.Kind.OWN:
        delta.own += amount
    elif kind == AccountEntry.Kind.GOVERNMENT_PAID:
        delta.gov_paid += amount
    elif kind in rules.SUPPORT_KINDS:
        delta.credited += amount


def refund_post(
    *,
    number: str,
    person_id: int,
    takes: Sequence[tuple[int, bool]],
    note: str,
    user_id: int | None,
    posted_at: dt.datetime | None = None,
) -> int:
    """Take refunded money out of an account (002 附件2 三), in the caller's transaction.

    `takes` are (entry id, goes back to the fund). Each entry gets a negative `refund` entry that
    names it (`reverses` is one-to-one: an entry leaves the account once, by a refund or by a
    reversal 冲正), and the person-year figures it counted in go down with it: a year whose whole
    own contribution is refunded has none again (rule 2). The person-years are locked first, then
    the entries are checked again under the lock.
    """
    to_fund = dict(takes)
    entries = list(AccountEntry.objects.filter(pk__in=to_fund).order_by("pk"))
    person_years_lock({(e.person_id, e.year) for e in entries})
    gone = set(AccountEntry.objects.filter(reverses_id__in=to_fund).values_list("reverses_id", flat=True))
    if len(entries) != len(to_fund):
        raise ValueError(f"refund {number}: entries {sorted(set(to_fund) - {e.pk for e in entries})} do not exist")
    rows: list[EntryRow] = []
    deltas: dict[YearKey, YearDelta] = {}
    for entry in entries:
        rules.check_refund_entry(
            belongs_to_person=entry.person_id == person_id and entry.kind in rules.REFUNDABLE_KINDS,
            already_taken_out=entry.pk in gone,
            reserved_by=None,
        )
        rows.append(
            EntryRow(
                entry.person_id,
                entry.year,
                AccountEntry.Kind.REFUND,
                -entry.amount,
                REFUND,
                refund_key(number, entry.pk, to_fund=to_fund[entry.pk]),
                reverses_id=entry.pk,
                note=note[:200],
                posted_at=posted_at,
                posted_by_id=user_id,
            )
        )
        _figures_delta(deltas.setdefault((entry.person_id, entry.year), YearDelta()), entry.kind, -entry.amount)
    ledger_post(rows, deltas)
    return len(rows)


# --- Reservations against the cap ---------------------------------------------------------------


@transaction.atomic
def support_reserve(*, person: InsuredPerson, year: int, amount: Decimal) -> PersonYear:
    """Reserve sponsorship or collective subsidy against the year's cap (rules 1 and 2).

    The person-year row is locked first, so two approvals for one person at the same moment
    run one after the other and the second sees the first's reservation.
    """
    person_year = PersonYear.objects.locked(person.pk, year)
    policy = policy_for(person.village, year)
    rules.check_own_contribution_arrived(person_year, policy)
    rules.check_cap(year=year, cap=policy.top_tier, used=person_year.support_used, amount=amount)
    PersonYear.objects.filter(pk=person_year.pk).update(support_reserved=F("support_reserved") + amount)
    person_year.refresh_from_db()
    return person_year


@transaction.atomic
def support_release(*, person: InsuredPerson, year: int, amount: Decimal) -> PersonYear:
    """Give back a reservation that will not be paid (rejected, withdrawn, voided)."""
    person_year = PersonYear.objects.locked(person.pk, year)
    if person_year.support_reserved < amount:
        raise ValueError(f"releasing {amount} but only {person_year.support_reserved} is reserved")
    PersonYear.objects.filter(pk=person_year.pk).update(support_reserved=F("support_reserved") - amount)
    person_year.refresh_from_db()
    return person_year


class Reservation(NamedTuple):
    """One amount to reserve (or release) for a person and year; `ref` is how the caller names the
    row in a refusal (序号 12)."""

    person_id: int
    year: int
    amount: Decimal
    ref: str = ""


class ReservationRefused(rules.RuleViolation):
    """A rule refused one reservation of a set: nothing of the set was reserved. `index` and
    `reservation` say which row did not fit; the message is the rule's."""

    def __init__(self, violation: rules.RuleViolation, index: int, reservation: Reservation) -> None:
        super().__init__(violation.code, violation.message, violation.field)
        self.violation = violation
        self.index = index
        self.reservation = reservation


@transaction.atomic
def support_reserve_many(reservations: Sequence[Reservation]) -> None:
    """Reserve many amounts against their years' caps at once (rules 1 and 2), all or nothing.

    The person-years are locked first, in primary-key order (`person_years_lock`), so two callers
    reserving for overlapping persons run one after the other and never wait in a circle; the
    second sees the first's reservations. Rows for the same person and year count together. The
    first row a rule refuses raises ReservationRefused and nothing is written.
    """
    if not reservations:
        return
    pairs = {(r.person_id, r.year) for r in reservations}
    figures = person_years_lock(pairs)
    villages = dict(InsuredPerson.objects.filter(pk__in={p for p, _ in pairs}).values_list("pk", "village__code"))
    policies = PolicyResolver()
    added: dict[YearKey, Decimal] = {}
    for index, reservation in enumerate(reservations):
        key = (reservation.person_id, reservation.year)
        held = figures[key]
        try:
            policy = policies.get(villages[reservation.person_id], reservation.year)
            if policy is None:
                raise rules.RuleViolation(
                    "policy_missing",
                    _(
                        "No contribution standard for %(year)s covers this person's village; ask the administrator "
                        "to enter the policy year."
                    )
                    % {"year": reservation.year},
                )
            rules.check_own_contribution_arrived(held, policy)  # rule 2
            used = held.support_reserved + held.support_credited + added.get(key, ZERO)
            rules.check_cap(year=reservation.year, cap=policy.top_tier, used=used, amount=reservation.amount)  # rule 1
        except rules.RuleViolation as exc:
            raise ReservationRefused(exc, index, reservation) from None
        added[key] = added.get(key, ZERO) + reservation.amount
    _person_years_apply({key: YearDelta(reserved=amount) for key, amount in added.items()})


@transaction.atomic
def support_release_many(releases: Sequence[Reservation]) -> None:
    """Give back many reservations that will not be paid, under the same locks, all or nothing."""
    if not releases:
        return
    totals: dict[YearKey, Decimal] = {}
    for release in releases:
        key = (release.person_id, release.year)
        totals[key] = totals.get(key, ZERO) + release.amount
    figures = person_years_lock(set(totals))
    for (person_id, year), amount in totals.items():
        if figures[(person_id, year)].support_reserved < amount:
            raise ValueError(f"releasing {amount} for person {person_id} in {year} but less is reserved")
    _person_years_apply({key: YearDelta(reserved=-amount) for key, amount in totals.items()})
