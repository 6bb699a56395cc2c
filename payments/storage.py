"""Set-based writes for notice batches.

On PostgreSQL rows travel by COPY (into the table, or into a temporary table that one
UPDATE … FROM or INSERT … SELECT applies); on the SQLite demo the ORM's bulk operations do
the same work more slowly. Only the I/O differs: every decision is made in processing.py.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import F
from django.utils import timezone

from insured.models import AccountEntry, PersonYear
from payments.models import ArrivalNotice

NOTICE_COLUMNS = (
    "voucher_no",
    "line_no",
    "kind",
    "insured_id_no",
    "insured_name",
    "payer_name",
    "payer_id",
    "year",
    "amount",
    "paid_at",
    "channel",
    "receivable_no",
    "reverses_voucher_no",
    "reverses_line_no",
    "tax_office_code",
    "agency_code",
)
ENTRY_COLUMNS = ("person_id", "year", "kind", "amount", "source_type", "source_key", "reverses_id", "note", "posted_at")


def _is_postgres() -> bool:
    return connection.vendor == "postgresql"


def _copy(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _temp_table(name: str, definition: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {name} ({definition}) ON COMMIT DROP")


def notices_insert(batch_id: int, rows: list[tuple]) -> None:
    """Store a batch's notices, all in the caller's transaction."""
    extra = ("received", "", batch_id)
    columns = (*NOTICE_COLUMNS, "state", "reason", "batch_id")
    if _is_postgres():
        _copy(ArrivalNotice._meta.db_table, columns, (row + extra for row in rows))
        return
    ArrivalNotice.objects.bulk_create(
        [ArrivalNotice(**dict(zip(columns, row + extra, strict=True))) for row in rows], batch_size=500
    )


def entries_insert(entries: list[tuple]) -> None:
    """Append ledger entries. A source key already there fails the whole transaction: the
    duplicate checks before this point should make that impossible, and the batch is better
    refused than half-credited."""
    if not entries:
        return
    if _is_postgres():
        _copy(AccountEntry._meta.db_table, ENTRY_COLUMNS, entries)
        return
    AccountEntry.objects.bulk_create(
        [AccountEntry(**dict(zip(ENTRY_COLUMNS, e, strict=True))) for e in entries], batch_size=500
    )


def notices_update(rows: list[tuple[int, str, str, int | None, int | None]]) -> None:
    """(id, state, reason, person_id, receivable_id) for each processed notice."""
    now = timezone.now()
    if _is_postgres():
        _temp_table(
            "tmp_notice_state",
            "id bigint, state varchar(10), reason varchar(24), person_id bigint, receivable_id bigint",
        )
        _copy("tmp_notice_state", ("id", "state", "reason", "person_id", "receivable_id"), rows)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {ArrivalNotice._meta.db_table} n SET state = t.state, reason = t.reason, "
                "person_id = t.person_id, receivable_id = t.receivable_id, processed_at = %s "
                "FROM tmp_notice_state t WHERE n.id = t.id",
                [now],
            )
            cursor.execute("DROP TABLE tmp_notice_state")
        return
    objs = [
        ArrivalNotice(id=i, state=s, reason=r, person_id=p, receivable_id=rv, processed_at=now)
        for i, s, r, p, rv in rows
    ]
    ArrivalNotice.objects.bulk_update(
        objs, ["state", "reason", "person_id", "receivable_id", "processed_at"], batch_size=500
    )


def person_years_apply(deltas: dict[tuple[int, int], list]) -> None:
    """Add each (person, year)'s changes: [own, own_arrived_on, gov_paid, reserved, credited].

    The own contribution's arrival date is set by the first arrival and cleared when a
    reversal takes the own contribution back to zero.
    """
    if not deltas:
        return
    rows = [(p, y, d[0], d[1], d[2], d[3], d[4]) for (p, y), d in deltas.items()]
    if _is_postgres():
        _temp_table(
            "tmp_py",
            "person_id bigint, year smallint, d_own numeric(14,2), arrived date, "
            "d_gov numeric(14,2), d_reserved numeric(14,2), d_credited numeric(14,2)",
        )
        _copy("tmp_py", ("person_id", "year", "d_own", "arrived", "d_gov", "d_reserved", "d_credited"), rows)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {PersonYear._meta.db_table} p SET own_amount = p.own_amount + t.d_own, "
                "own_arrived_on = CASE WHEN p.own_amount + t.d_own = 0 THEN NULL "
                "ELSE COALESCE(p.own_arrived_on, t.arrived) END, "
                "gov_paid_amount = p.gov_paid_amount + t.d_gov, "
                "support_reserved = p.support_reserved + t.d_reserved, "
                "support_credited = p.support_credited + t.d_credited "
                "FROM tmp_py t WHERE p.person_id = t.person_id AND p.year = t.year"
            )
            cursor.execute("DROP TABLE tmp_py")
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


@dataclass(slots=True)
class YearFigures:
    """A locked person-year's figures, as the crediting decisions read them."""

    own_amount: Decimal
    support_reserved: Decimal
    support_credited: Decimal


def person_years_lock(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], YearFigures]:
    """Create the person-year rows a batch touches, then lock exactly those, in primary-key
    order (two lockers never wait on each other in a circle)."""
    if not pairs:
        return {}
    persons, years = zip(*sorted(pairs), strict=True)
    table = PersonYear._meta.db_table
    if _is_postgres():
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (person_id, year, own_amount, gov_paid_amount, support_reserved, "
                "support_credited) SELECT p, y, 0, 0, 0, 0 FROM unnest(%s::bigint[], %s::smallint[]) AS t(p, y) "
                "ON CONFLICT (person_id, year) DO NOTHING",
                [list(persons), list(years)],
            )
            cursor.execute(
                f"SELECT py.person_id, py.year, py.own_amount, py.support_reserved, py.support_credited "
                f"FROM {table} py JOIN unnest(%s::bigint[], %s::smallint[]) AS t(p, y) "
                "ON py.person_id = t.p AND py.year = t.y ORDER BY py.id FOR UPDATE OF py",
                [list(persons), list(years)],
            )
            return {(p, y): YearFigures(own, reserved, credited) for p, y, own, reserved, credited in cursor}
    PersonYear.objects.bulk_create(
        [PersonYear(person_id=p, year=y) for p, y in pairs], batch_size=1000, ignore_conflicts=True
    )
    rows = (
        PersonYear.objects.select_for_update()
        .filter(person_id__in={p for p, _ in pairs}, year__in={y for _, y in pairs})
        .order_by("pk")
    )
    return {
        (r.person_id, r.year): YearFigures(r.own_amount, r.support_reserved, r.support_credited)
        for r in rows
        if (r.person_id, r.year) in pairs
    }


_LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)


def as_date(moment: dt.datetime) -> dt.date:
    """The agency's calendar day of a moment (Beijing time)."""
    return moment.astimezone(_LOCAL).date()
