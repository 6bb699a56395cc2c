"""Who printed what, and the check-code lookup (issue 15): every print is recorded with what the form
said; the auditor reads the log beside the access log; a check code typed from paper shows what the
form said when it was printed, even after the document changed."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from insured.models import Role
from refunds import pdf as refunds_pdf
from subsidy import pdf as subsidy_pdf
from subsidy.models import SponsorshipApplication
from tests.factories import (
    InsuredPersonFactory,
    PrintRecordFactory,
    SponsorshipApplicationFactory,
    make_user,
    region_tree,
)

pytestmark = pytest.mark.django_db
Status = SponsorshipApplication.Status
LOG = reverse("insured:print-log")
VERIFY = reverse("insured:print-verify")


@pytest.fixture
def world():
    here, there = region_tree("211370", "本县"), region_tree("622901", "别县")
    clerk = make_user(Role.CLERK, here["county"], username="clerk-l", last_name="李", first_name="经办")
    reviewer = make_user(Role.REVIEWER, here["county"], username="reviewer-l", last_name="赵", first_name="复核")
    person = InsuredPersonFactory(village=here["village11"], name="王秀兰")
    application = SponsorshipApplicationFactory(
        beneficiary=person,
        submitted_by=clerk,
        status=Status.APPROVED,
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
        check_code="K7M2Q9XA",
    )
    return {
        "here": here,
        "there": there,
        "clerk": clerk,
        "person": person,
        "application": application,
        "auditor": make_user(Role.AUDITOR, here["county"], username="auditor-l"),
        "far_auditor": make_user(Role.AUDITOR, there["county"], username="far-auditor-l"),
        "village": make_user(Role.VILLAGE_ACCOUNTANT, here["village11"], username="village-l"),
        "far_village": make_user(Role.VILLAGE_ACCOUNTANT, here["village12"], username="village-l2"),
    }


# --- The log ---------------------------------------------------------------------------------------


def test_the_auditor_reads_who_printed_what_in_their_region(client, world):
    subsidy_pdf.application_pdf(world["application"], printed_by=world["clerk"])
    PrintRecordFactory(region=world["there"]["village11"], number="ZZ-ELSEWHERE")
    client.force_login(world["auditor"])
    response = client.get(LOG)
    body = response.content.decode()
    assert response.status_code == 200
    assert world["application"].number in body and "李经办" in body and "K7M2Q9XA" in body
    assert "王秀兰（" in body and world["person"].masked_id_no in body
    assert world["person"].id_no not in body
    assert "ZZ-ELSEWHERE" not in body
    assert reverse("insured:access-log") in body  # beside the access log


def test_the_log_filters_by_form_number_and_days(client, world):
    PrintRecordFactory(region=world["here"]["village11"], number="ZZ-ONE", form="subsidy.application")
    PrintRecordFactory(region=world["here"]["village11"], number="TF-TWO", form="refunds.application", title="退费表")
    client.force_login(world["auditor"])
    body = client.get(LOG, {"form": "refunds.application"}).content.decode()
    assert "TF-TWO" in body and "ZZ-ONE" not in body
    body = client.get(LOG, {"number": "zz-one"}).content.decode()
    assert "ZZ-ONE" in body and "TF-TWO" not in body
    today = timezone.localdate()
    assert "ZZ-ONE" in client.get(LOG, {"date_from": today, "date_to": today}).content.decode()
    assert "ZZ-ONE" not in client.get(LOG, {"date_to": today.replace(year=today.year - 1)}).content.decode()


@pytest.mark.parametrize(
    "query",
    [{"date_from": "2026-13-40"}, {"date_from": "2026-12-05", "date_to": "2026-12-01"}, {"form": "nonsense"}],
)
def test_bad_log_filters_are_messages(client, world, query):
    client.force_login(world["auditor"])
    response = client.get(LOG, query)
    assert response.status_code == 200 and 'class="errorlist"' in response.content.decode()


def test_only_auditors_and_administrators_read_the_log(client, world):
    response = client.get(LOG)
    assert response.status_code == 302 and "login" in response.url
    for user in (world["clerk"], world["village"]):
        client.force_login(user)
        assert client.get(LOG).status_code == 403


# --- The check-code lookup -------------------------------------------------------------------------


def test_a_check_code_shows_what_the_form_said(client, world):
    subsidy_pdf.application_pdf(world["application"], printed_by=world["clerk"])
    client.force_login(world["clerk"])
    response = client.get(VERIFY, {"code": " k7m2-q9xa "})  # as typed from paper
    body = response.content.decode()
    assert response.status_code == 200 and 'id="verify-result"' in body
    assert world["application"].number in body
    assert "已审核通过，待签字确认" in body and "¥1,000.00（人民币壹仟元整）" in body and "赵复核" in body
    assert "The document has changed" not in body and "此表打印后" not in body


def test_a_form_printed_before_a_change_still_verifies_as_printed(client, world):
    """Printed approved, then withdrawn: the paper's code shows the printed facts, and says the
    document has changed since."""
    application = world["application"]
    subsidy_pdf.application_pdf(application, printed_by=world["clerk"])
    SponsorshipApplication.objects.filter(pk=application.pk).update(status=Status.WITHDRAWN)
    application.refresh_from_db()
    subsidy_pdf.application_pdf(application, printed_by=world["clerk"])

    client.force_login(world["auditor"])
    body = client.get(VERIFY, {"code": "K7M2Q9XA"}).content.decode()
    printed_first = body.index("已审核通过，待签字确认")
    assert "已撤回" in body
    assert 'class="bad changed"' in body
    # Two prints with different facts under one code: both shown, the newest first.
    assert body.index("已撤回") < printed_first


def test_an_old_check_code_of_a_changed_refund_still_verifies(client, world):
    """A refund's check code changes with its account: the old paper's code is found in the log."""
    from tests.factories import RefundApplicationFactory

    refund = RefundApplicationFactory(person=world["person"], check_code="OLDCODE1", account_no="6217002137000000001")
    refunds_pdf.application_pdf(refund, printed_by=world["clerk"])
    type(refund).objects.filter(pk=refund.pk).update(check_code="NEWCODE2", account_no="6217002137000000019")
    refund.refresh_from_db()
    refunds_pdf.application_pdf(refund, printed_by=world["clerk"])

    client.force_login(world["auditor"])
    body = client.get(VERIFY, {"code": "OLDCODE1"}).content.decode()
    assert "尾号0001" in body and 'class="bad changed"' in body and "NEWCODE2" in body
    body = client.get(VERIFY, {"code": "NEWCODE2"}).content.decode()
    assert "尾号0019" in body and 'class="bad changed"' not in body


def test_a_code_of_another_region_or_unknown_is_not_found(client, world):
    PrintRecordFactory(region=world["there"]["village11"], check_code="FARAWAY1")
    client.force_login(world["clerk"])
    for code in ("FARAWAY1", "NOSUCH99"):
        body = client.get(VERIFY, {"code": code}).content.decode()
        assert 'id="verify-result"' in body and 'class="card bad"' in body and "FARAWAY1</td>" not in body


def test_a_village_accountant_verifies_the_forms_of_their_village_only(client, world):
    PrintRecordFactory(region=world["here"]["village11"], check_code="MYVILL01")
    client.force_login(world["village"])
    assert "MYVILL01" in client.get(VERIFY, {"code": "MYVILL01"}).content.decode()
    client.force_login(world["far_village"])
    assert 'class="card bad"' in client.get(VERIFY, {"code": "MYVILL01"}).content.decode()


@pytest.mark.parametrize("code", ["", "!!", "x" * 40, "<script>", "１２３４５６７８"])
def test_a_bad_code_is_a_message(client, world, code):
    client.force_login(world["clerk"])
    response = client.get(VERIFY, {"code": code})
    assert response.status_code == 200 and "<script>" not in response.content.decode().split("</form>")[0][-200:]


def test_the_lookup_needs_a_login(client):
    response = client.get(VERIFY, {"code": "K7M2Q9XA"})
    assert response.status_code == 302 and "login" in response.url


def test_the_sponsorship_check_page_shows_the_printed_facts_too(client, world):
    application = world["application"]
    subsidy_pdf.application_pdf(application, printed_by=world["clerk"])
    client.force_login(world["clerk"])
    body = client.get(reverse("subsidy:verify"), {"code": "K7M2Q9XA"}).content.decode()
    assert application.number in body and "¥1,000.00（人民币壹仟元整）" in body
