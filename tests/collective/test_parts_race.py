"""A roster's rows paid, or taken back, by two parts of one batch at once (issue 14): the roster
shows paid once every row is, and not while one is taken back, whichever part commits first."""

from __future__ import annotations

import pytest

from collective import services
from collective.models import Roster, RosterRow
from payments import handlers, processing
from payments.models import NoticeBatch
from tests.accounts import county_tax_client
from tests.collective.conftest import TODAY, paid_member, rows_of, xlsx_file
from tests.payments.concurrency import hold_after, in_thread, part_of
from tests.payments.conftest import notice
from tests.payments.helpers import store

pytestmark = pytest.mark.django_db(transaction=True)


def _approved_roster(filing, village, accountant, reviewer, reviewer2) -> tuple[Roster, list[RosterRow]]:
    """An approved roster of members in both parts of two, and its rows in order."""
    members = [paid_member(village) for _ in range(4)]
    while {part_of(p.id_no) for p in members} != {0, 1}:
        members.append(paid_member(village))
    uploaded = services.roster_upload(filing, xlsx_file(rows_of(members)), "名单.xlsx", user=accountant, today=TODAY)
    roster = services.roster_submit(uploaded.roster, user=accountant, today=TODAY)
    roster = services.roster_review(roster, user=reviewer, today=TODAY)
    roster = services.roster_approve(roster, user=reviewer2, today=TODAY)
    return roster, list(roster.rows.select_related("receivable", "person").order_by("seq"))


def _paying(row: RosterRow) -> dict:
    """The village's payment of a row, as tax reports it."""
    return notice(
        row.person,
        voucher=f"COL{row.seq}",
        kind="collective",
        amount="200.00",
        receivable_no=row.receivable.number,
        paid_at="2026-11-24T10:00:00+08:00",
    )


def _side_by_side(monkeypatch, batch: NoticeBatch, first: int) -> None:
    """Part `first` holds its transaction open once the roster's handler has run; the other part
    runs meanwhile; then both commit."""
    hold = hold_after(monkeypatch, handlers, "receivables_paid", "first")
    one = in_thread(processing.batch_process, batch.pk, first, name="first")
    assert hold.holding.wait(30)
    other = in_thread(processing.batch_process, batch.pk, 1 - first, name="second")
    other.join(1)
    hold.released.set()
    one.join(60)
    other.join(60)
    assert not one.is_alive() and not other.is_alive()


@pytest.mark.parametrize("first", [0, 1])
def test_a_roster_paid_by_two_parts_at_once_is_paid(
    filing, village, accountant, reviewer, reviewer2, monkeypatch, first
):
    roster, rows = _approved_roster(filing, village, accountant, reviewer, reviewer2)
    batch = store(county_tax_client(rows[0].person), [_paying(r) for r in rows], "ROSTER-PARTS")
    assert batch.parts == 2

    _side_by_side(monkeypatch, batch, first)

    roster.refresh_from_db()
    assert roster.status == Roster.Status.PAID and roster.paid_at is not None
    assert not roster.rows.filter(paid_at__isnull=True).exists()
    batch.refresh_from_db()
    assert (batch.status, batch.credited_count) == ("processed", len(rows))


def test_a_roster_paid_in_one_part_while_another_takes_a_row_back_is_not_paid(
    filing, village, accountant, reviewer, reviewer2, monkeypatch
):
    roster, rows = _approved_roster(filing, village, accountant, reviewer, reviewer2)
    last = rows[0]  # paid in the second batch, beside the reversal of a row of the other part
    taken_back = next(r for r in rows if part_of(r.person.id_no) != part_of(last.person.id_no))
    client = county_tax_client(last.person)
    processing.batch_process(store(client, [_paying(r) for r in rows if r is not last], "ROSTER-FIRST").pk)
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
    batch = store(client, [_paying(last), reversal], "ROSTER-SECOND")
    assert batch.parts == 2

    # The part paying the last row sees every row paid; the other part takes a row back meanwhile.
    _side_by_side(monkeypatch, batch, part_of(last.person.id_no))

    roster.refresh_from_db()
    assert roster.status == Roster.Status.APPROVED and roster.paid_at is None
    unpaid = list(roster.rows.filter(paid_at__isnull=True).values_list("pk", flat=True))
    assert unpaid == [taken_back.pk]
