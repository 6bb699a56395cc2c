"""The refunds API under /api/v1/refunds/: each step of notice 002 附件2 over HTTP, every refusal a
400 with the rule's code and nothing saved, the township's scope, other townships not found."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from insured.models import AccountEntry
from refunds.models import RefundApplication, RefundLine, RefundRequest, RefundTaxReport
from tests.refunds.conftest import CARD, PDF, PNG, TODAY, advance, duplicate_notice, take

pytestmark = pytest.mark.django_db
LIST = "/api/v1/refunds/"
D = Decimal


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: dt.date(2026, 12, 2))


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def _post(client: APIClient, url: str, body: dict | None = None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def _payload(person, **overrides) -> dict:
    body = {
        "person_id_no": person.id_no,
        "case": "employee_pension",
        "entries": list(person.entries.filter(kind="own").values_list("pk", flat=True)),
        "notices": [],
        "relation": "self",
        "applicant_name": person.name,
        "applicant_id_no": person.id_no,
        "applicant_phone": "13800000000",
        "bank_name": "中国农业银行演示县支行",
        "account_type": "card",
        "account_no": CARD,
        "account_name": person.name,
    }
    return body | overrides


def test_township_takes_an_application_over_the_api(person, staff):
    response = _post(_client(staff["town"]), LIST, _payload(person))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "received"
    assert (body["payee_amount"], body["fund_amount"]) == ("500.00", "60.00")
    assert sorted((x["kind"], x["destination"]) for x in body["lines"]) == [
        ("government_subsidy", "fund"),
        ("own", "payee"),
    ]
    assert person.id_no not in response.content.decode()  # IDs go out masked
    assert CARD not in response.content.decode()
    assert len(body["missing_copies"]) == 4


def test_copies_can_be_sent_as_multipart(person, staff):
    body = _payload(person)
    body["entries"] = body["entries"][0]
    body["id_card_copy"] = SimpleUploadedFile("id.png", PNG, "image/png")
    body["payment_proof"] = SimpleUploadedFile("p.pdf", PDF, "application/pdf")
    response = _client(staff["town"]).post(LIST, data=body, format="multipart")
    assert response.status_code == 201, response.content
    application = RefundApplication.objects.get()
    assert application.id_card_copy and application.payment_proof and not application.bank_card_copy


def test_a_copy_of_the_wrong_type_is_400_and_nothing_is_saved(person, staff):
    body = _payload(person)
    body["entries"] = body["entries"][0]
    body["id_card_copy"] = SimpleUploadedFile("id.png", b"GIF89a....", "image/png")
    response = _client(staff["town"]).post(LIST, data=body, format="multipart")
    assert response.status_code == 400 and "id_card_copy" in response.json()["errors"]
    assert RefundApplication.objects.count() == 0


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"account_no": CARD[:-1] + str((int(CARD[-1]) + 1) % 10)}, "card_number_invalid"),
        ({"account_name": "王大军"}, "account_name_not_payee"),
        ({"relation": "child"}, "payee_not_the_person"),
        ({"entries": []}, "refund_nothing_to_pay"),
        ({"entries": [999999]}, "refund_entry_other_person"),
    ],
)
def test_refusals_are_400_with_the_rules_code_and_nothing_saved(person, staff, override, code):
    response = _post(_client(staff["town"]), LIST, _payload(person, **override))
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert RefundApplication.objects.count() == 0 and RefundLine.objects.count() == 0


def test_an_amount_is_never_accepted(person, staff):
    response = _post(_client(staff["town"]), LIST, _payload(person, payee_amount="99999.00"))
    assert response.status_code == 201
    assert response.json()["payee_amount"] == "500.00"


def test_person_of_another_township_is_not_found(person, staff):
    response = _post(_client(staff["other_town"]), LIST, _payload(person))
    assert response.status_code == 400 and "person_id_no" in response.json()["errors"]


def test_access_anonymous_wrong_role_and_out_of_scope(person, staff):
    application = take(person, staff)
    detail = f"{LIST}{application.pk}/"
    assert _client().get(LIST).status_code in (401, 403)
    assert _post(_client(staff["reviewer"]), LIST, _payload(person)).status_code == 403
    assert _post(_client(staff["town"]), f"{detail}approve/").status_code == 403
    assert _client(staff["other_town"]).get(detail).status_code == 404
    assert _post(_client(staff["other_town"]), f"{detail}withdraw/").status_code == 404
    assert _client(staff["auditor"]).get(detail).status_code == 200
    assert _client(staff["village"]).get(LIST).status_code == 403
    listed = _client(staff["other_town"]).get(LIST).json()
    assert listed["count"] == 0


def test_the_whole_flow_over_the_api(person, staff, monkeypatch):
    application = RefundApplication.objects.get(pk=_post(_client(staff["town"]), LIST, _payload(person)).json()["id"])
    url = f"{LIST}{application.pk}/"
    copies = {
        "id_card_copy": SimpleUploadedFile("id.png", PNG, "image/png"),
        "bank_card_copy": SimpleUploadedFile("c.png", PNG, "image/png"),
        "payment_proof": SimpleUploadedFile("p.pdf", PDF, "application/pdf"),
        "evidence_copy": SimpleUploadedFile("e.pdf", PDF, "application/pdf"),
    }
    assert _client(staff["town"]).post(f"{url}correct/", data=copies, format="multipart").status_code == 200

    same = _post(_client(staff["town"]), f"{url}first-review/")
    assert (same.status_code, same.json()["code"]) == (400, "same_person")
    assert _post(_client(staff["town_b"]), f"{url}first-review/").status_code == 200
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: dt.date(2026, 11, 25))
    sent = _post(_client(staff["town_b"]), f"{LIST}hand-over/")
    assert sent.status_code == 200 and sent.json()["batch_month"] == "2026-11-01"
    assert _post(_client(staff["reviewer"]), f"{url}approve/").json()["status"] == "approved"

    early = _post(_client(staff["finance"]), f"{LIST}requests/", {"month": "2026-11"})
    assert (early.status_code, early.json()["code"]) == (400, "request_too_early")
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: dt.date(2026, 12, 2))
    made = _post(_client(staff["finance"]), f"{LIST}requests/", {"month": "2026-11"})
    assert made.status_code == 201 and made.json()["applications"] == [application.number]

    paid = _post(_client(staff["finance"]), f"{url}payment/", {"paid_on": "2026-12-02", "bank_reference": "NB77"})
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert AccountEntry.objects.filter(kind="refund").count() == 2
    report = _post(_client(staff["finance"]), f"{LIST}tax-reports/")
    assert report.status_code == 201 and report.json()["applications"] == [application.number]
    assert RefundTaxReport.objects.count() == 1
    steps = _client(staff["auditor"]).get(url).json()["steps"]
    assert len(steps) == 6


def test_return_and_failure_need_a_reason(person, staff):
    application = advance(take(person, staff), staff, "handed_over")
    url = f"{LIST}{application.pk}/"
    assert _post(_client(staff["reviewer"]), f"{url}return/", {"reason": ""}).json()["code"] == "reason_required"
    assert _post(_client(staff["reviewer"]), f"{url}return/", {"reason": "补充缴费证明"}).json()["status"] == "returned"


def test_failed_payment_over_the_api_leaves_the_ledger(person, staff):
    application = advance(take(person, staff), staff, "requested")
    before = AccountEntry.objects.count()
    response = _post(_client(staff["finance"]), f"{LIST}{application.pk}/payment-failed/", {"reason": "户名不符"})
    assert response.json()["status"] == "payment_failed"
    assert AccountEntry.objects.count() == before


def test_payment_date_must_be_a_date(person, staff):
    application = advance(take(person, staff), staff, "requested")
    response = _post(_client(staff["finance"]), f"{LIST}{application.pk}/payment/", {"paid_on": "yesterday"})
    assert response.status_code == 400 and "paid_on" in response.json()["errors"]


def test_cases_and_requests_are_listed(person, staff):
    advance(take(person, staff), staff, "requested")
    cases = _client(staff["town"]).get(f"{LIST}cases/").json()
    assert {c["code"] for c in cases} >= {"duplicate", "employee_pension", "death"}
    requests = _client(staff["auditor"]).get(f"{LIST}requests/").json()
    assert requests["count"] == 1 and requests["results"][0]["payee_total"] == "500.00"
    assert _client(staff["town"]).get(f"{LIST}requests/").status_code == 403
    assert RefundRequest.objects.count() == 1


def test_queue_payment_refund_over_the_api(person, staff):
    notice = duplicate_notice(person)
    response = _post(_client(staff["town"]), LIST, _payload(person, case="duplicate", entries=[], notices=[notice.pk]))
    assert response.status_code == 201
    assert response.json()["lines"][0]["source"] == f"{notice.voucher_no}/1"
    assert TODAY.year == 2026


def test_schema_contains_the_refund_paths(staff):
    response = _client(staff["reviewer"]).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in (
        "/api/v1/refunds/",
        "/api/v1/refunds/{id}/",
        "/api/v1/refunds/{id}/first-review/",
        "/api/v1/refunds/{id}/approve/",
        "/api/v1/refunds/{id}/payment/",
        "/api/v1/refunds/requests/",
        "/api/v1/refunds/tax-reports/",
        "/api/v1/refunds/hand-over/",
    ):
        assert path in paths, path


@pytest.mark.parametrize("body", ["null", "[]", '"text"'])
def test_a_correction_that_is_not_an_object_is_400_not_500(person, staff, body):
    application = take(person, staff)
    response = _client(staff["town"]).post(f"{LIST}{application.pk}/correct/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
