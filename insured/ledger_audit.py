"""Does each person-year's cached figures agree with its ledger?

The ledger's own half of `manage.py check_ledger` (payments.ledger_check adds the notices'
half): PersonYear.own_amount, gov_paid_amount and support_credited must equal the sums of their
kinds of entries (a reversal entry counts as the kind of the entry it reverses), own_arrived_on
is set exactly when an own contribution is there, and no ledger of those kinds is without its
person-year row. Each difference is one line of text naming the person.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum

from insured import bulk, ledger, rules
from insured.identity import mask_id_no
from insured.models import AccountEntry, PersonYear, Region

Kind = AccountEntry.Kind
# The cached figure of a person-year and the ledger kinds it sums.
CACHED_FIGURES = {
    "own_amount": [Kind.OWN],
    "gov_paid_amount": [Kind.GOVERNMENT_PAID],
    "support_credited": sorted(rules.SUPPORT_KINDS),
}


def who(name: str | None, id_no: str | None, year: int | None) -> str:
    """A person in the check's output (printed, often kept in logs): the ID masked."""
    return f"{name or '?'}（{mask_id_no(id_no) or '?'}）{year}"


def _sum_by_kind(name: str, kinds: list[str]) -> str:
    placeholders = ", ".join(["%s"] * len(kinds))
    return f"SUM(CASE WHEN COALESCE(r.kind, e.kind) IN ({placeholders}) THEN e.amount ELSE 0 END) AS {name}"


# The ledger summed per person-year once, then joined to the cached figures (a correlated sum
# per person-year would read the ledger once per row). Only placeholders are formatted into the
# text; every value is a parameter.
CACHED_FIGURES_SQL = f"""
    SELECT py.id, {", ".join(f"COALESCE(l.{name}, 0)" for name in CACHED_FIGURES)}
    FROM {PersonYear._meta.db_table} py
    JOIN insured_insuredperson p ON p.id = py.person_id
    JOIN insured_region v ON v.id = p.village_id
    LEFT JOIN (
        SELECT e.person_id, e.year, {", ".join(_sum_by_kind(name, kinds) for name, kinds in CACHED_FIGURES.items())}
        FROM {AccountEntry._meta.db_table} e
        LEFT JOIN {AccountEntry._meta.db_table} r ON r.id = e.reverses_id AND e.kind IN (%s, %s)
        WHERE (%s = 0 OR e.year = %s)
        GROUP BY e.person_id, e.year
    ) l ON l.person_id = py.person_id AND l.year = py.year
    WHERE (%s = 0 OR py.year = %s) AND v.code LIKE %s AND (
        {" OR ".join(f"py.{name} <> COALESCE(l.{name}, 0)" for name in CACHED_FIGURES)}
        OR (py.own_amount > 0 AND py.own_arrived_on IS NULL)
        OR (py.own_amount = 0 AND py.own_arrived_on IS NOT NULL)
    )
"""  # noqa: S608


def ledger_problems(year: int | None, region: Region | None) -> Iterator[str]:
    yield from _cached_figure_problems(year, region)
    yield from _ledgers_without_person_year(year, region)
    yield from _refund_problems(year, region)


def _cached_figure_problems(year: int | None, region: Region | None) -> Iterator[str]:
    y = year or 0
    prefix = f"{region.prefix}%" if region else "%"
    params = [k for kinds in CACHED_FIGURES.values() for k in kinds] + [Kind.REVERSAL, Kind.REFUND, y, y, y, y, prefix]
    ledger = {row[0]: dict(zip(CACHED_FIGURES, row[1:], strict=True)) for row in bulk.fetch(CACHED_FIGURES_SQL, params)}
    rows = PersonYear.objects.filter(pk__in=ledger).select_related("person").order_by("person_id", "year")
    for py in rows:
        person = who(py.person.name, py.person.id_no, py.year)
        for name, summed in ledger[py.pk].items():
            if getattr(py, name) != summed:
                yield f"{person}: PersonYear.{name} is {getattr(py, name)}, the ledger sums to {summed:.2f}"
        if (py.own_amount > 0) != (py.own_arrived_on is not None):
            yield f"{person}: own_arrived_on is {py.own_arrived_on} with own_amount {py.own_amount}"


def _entries(year: int | None, region: Region | None) -> QuerySet[AccountEntry]:
    entries = AccountEntry.objects.all()
    if year:
        entries = entries.filter(year=year)
    if region:
        entries = entries.filter(person__village__code__startswith=region.prefix)
    return entries


def _ledgers_without_person_year(year: int | None, region: Region | None) -> Iterator[str]:
    tracked = [kind for kinds in CACHED_FIGURES.values() for kind in kinds]
    rows = (
        _entries(year, region)
        .filter(Q(kind__in=tracked) | Q(kind__in=[Kind.REVERSAL, Kind.REFUND], reverses__kind__in=tracked))
        .filter(~Exists(PersonYear.objects.filter(person_id=OuterRef("person_id"), year=OuterRef("year"))))
        .values("person_id", "person__name", "person__id_no", "year")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .order_by("person_id", "year")
    )
    for r in rows:
        person = who(r["person__name"], r["person__id_no"], r["year"])
        yield (
            f"{person}: the ledger holds {r['total']} of own, government-paid or support entries, but no PersonYear row"
        )


def _refund_problems(year: int | None, region: Region | None) -> Iterator[str]:
    """A refund entry takes one entry out of the same person's same year, in full, and nothing
    but a refund is posted under a refund key (insured.ledger.refund_post)."""
    refunds = _entries(year, region).filter(kind=Kind.REFUND)
    exact = Q(
        reverses__isnull=False,
        reverses__person_id=F("person_id"),
        reverses__year=F("year"),
        reverses__amount=-F("amount"),
        source_type=ledger.REFUND,
        source_key__startswith=ledger.REFUND_PREFIX,
    )
    wrong = refunds.exclude(exact) | _entries(year, region).filter(source_type=ledger.REFUND).exclude(kind=Kind.REFUND)
    for e in wrong.select_related("person", "reverses").order_by("id"):
        person = who(e.person.name, e.person.id_no, e.year)
        if e.kind != Kind.REFUND:
            yield f"{person}: entry {e.source_key} is posted as a refund source but is of kind {e.kind}"
        elif e.reverses is None:
            yield f"{person}: refund entry {e.source_key} ({e.amount}) names no entry it refunds"
        else:
            r = e.reverses
            yield (
                f"{person}: refund entry {e.source_key} ({e.amount}) does not take out its entry {r.source_key} "
                f"({r.kind} {r.amount}, person {r.person_id} year {r.year}) exactly"
            )
