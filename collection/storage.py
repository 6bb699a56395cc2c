"""Set-based writes of a list's import (insured.bulk does the I/O): the rows of its difference and the
memberships it changes, by COPY and one UPDATE … FROM on PostgreSQL, the ORM on the SQLite demo. Every
decision is made in services.py; the history of each change is written there."""

from __future__ import annotations

from collection.models import GroupListRow
from insured import bulk
from insured.models import SpecialGroupMembership

CHUNK = 2000

ROW_FIELDS = ("group_list_id", "line", "id_no", "name", "group", "outcome", "person_id", "membership_id", "township_id")


def rows_insert(out: list[GroupListRow]) -> None:
    """The rows of the difference: by COPY on PostgreSQL, the ORM on the SQLite demo."""
    if not bulk.is_postgres():
        GroupListRow.objects.bulk_create(out, batch_size=CHUNK)
        return
    columns = [f'"{c}"' if c == "group" else c for c in ROW_FIELDS]
    bulk.copy_rows(GroupListRow._meta.db_table, columns, ([getattr(r, f) for f in ROW_FIELDS] for r in out))


MEMBERSHIP_FIELDS = ("valid_to", "list_month", "source_department", "disability_grade")


def memberships_update(changed: list[SpecialGroupMembership]) -> None:
    """One UPDATE … FROM a temporary table on PostgreSQL (the ORM's bulk_update writes a CASE a row:
    a 20,000-row list would take a quarter of a minute); the ORM on the SQLite demo."""
    if not bulk.is_postgres():
        SpecialGroupMembership.objects.bulk_update(changed, MEMBERSHIP_FIELDS, batch_size=CHUNK)
        return
    bulk.temp_table(
        "tmp_membership",
        "id bigint, valid_to date, list_month date, source_department varchar(50), disability_grade smallint",
    )
    bulk.copy_rows(
        "tmp_membership",
        ("id", *MEMBERSHIP_FIELDS),
        ((m.pk, m.valid_to, m.list_month, m.source_department, m.disability_grade) for m in changed),
    )
    bulk.execute(
        f"UPDATE {SpecialGroupMembership._meta.db_table} m SET valid_to = t.valid_to, list_month = t.list_month, "
        "source_department = t.source_department, disability_grade = t.disability_grade "
        "FROM tmp_membership t WHERE m.id = t.id"
    )
    bulk.execute("DROP TABLE tmp_membership")
