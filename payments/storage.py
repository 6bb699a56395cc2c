"""Set-based writes for notice batches.

On PostgreSQL rows travel by COPY (into the table, or into a temporary table that one
UPDATE … FROM or INSERT … SELECT applies); on the SQLite demo the ORM's bulk operations do
the same work more slowly. Only the I/O differs: every decision is made in processing.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal

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


def entries_insert(entries: list[tuple]) -> int:
    """Append ledger entries; returns how many were new (a source key already there is skipped)."""
    if not entries:
        return 0
    if _is_postgres():
        _temp_table(
            "tmp_entries",
            "person_id bigint, year smallint, kind varchar(25), amount numeric(14,2), "
            "source_type varchar(30), source_key varchar(100), reverses_id bigint, "
            "note varchar(200), posted_at timestamptz",
        )
        _copy("tmp_entries", ENTRY_COLUMNS, entries)
        cols = ", ".join(ENTRY_COLUMNS)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {AccountEntry._meta.db_table} ({cols}) SELECT {cols} FROM tmp_entries "
                "ON CONFLICT (source_key) DO NOTHING"
            )
            inserted = cursor.rowcount
            cursor.execute("DROP TABLE tmp_entries")
        return inserted
    before = AccountEntry.objects.count()
    AccountEntry.objects.bulk_create(
        [AccountEntry(**dict(zip(ENTRY_COLUMNS, e, strict=True))) for e in entries],
        batch_size=500,
        ignore_conflicts=True,
    )
    return AccountEntry.objects.count() - before


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


def person_years_ensure(pairs: set[tuple[int, int]]) -> None:
    """Create the person-year rows a batch will touch, so they can be locked and updated."""
    PersonYear.objects.bulk_create(
        [
            PersonYear(
                person_id=p,
                year=y,
                own_amount=Decimal("0"),
                gov_paid_amount=Decimal("0"),
                support_reserved=Decimal("0"),
                support_credited=Decimal("0"),
            )
            for p, y in pairs
        ],
        batch_size=1000,
        ignore_conflicts=True,
    )


def person_years_lock(pairs: set[tuple[int, int]]) -> dict[tuple[int, int], PersonYear]:
    """Lock the rows in primary-key order (two lockers never wait on each other in a circle)."""
    if not pairs:
        return {}
    person_ids = {p for p, _ in pairs}
    years = {y for _, y in pairs}
    rows = PersonYear.objects.select_for_update().filter(person_id__in=person_ids, year__in=years).order_by("pk")
    return {(r.person_id, r.year): r for r in rows if (r.person_id, r.year) in pairs}


def as_date(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()
