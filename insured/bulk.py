"""Set-based writes: rows travel to PostgreSQL by COPY, into a table or into a temporary table
that one UPDATE … FROM or INSERT … SELECT applies. On the SQLite demo the callers use the ORM's
bulk operations instead (`is_postgres()` tells them which).

Table and column names come from model metadata, never from input; every value is COPY data
or a query parameter.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

ARRAY_TYPES = frozenset({"bigint", "text"})


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def temp_table(name: str, definition: str) -> None:
    """A table that lives until the end of the transaction; the caller drops it when done, so
    the same transaction can make it again."""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE {name} ({definition}) ON COMMIT DROP")


def execute(sql: str, params: Sequence | None = None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def fetch(sql: str, params: Sequence | None = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def any_of(values: Collection[Any], sql_type: str) -> Any:
    """The right side of `field__in=` for thousands of values: on PostgreSQL one array parameter
    (`IN (SELECT unnest(%s::bigint[]))`), which the driver sends as it is, instead of one
    placeholder a value that it must splice into the statement text; elsewhere the plain list."""
    if sql_type not in ARRAY_TYPES:
        raise ValueError(f"unsupported array type {sql_type!r}")
    values = list(values)
    if is_postgres():
        return RawSQL(f"SELECT unnest(%s::{sql_type}[])", [values])  # noqa: S611
    return values
