"""The unmatched queue offers, for each reason a payment waits, the action that resolves it or
says who must act (issue 13, item 10); the two-person assignment stays as it is."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from payments.models import ArrivalNotice, ManualAssignment
from payments.selectors import DEFAULT_REMEDY, REMEDIES, remedy_for
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, make_user
from tests.payments.conftest import notice
from tests.payments.helpers import process, stranger, support_receivable

pytestmark = pytest.mark.django_db
Reason = ArrivalNotice.Reason


def test_every_reason_has_its_remedy():
    assert set(REMEDIES) == set(Reason.values)
    for reason, remedy in REMEDIES.items():
        assert remedy.assign or remedy.refund or remedy.who, reason  # something resolves it, or someone


def test_an_unknown_reason_is_assigned_by_hand():
    assert remedy_for("something_new") is DEFAULT_REMEDY and DEFAULT_REMEDY.assign


@pytest.fixture
def clerk(policy):
    return make_user("clerk", policy.region, username="c1", last_name="李", first_name="晓梅")


def _row(client, voucher: str) -> str:
    page = client.get("/payments/queue/").content.decode()
    start = page.index(f"{voucher}/1")
    return page[start : page.index("</tr>", start)]


def test_a_second_own_contribution_needs_a_refund_which_the_township_takes(client, clerk, tax_client, insured):
    credit(insured, year=2026, amount="500.00")
    process(tax_client, [notice(insured, voucher="TWICE", amount="500.00")], batch_id="B-TWICE")
    assert ArrivalNotice.objects.get(voucher_no="TWICE").reason == Reason.OWN_ALREADY_PAID
    client.force_login(clerk)
    row = _row(client, "TWICE")
    assert "本笔为重复缴费，须退还缴费人" in row
    assert "须办理退费，由乡镇人社所受理退费申请" in row
    assert "/assign/" in row  # it may yet be someone else's payment


def test_an_unknown_person_is_registered_first_or_assigned(client, clerk, tax_client, insured):
    process(tax_client, [notice(stranger(insured.village), voucher="NOBODY")], batch_id="B-NOBODY")
    client.force_login(clerk)
    row = _row(client, "NOBODY")
    assert "尚未参保登记的，先办理参保登记再划账" in row
    assert 'href="/persons/new/"' in row and "/assign/" in row
    assert "退费" not in row


def test_a_wrong_government_paid_amount_is_for_tax_and_offers_no_assignment(client, clerk, tax_client, insured):
    process(tax_client, [notice(insured, voucher="GOV", kind="government_paid", amount="99.00")], batch_id="B-GOV")
    assert ArrivalNotice.objects.get(voucher_no="GOV").reason == Reason.GOV_PAID_MISMATCH
    client.force_login(clerk)
    row = _row(client, "GOV")
    assert "须由税务部门处理" in row and "须待税务部门处理后方可在此办理" in row
    assert "/assign/" not in row


def test_a_reviewer_sees_the_remedy_but_no_assign_button(client, policy, tax_client, insured):
    process(tax_client, [notice(stranger(insured.village), voucher="NOBODY")], batch_id="B-NOBODY")
    client.force_login(make_user("reviewer", policy.region))
    row = _row(client, "NOBODY")
    assert "先办理参保登记再划账" in row
    assert "/assign/" not in row and 'href="/persons/new/"' not in row


def test_a_proposed_assignment_shows_who_proposed_it_by_name(client, clerk, policy, tax_client, insured):
    process(tax_client, [notice(stranger(insured.village), voucher="NOBODY")], batch_id="B-NOBODY")
    waiting = ArrivalNotice.objects.get(voucher_no="NOBODY")
    ManualAssignment.objects.create(notice=waiting, person=insured, proposed_by=clerk)
    client.force_login(make_user("reviewer", policy.region, username="r1"))
    row = _row(client, "NOBODY")
    assert "经办人：李晓梅" in row and "经办人：c1" not in row  # by name, not login (the CSRF token may hold "c1")
    assert 'value="confirm"' in row


def test_the_queue_exports_with_its_remedies_and_masked_ids(client, clerk, tax_client, insured):
    unknown = stranger(insured.village)
    process(tax_client, [notice(unknown, voucher="NOBODY")], batch_id="B-NOBODY")
    client.force_login(clerk)
    response = client.get("/payments/queue/export.xlsx")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, line = rows[0], rows[1]
    assert line[header.index("电子税票号码")] == "NOBODY"
    assert line[header.index("公民身份号码")] == unknown.masked_id_no
    assert "先办理参保登记再划账" in line[header.index("处理办法")]


def test_the_queue_export_is_refused_to_the_village(client, policy, tax_client, insured):
    village = policy.region.children.first().children.first()
    client.force_login(make_user("village_accountant", village))
    assert client.get("/payments/queue/export.xlsx").status_code == 403


def test_a_payment_quoting_another_persons_paid_receivable_is_a_mismatch_to_assign_or_refund(
    client, clerk, tax_client, insured
):
    """Who a receivable is for is compared before its state: another person's receivable, paid or
    not, is a mismatch, which may be assigned, corrected by tax, or refunded to the payer."""
    receivable = support_receivable(insured)
    fields = {"kind": receivable.kind, "amount": f"{receivable.amount:.2f}", "receivable_no": receivable.number}
    process(tax_client, [notice(insured, voucher="OWNER", **fields)], batch_id="B-OWNER")
    assert ArrivalNotice.objects.get(voucher_no="OWNER").state == "credited"
    someone_else = InsuredPersonFactory(village=insured.village)
    process(tax_client, [notice(someone_else, voucher="OTHER", **fields)], batch_id="B-OTHER")
    assert ArrivalNotice.objects.get(voucher_no="OTHER").reason == Reason.RECEIVABLE_MISMATCH
    client.force_login(clerk)
    row = _row(client, "OTHER")
    assert "或请税务部门更正，或退还缴费人" in row
    assert "/assign/" in row and "退费" in row
