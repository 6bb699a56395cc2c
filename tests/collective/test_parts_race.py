"""A roster's rows paid by two parts of one batch at once (issue 14): the roster shows paid once
both have committed, whichever commits first."""

from __future__ import annotations

import hashlib
import threading

import pytest
from django.db import connection

from collective import services
from collective.models import Roster
from payments import handlers, processing
from tests.accounts import county_tax_client
from tests.collective.conftest import TODAY, paid_member, rows_of, xlsx_file
from tests.payments.conftest import notice
from tests.payments.helpers import store

pytestmark = pytest.mark.django_db(transaction=True)


def _part_of(id_no: str) -> int:
    """The part of two an ID number falls in (payments.storage.PersonPart)."""
    digest = hashlib.md5(id_no.encode()).digest()
    return (digest[0] * 256 + digest[1]) % 2


def _in_thread(target, name: str) -> threading.Thread:
    def run() -> None:
        try:
            target()
        finally:
            connection.close()

    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


@pytest.mark.parametrize("first", [0, 1])
def test_a_roster_paid_by_two_parts_at_once_is_paid(
    filing, village, accountant, reviewer, reviewer2, monkeypatch, first
):
    members = [paid_member(village) for _ in range(4)]
    while {_part_of(p.id_no) for p in members} != {0, 1}:
        members.append(paid_member(village))
    uploaded = services.roster_upload(filing, xlsx_file(rows_of(members)), "名单.xlsx", user=accountant, today=TODAY)
    roster = services.roster_submit(uploaded.roster, user=accountant, today=TODAY)
    roster = services.roster_review(roster, user=reviewer, today=TODAY)
    roster = services.roster_approve(roster, user=reviewer2, today=TODAY)
    rows = list(roster.rows.select_related("receivable", "person").order_by("seq"))
    notices = [
        notice(
            r.person,
            voucher=f"COL{r.seq}",
            kind="collective",
            amount="200.00",
            receivable_no=r.receivable.number,
            paid_at="2026-11-24T10:00:00+08:00",
        )
        for r in rows
    ]
    batch = store(county_tax_client(members[0]), notices, "ROSTER-PARTS")
    assert batch.parts == 2

    # The first part holds its transaction open once the roster's handler has run; the second part
    # pays its rows meanwhile.
    held, released = threading.Event(), threading.Event()
    real_paid = handlers.receivables_paid

    def paid_then_hold(receivable_ids):
        real_paid(receivable_ids)
        if threading.current_thread().name == "first":
            held.set()
            assert released.wait(30)

    monkeypatch.setattr(handlers, "receivables_paid", paid_then_hold)
    one = _in_thread(lambda: processing.batch_process(batch.pk, first), "first")
    assert held.wait(30)
    other = _in_thread(lambda: processing.batch_process(batch.pk, 1 - first), "second")
    other.join(1)
    released.set()
    one.join(60)
    other.join(60)
    assert not one.is_alive() and not other.is_alive()

    roster.refresh_from_db()
    assert roster.status == Roster.Status.PAID and roster.paid_at is not None
    assert not roster.rows.filter(paid_at__isnull=True).exists()
    batch.refresh_from_db()
    assert (batch.status, batch.credited_count) == ("processed", len(members))


def test_a_roster_paid_in_one_part_while_another_takes_a_row_back_is_not_paid(
    filing, village, accountant, reviewer, reviewer2, monkeypatch
):
    members = [paid_member(village) for _ in range(4)]
    while {_part_of(p.id_no) for p in members} != {0, 1}:
        members.append(paid_member(village))
    uploaded = services.roster_upload(filing, xlsx_file(rows_of(members)), "名单.xlsx", user=accountant, today=TODAY)
    roster = services.roster_submit(uploaded.roster, user=accountant, today=TODAY)
    roster = services.roster_review(roster, user=reviewer, today=TODAY)
    roster = services.roster_approve(roster, user=reviewer2, today=TODAY)
    rows = list(roster.rows.select_related("receivable", "person").order_by("seq"))
    last = rows[0]  # paid in the second batch, beside the reversal of a row of the other part
    taken_back = next(r for r in rows if _part_of(r.person.id_no) != _part_of(last.person.id_no))

    def paying(r) -> dict:
        return notice(
            r.person,
            voucher=f"COL{r.seq}",
            kind="collective",
            amount="200.00",
            receivable_no=r.receivable.number,
            paid_at="2026-11-24T10:00:00+08:00",
        )

    client = county_tax_client(members[0])
    processing.batch_process(store(client, [paying(r) for r in rows if r is not last], "ROSTER-FIRST").pk)
    roster.refresh_from_db()
    assert roster.status == Roster.Status.APPROVED  # one row still to pay
    reversal = notice(
        taken_back.person,
        voucher="REV",
        kind="collective",
        amount="200.00",
        paid_at="2026-11-25T10:00:00+08:00",
        reverses={"voucher_no": f"COL{taken_back.seq}", "line_no": 1},
    )
    batch = store(client, [paying(last), reversal], "ROSTER-SECOND")
    assert batch.parts == 2

    # The part paying the last row holds its transaction open once the roster's handler has run (it
    # sees every row paid); the other part takes a row back meanwhile.
    held, released = threading.Event(), threading.Event()
    real_paid = handlers.receivables_paid

    def paid_then_hold(receivable_ids):
        real_paid(receivable_ids)
        if threading.current_thread().name == "paying":
            held.set()
            assert released.wait(30)

    monkeypatch.setattr(handlers, "receivables_paid", paid_then_hold)
    pay_part = _part_of(last.person.id_no)
    one = _in_thread(lambda: processing.batch_process(batch.pk, pay_part), "paying")
    assert held.wait(30)
    other = _in_thread(lambda: processing.batch_process(batch.pk, 1 - pay_part), "reversing")
    other.join(1)
    released.set()
    one.join(60)
    other.join(60)
    assert not one.is_alive() and not other.is_alive()

    roster.refresh_from_db()
    assert roster.status == Roster.Status.APPROVED and roster.paid_at is None
    unpaid = list(roster.rows.filter(paid_at__isnull=True).values_list("pk", flat=True))
    assert unpaid == [taken_back.pk]
