"""The whole flow of notice 001 附件1: the village uploads a roster, submits it, the county reviews
it and another reviewer approves it, tax collects one receivable per row, the arrival notices credit
each member as collective subsidy without government subsidy, and the roster shows paid."""

from __future__ import annotations

from decimal import Decimal

import pytest

from collective import services
from collective.models import Roster, RosterRow
from insured.models import AccountEntry, PersonYear
from payments.models import Receivable
from tests.accounts import credit
from tests.collective.conftest import TODAY, rows_of, xlsx_file

pytestmark = pytest.mark.django_db


def _approved(filing, members, accountant, reviewer, reviewer2) -> Roster:
    result = services.roster_upload(filing, xlsx_file(rows_of(members)), "名单.xlsx", user=accountant, today=TODAY)
    roster = services.roster_submit(result.roster, user=accountant, today=TODAY)
    roster = services.roster_review(roster, user=reviewer, today=TODAY)
    return services.roster_approve(roster, user=reviewer2, today=TODAY)


def test_from_upload_to_credit(filing, members, accountant, reviewer, reviewer2):
    result = services.roster_upload(filing, xlsx_file(rows_of(members)), "名单.xlsx", user=accountant, today=TODAY)
    assert (result.count, result.total) == (4, Decimal("800.00"))
    roster = result.roster
    assert roster.status == Roster.Status.DRAFT and roster.row_count == 4
    assert roster.source_name == "名单.xlsx" and roster.source_file

    roster = services.roster_submit(roster, user=accountant, today=TODAY)
    assert roster.status == Roster.Status.SUBMITTED
    assert str(roster.first_review_due_on) == "2026-11-26"  # 3 working days after Monday 23 November

    roster = services.roster_review(roster, user=reviewer, today=TODAY)
    roster = services.roster_approve(roster, user=reviewer2, today=TODAY)

    assert roster.status == Roster.Status.APPROVED
    rows = list(roster.rows.select_related("receivable").order_by("seq"))
    assert all(r.receivable.kind == "collective" and r.receivable.payer_id == filing.organisation.uscc for r in rows)
    assert all(r.receivable.payer_name == filing.organisation.name and r.receivable.amount == 200 for r in rows)
    for person in members:
        assert PersonYear.objects.get(person=person, year=2026).support_reserved == Decimal("200.00")

    for r in rows:
        notice = credit(r.person, kind="collective", amount="200.00", receivable_no=r.receivable.number)
        assert notice.state == "credited"

    roster.refresh_from_db()
    assert roster.status == Roster.Status.PAID and roster.paid_at is not None
    assert not RosterRow.objects.filter(roster=roster, paid_at__isnull=True).exists()
    for person in members:
        year = PersonYear.objects.get(person=person, year=2026)
        assert (year.support_reserved, year.support_credited) == (Decimal("0.00"), Decimal("200.00"))
        kinds = sorted(AccountEntry.objects.filter(person=person).values_list("kind", flat=True))
        assert kinds == ["collective", "government_subsidy", "own"]  # rule 5: none beside the collective subsidy
    assert Receivable.objects.filter(status="paid", source_type=services.ROW_SOURCE_TYPE).count() == 4


def test_a_roster_partly_paid_is_still_waiting_and_a_reversal_reopens_it(
    filing, members, accountant, reviewer, reviewer2
):
    roster = _approved(filing, members, accountant, reviewer, reviewer2)
    rows = list(roster.rows.select_related("receivable").order_by("seq"))
    paid = [credit(r.person, kind="collective", amount="200.00", receivable_no=r.receivable.number) for r in rows]

    roster.refresh_from_db()
    assert roster.status == Roster.Status.PAID

    from tests.accounts import county_tax_client, push

    reversal = {
        "voucher_no": "REV1",
        "line_no": 1,
        "kind": "collective",
        "insured_id_number": rows[0].person.id_no,
        "insured_name": rows[0].person.name,
        "payer_name": filing.organisation.name,
        "payer_id": filing.organisation.uscc,
        "year": 2026,
        "amount": "200.00",
        "paid_at": "2026-11-24T10:00:00+08:00",
        "channel": "batch_client",
        "receivable_no": None,
        "reverses": {"voucher_no": paid[0].voucher_no, "line_no": 1},
        "tax_office_code": None,
        "agency_code": None,
    }
    push(county_tax_client(rows[0].person), [reversal])

    roster.refresh_from_db()
    assert roster.status == Roster.Status.APPROVED and roster.paid_at is None
    assert RosterRow.objects.get(pk=rows[0].pk).paid_at is None
    assert RosterRow.objects.filter(roster=roster, paid_at__isnull=False).count() == 3
