"""Set-based SQL on the notice tables (insured.bulk does the I/O): the batch's notices as they
arrive, the first notice of each voucher line they mention, and their outcomes once processed.
Ledger entries and person-years are written by insured.ledger; every decision is made in
processing.py."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import Func, IntegerField, QuerySet, Value
from django.utils import timezone

from insured import bulk
from payments.models import ArrivalNotice, Receivable, VoucherLine

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


def notices_insert(batch_id: int, rows: list[tuple]) -> None:
    """Store a batch's notices, all in the caller's transaction."""
    extra = ("received", "", batch_id)
    columns = (*NOTICE_COLUMNS, "state", "reason", "batch_id")
    if bulk.is_postgres():
        bulk.copy_rows(ArrivalNotice._meta.db_table, columns, (row + extra for row in rows))
        return
    ArrivalNotice.objects.bulk_create(
        [ArrivalNotice(**dict(zip(columns, row + extra, strict=True))) for row in rows], batch_size=500
    )


class PersonPart(Func):
    """Which of `parts` parts a resident ID's notices fall in: the first two bytes of its MD5 (in
    SQL, the same for every batch, so the parts of two batches side by side touch different persons)."""

    arity = 2  # the resident ID, the number of parts
    output_field = IntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        id_sql, id_params = compiler.compile(self.source_expressions[0])
        parts_sql, parts_params = compiler.compile(self.source_expressions[1])
        digest = f"decode(md5({id_sql}), 'hex')"
        sql = f"mod(get_byte({digest}, 0) * 256 + get_byte({digest}, 1), {parts_sql})"
        return sql, (*id_params, *id_params, *parts_params)


def of_part(notices: QuerySet[ArrivalNotice], part: int, parts: int) -> QuerySet[ArrivalNotice]:
    """The notices of one part of a batch processed in `parts` parts: a set of persons."""
    if parts == 1:
        return notices
    return notices.alias(person_part=PersonPart("insured_id_no", Value(parts))).filter(person_part=part)


def first_notices(notices: QuerySet[ArrivalNotice]) -> dict[tuple[str, int], int]:
    """The first notice stored for each voucher line the notices carry or reverse, by key from the
    voucher lines (a join on the unique key, driven by the notices, whatever the table's size). The
    union's columns are named by its first part, the notices' own voucher_no and line_no."""
    own = notices.order_by().values_list("voucher_no", "line_no")
    reversed_ = (
        notices.exclude(reverses_voucher_no="").order_by().values_list("reverses_voucher_no", "reverses_line_no")
    )
    own_sql, own_params = own.query.sql_with_params()
    reversed_sql, reversed_params = reversed_.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT v.voucher_no, v.line_no, v.notice_id FROM {VoucherLine._meta.db_table} v "
            f"JOIN (SELECT * FROM ({own_sql}) o UNION SELECT * FROM ({reversed_sql}) r) m "
            "ON v.voucher_no = m.voucher_no AND v.line_no = m.line_no",
            [*own_params, *reversed_params],
        )
        return {(voucher, line): first for voucher, line, first in cursor.fetchall()}


def notices_update(rows: list[tuple[int, str, str, int | None, int | None]]) -> None:
    """(id, state, reason, person_id, receivable_id) for each processed notice."""
    now = timezone.now()
    if bulk.is_postgres():
        bulk.temp_table(
            "tmp_notice_state",
            "id bigint, state varchar(10), reason varchar(24), person_id bigint, receivable_id bigint",
        )
        bulk.copy_rows("tmp_notice_state", ("id", "state", "reason", "person_id", "receivable_id"), rows)
        bulk.execute(
            f"UPDATE {ArrivalNotice._meta.db_table} n SET state = t.state, reason = t.reason, "
            "person_id = t.person_id, receivable_id = t.receivable_id, processed_at = %s "
            "FROM tmp_notice_state t WHERE n.id = t.id",
            [now],
        )
        bulk.execute("DROP TABLE tmp_notice_state")
        return
    objs = [
        ArrivalNotice(id=i, state=s, reason=r, person_id=p, receivable_id=rv, processed_at=now)
        for i, s, r, p, rv in rows
    ]
    ArrivalNotice.objects.bulk_update(
        objs, ["state", "reason", "person_id", "receivable_id", "processed_at"], batch_size=500
    )


def receivables_insert(receivables: list[Receivable], *, user_id: int | None, at: dt.datetime) -> None:
    """New receivables by COPY and their history (one '+' row each) by one INSERT … SELECT, on
    PostgreSQL: the ORM's bulk create and simple-history's build a Python object a row twice over,
    which for a county's 20,000 government-paid receivables took most of ten seconds."""
    fields = [f for f in Receivable._meta.concrete_fields if f.column != "id"]
    columns = [f.column for f in fields]
    table = Receivable._meta.db_table
    # COPY goes to the driver's cursor: a duplicate number or source raises Django's IntegrityError,
    # which receivables_create_many catches to try again.
    with connection.wrap_database_errors:
        bulk.copy_rows(table, columns, ([getattr(r, f.attname) for f in fields] for r in receivables))
    listed = ", ".join(["id", *columns])
    bulk.execute(
        f"INSERT INTO {Receivable.history.model._meta.db_table} "
        f"({listed}, history_date, history_change_reason, history_type, history_user_id) "
        f"SELECT {listed}, %s, NULL, '+', %s FROM {table} WHERE number = ANY(%s)",
        [at, user_id, [r.number for r in receivables]],
    )
