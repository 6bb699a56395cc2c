"""The sponsorship API: each step of notice 000 over HTTP, every refusal a 400 with the rule's
code and nothing saved, county staff only (000 五(一)), other counties not found."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from insured.models import AccountEntry, InsuredPerson, PersonYear, Region, Role
from payments.models import Receivable, TaxClient
from subsidy import services
from subsidy.models import SponsorshipApplication
from tests.factories import InsuredPersonFactory, first_village, make_id_no, make_user, region_tree
from tests.payments.conftest import SECRET, notice
from tests.payments.helpers import own_paid, process
from tests.subsidy.conftest import SPONSOR_ID, TODAY

pytestmark = pytest.mark.django_db

Status = SponsorshipApplication.Status
ZERO = Decimal("0.00")
LIST = "/api/v1/sponsorships/"
CHECK = "/api/v1/sponsorships/check/"
UNDER_18_ID = make_id_no(dt.date(2010, 1, 1), 55)  # 16 on TODAY
BAD_CHECK_DIGIT_ID = SPONSOR_ID[:17] + ("0" if SPONSOR_ID[17] != "0" else "1")


def _url(application: SponsorshipApplication, step: str = "") -> str:
    return f"{LIST}{application.pk}/{step + '/' if step else ''}"


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


def _client(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


def _post(client: APIClient, url: str, body: dict | None = None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def payload(beneficiary):
    def build(**overrides) -> dict:
        return {
            "sponsor_name": "王大军",
            "sponsor_id_no": SPONSOR_ID,
            "sponsor_phone": "13800000000",
            "relation": "child",
            "beneficiary_id_no": beneficiary.id_no,
            "year": 2026,
            "amount": "1000.00",
        } | overrides

    return build


@pytest.fixture
def submitted(sponsorship_input, clerk, county):
    return services.application_submit(sponsorship_input(), user=clerk, agency_region=county, today=TODAY)


@pytest.fixture
def approved(submitted, reviewer, county):
    return services.application_approve(submitted, user=reviewer, agency_region=county, today=TODAY)


@pytest.fixture
def signed(approved, clerk):
    return services.application_record_signatures(approved, user=clerk, today=TODAY)


@pytest.fixture
def tax(county):
    return TaxClient.objects.create(client_id="tax-test", name="税务", secret=SECRET, region=county)


@pytest.fixture
def other_county() -> dict[str, Region]:
    return region_tree("622901", "别县")


def _reserved(person: InsuredPerson) -> Decimal:
    row = PersonYear.objects.filter(person=person, year=2026).first()
    return row.support_reserved if row else ZERO


def _nothing_saved(beneficiary: InsuredPerson, applications: int = 0) -> None:
    assert SponsorshipApplication.objects.count() == applications
    assert Receivable.objects.count() == 0
    assert _reserved(beneficiary) == ZERO


# --- Create (submit) and check -------------------------------------------------------------------


def test_create_submits_the_application(payload, clerk, beneficiary):
    response = _post(_client(clerk), LIST, payload())

    assert response.status_code == 201, response.content
    body = response.json()
    application = SponsorshipApplication.objects.get()
    assert body["id"] == application.pk and body["number"] == application.number
    assert body["status"] == "submitted"
    assert body["amount"] == "1000.00"
    assert body["beneficiary"]["id_no"] == beneficiary.id_no and body["beneficiary"]["name"] == "王秀兰"
    assert body["submitted_by"] == clerk.username and body["reviewed_by"] is None
    assert body["receivable"] is None and body["credit"] is None
    assert (application.submitted_by, application.sponsor_id_no, application.amount) == (
        clerk,
        SPONSOR_ID,
        Decimal("1000.00"),
    )
    assert _reserved(beneficiary) == ZERO


def test_create_finds_the_beneficiary_by_id_in_lower_case(payload, clerk, policy):
    id_no = next(
        make_id_no(dt.date(1966, 3, 3), n) for n in range(1000) if make_id_no(dt.date(1966, 3, 3), n)[-1] == "X"
    )
    person = InsuredPersonFactory(village=first_village(policy.region), id_no=id_no, birth_date=dt.date(1966, 3, 3))
    own_paid(person)
    response = _post(_client(clerk), LIST, payload(beneficiary_id_no=id_no.lower()))
    assert response.status_code == 201, response.content
    assert SponsorshipApplication.objects.get().beneficiary == person


def test_check_returns_the_standing_and_saves_nothing(payload, clerk, reviewer, county, sponsorship_input, beneficiary):
    earlier = services.application_submit(
        sponsorship_input(amount=Decimal("1500.00")), user=clerk, agency_region=county, today=TODAY
    )
    services.application_approve(earlier, user=reviewer, agency_region=county, today=TODAY)

    response = _post(_client(clerk), CHECK, payload())

    assert response.status_code == 200, response.content
    assert response.json() == {
        "beneficiary": {
            "id": beneficiary.pk,
            "id_no": beneficiary.id_no,
            "name": "王秀兰",
            "person_no": beneficiary.person_no,
            "status": "enrolled",
            "village": beneficiary.village.name,
        },
        "standing": {
            "year": 2026,
            "has_own_contribution": True,
            "cap": "5000.00",
            "used": "1500.00",
            "room": "3500.00",
        },
    }
    assert SponsorshipApplication.objects.count() == 1
    assert _reserved(beneficiary) == Decimal("1500.00")


def test_check_refusal_names_the_rule(payload, clerk, beneficiary):
    response = _post(_client(clerk), CHECK, payload(sponsor_id_no=UNDER_18_ID))

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("sponsor_under_18", "sponsor_id_no")
    assert "规则6" in body["detail"] and "000号文件第一部分第（一）项" in body["detail"]
    _nothing_saved(beneficiary)


REFUSALS = [
    pytest.param({"sponsor_id_no": UNDER_18_ID}, "sponsor_under_18", id="rule6-under-18"),
    pytest.param({"sponsor_id_no": BAD_CHECK_DIGIT_ID}, "sponsor_id_invalid", id="bad-sponsor-id"),
    pytest.param({"sponsor_id_no": "2113701985"}, "sponsor_id_invalid", id="short-sponsor-id"),
    pytest.param({"year": 2025}, "past_year", id="rule4-past-year"),
    pytest.param({"year": 2027}, "future_year", id="rule4-future-year"),
    pytest.param({"amount": "0"}, "amount_not_positive", id="amount-zero"),
    pytest.param({"amount": "0.00"}, "amount_not_positive", id="amount-zero-cents"),
    pytest.param({"amount": "-100.00"}, "amount_not_positive", id="amount-negative"),
    pytest.param({"amount": "100.005"}, "amount_precision", id="amount-three-decimals"),
    pytest.param({"amount": "5000.01"}, "cap_exceeded", id="rule1-over-the-cap"),
]


@pytest.mark.parametrize(("change", "code"), REFUSALS)
@pytest.mark.parametrize("url", [LIST, CHECK])
def test_every_refusal_is_a_400_with_the_rule_code_and_nothing_saved(payload, clerk, beneficiary, url, change, code):
    response = _post(_client(clerk), url, payload(**change))

    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert response.json()["detail"]
    _nothing_saved(beneficiary)


def test_sponsor_who_is_the_beneficiary_is_refused(payload, clerk, beneficiary):
    response = _post(_client(clerk), LIST, payload(sponsor_id_no=beneficiary.id_no))
    assert response.status_code == 400
    assert response.json()["code"] == "sponsor_is_beneficiary"
    _nothing_saved(beneficiary)


def test_over_the_room_left_counting_what_is_approved_but_unpaid(payload, clerk, approved, beneficiary):
    response = _post(_client(clerk), LIST, payload(amount="4000.01"))

    assert response.status_code == 400
    body = response.json()
    assert (body["code"], body["field"]) == ("cap_exceeded", "amount")
    assert "规则1" in body["detail"] and "000号文件第二部分" in body["detail"]
    assert SponsorshipApplication.objects.count() == 1
    assert _reserved(beneficiary) == Decimal("1000.00")


@pytest.mark.parametrize(
    ("status", "code"),
    [(InsuredPerson.Status.RECEIVING, "receiving_benefits"), (InsuredPerson.Status.SUSPENDED, "not_enrolled")],
)
def test_beneficiary_not_enrolled_and_paying_is_refused(payload, clerk, beneficiary, status, code):
    InsuredPerson.objects.filter(pk=beneficiary.pk).update(status=status)
    response = _post(_client(clerk), LIST, payload())
    assert response.status_code == 400
    assert response.json()["code"] == code
    assert "规则3" in response.json()["detail"]
    _nothing_saved(beneficiary)


def test_own_contribution_not_arrived_is_refused(payload, clerk, policy, beneficiary):
    unpaid = InsuredPersonFactory(village=first_village(policy.region))
    response = _post(_client(clerk), LIST, payload(beneficiary_id_no=unpaid.id_no))
    assert response.status_code == 400
    assert response.json()["code"] == "own_contribution_missing"
    assert "规则2" in response.json()["detail"] and "000号文件第一部分第（三）项" in response.json()["detail"]
    _nothing_saved(beneficiary)


@pytest.mark.parametrize("amount", [1000, 1000.5, "1e3", "", None, "一千"])
@pytest.mark.parametrize("url", [LIST, CHECK])
def test_amount_that_is_not_a_decimal_string_is_refused(payload, clerk, beneficiary, url, amount):
    response = _post(_client(clerk), url, payload(amount=amount))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == ["amount"]
    _nothing_saved(beneficiary)


def test_form_encoded_body_is_refused(payload, clerk, beneficiary):
    response = _client(clerk).post(LIST, data=payload())
    assert response.status_code == 415
    _nothing_saved(beneficiary)


def test_beneficiary_outside_the_callers_scope_is_not_found(payload, clerk, beneficiary, other_county):
    outsider = InsuredPersonFactory(village=other_county["village11"], name="赵远方")
    response = _post(_client(clerk), LIST, payload(beneficiary_id_no=outsider.id_no))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "beneficiary_not_found" and body["errors"]["beneficiary_id_no"]
    assert "赵远方" not in response.content.decode()
    _nothing_saved(beneficiary)


def test_missing_fields_are_refused(clerk, beneficiary):
    response = _post(_client(clerk), LIST, {"amount": "100.00"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert {"sponsor_name", "sponsor_id_no", "beneficiary_id_no", "year", "relation"} <= set(body["errors"])
    _nothing_saved(beneficiary)


# --- List and detail -----------------------------------------------------------------------------


def test_list_and_filter_by_status(sponsorship_input, clerk, reviewer, county, approved):
    other = services.application_submit(
        sponsorship_input(amount=Decimal("200.00")), user=clerk, agency_region=county, today=TODAY
    )
    client = _client(reviewer)

    everything = client.get(LIST).json()
    assert everything["count"] == 2
    assert {row["id"] for row in everything["results"]} == {approved.pk, other.pk}

    only_submitted = client.get(LIST, {"status": "submitted"}).json()
    assert [row["id"] for row in only_submitted["results"]] == [other.pk]
    assert [row["id"] for row in client.get(LIST, {"status": "approved"}).json()["results"]] == [approved.pk]


def test_detail(clerk, approved, reviewer):
    response = _client(clerk).get(_url(approved))
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["status"], body["reviewed_by"]) == (approved.number, "approved", reviewer.username)
    assert body["sponsor_id_no"] == SPONSOR_ID and body["relation"] == "child"


# --- The steps -----------------------------------------------------------------------------------


def test_approve(reviewer, submitted, beneficiary):
    response = _post(_client(reviewer), _url(submitted, "approve"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    assert response.json()["reviewed_by"] == reviewer.username
    submitted.refresh_from_db()
    assert submitted.status == Status.APPROVED and submitted.reviewed_by == reviewer
    assert _reserved(beneficiary) == Decimal("1000.00")


def test_approve_over_the_cap_is_refused(sponsorship_input, clerk, reviewer, county, beneficiary):
    first, second = (
        services.application_submit(
            sponsorship_input(amount=Decimal("3000.00")), user=clerk, agency_region=county, today=TODAY
        )
        for _ in range(2)
    )
    client = _client(reviewer)
    assert _post(client, _url(first, "approve")).status_code == 200

    response = _post(client, _url(second, "approve"))

    assert response.status_code == 400
    assert response.json()["code"] == "cap_exceeded"
    second.refresh_from_db()
    assert second.status == Status.SUBMITTED
    assert _reserved(beneficiary) == Decimal("3000.00")


def test_the_maker_cannot_approve_or_reject(sponsorship_input, reviewer, county, beneficiary):
    # No role may both enter and review; should a user have entered one anyway, the service refuses.
    own = services.application_submit(sponsorship_input(), user=reviewer, agency_region=county, today=TODAY)
    client = _client(reviewer)

    for step, body in (("approve", {}), ("reject", {"reason": "重复申请"})):
        response = _post(client, _url(own, step), body)
        assert response.status_code == 400
        assert response.json()["code"] == "same_person"
    own.refresh_from_db()
    assert own.status == Status.SUBMITTED and own.reviewed_by is None
    assert _reserved(beneficiary) == ZERO


def test_approving_twice_is_refused(reviewer, approved, beneficiary):
    response = _post(_client(reviewer), _url(approved, "approve"))
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_state"
    assert _reserved(beneficiary) == Decimal("1000.00")


def test_reject_with_a_reason(reviewer, submitted, beneficiary):
    response = _post(_client(reviewer), _url(submitted, "reject"), {"reason": "资助人未到场"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["rejection_reason"]) == ("rejected", "资助人未到场")
    submitted.refresh_from_db()
    assert submitted.status == Status.REJECTED
    assert _reserved(beneficiary) == ZERO


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  "}])
def test_reject_needs_a_reason(reviewer, submitted, body):
    response = _post(_client(reviewer), _url(submitted, "reject"), body)
    assert response.status_code == 400
    assert (response.json()["code"], response.json()["field"]) == ("reason_required", "reason")
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_record_signatures_creates_the_receivable(clerk, approved):
    response = _post(_client(clerk), _url(approved, "record-signatures"))

    assert response.status_code == 200, response.content
    body = response.json()
    receivable = Receivable.objects.get()
    assert body["status"] == "signed" and body["signed_by"] == clerk.username
    assert body["receivable"] == {
        "number": receivable.number,
        "status": "open",
        "amount": "1000.00",
        "due_date": "2026-12-31",
        "paid_at": None,
    }
    assert (receivable.kind, receivable.payer_id) == ("sponsorship", SPONSOR_ID)


def test_record_signatures_before_approval_is_refused(clerk, submitted):
    response = _post(_client(clerk), _url(submitted, "record-signatures"))
    assert response.status_code == 400
    assert response.json()["code"] == "wrong_state"
    assert Receivable.objects.count() == 0


def test_withdraw_before_payment(clerk, signed, beneficiary):
    response = _post(_client(clerk), _url(signed, "withdraw"))

    assert response.status_code == 200
    assert response.json()["status"] == "withdrawn"
    assert response.json()["receivable"]["status"] == "cancelled"
    assert _reserved(beneficiary) == ZERO


def test_withdraw_after_credit_is_refused(clerk, signed, tax, beneficiary):
    process(
        tax,
        [
            notice(
                beneficiary,
                voucher="ZZ1",
                kind="sponsorship",
                amount="1000.00",
                receivable_no=signed.receivable.number,
                payer_name="王大军",
                payer_id=SPONSOR_ID,
            )
        ],
    )
    entries = AccountEntry.objects.count()

    response = _post(_client(clerk), _url(signed, "withdraw"))

    assert response.status_code == 400
    assert response.json()["code"] == "credited_no_refund"
    assert "规则9" in response.json()["detail"]
    signed.refresh_from_db()
    assert signed.status == Status.CREDITED
    assert AccountEntry.objects.count() == entries


def test_credited_application_shows_the_voucher_and_time(clerk, signed, tax, beneficiary):
    process(
        tax,
        [
            notice(
                beneficiary,
                voucher="ZZ1",
                kind="sponsorship",
                amount="1000.00",
                receivable_no=signed.receivable.number,
            )
        ],
    )
    body = _client(clerk).get(_url(signed)).json()
    assert body["status"] == "credited"
    assert body["credited_at"] is not None
    assert body["receivable"]["status"] == "paid" and body["receivable"]["paid_at"] is not None
    assert body["credit"]["voucher_no"] == "ZZ1"  # 000 三(三)2: the voucher and the time
    assert body["credit"]["paid_at"].startswith("2026-03-02T10:15:00")


# --- Who may: county staff only (000 五(一)), in their own county --------------------------------


def _every_endpoint(application: SponsorshipApplication, payload: dict) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", LIST, None),
        ("post", LIST, payload),
        ("post", CHECK, payload),
        *_application_endpoints(application),
    ]


def _application_endpoints(application: SponsorshipApplication) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", _url(application), None),
        ("post", _url(application, "approve"), {}),
        ("post", _url(application, "reject"), {"reason": "x"}),
        ("post", _url(application, "record-signatures"), {}),
        ("post", _url(application, "withdraw"), {}),
    ]


def _call(client: APIClient, method: str, url: str, body: dict | None):
    return client.get(url) if method == "get" else _post(client, url, body)


@pytest.mark.parametrize("role", [Role.TOWNSHIP_OFFICE, Role.VILLAGE_ACCOUNTANT])
def test_township_and_village_users_are_refused_every_endpoint(role, county, submitted, payload, beneficiary):
    region = first_village(county) if role == Role.VILLAGE_ACCOUNTANT else first_village(county).parent
    client = _client(make_user(role, region))

    for method, url, body in _every_endpoint(submitted, payload()):
        response = _call(client, method, url, body)
        assert response.status_code == 403, (method, url, response.status_code)
        assert "王秀兰" not in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert SponsorshipApplication.objects.count() == 1


def test_anonymous_is_refused_every_endpoint(submitted, payload):
    for method, url, body in _every_endpoint(submitted, payload()):
        response = _call(_client(), method, url, body)
        assert response.status_code in (401, 403), (method, url)
    assert SponsorshipApplication.objects.count() == 1


@pytest.mark.parametrize(
    ("role", "step", "body"),
    [
        (Role.CLERK, "approve", {}),
        (Role.CLERK, "reject", {"reason": "x"}),
        (Role.REVIEWER, "record-signatures", {}),
        (Role.REVIEWER, "withdraw", {}),
        (Role.AUDITOR, "withdraw", {}),
    ],
)
def test_a_step_needs_its_capability(role, step, body, county, submitted):
    response = _post(_client(make_user(role, county, username=f"{role}-x")), _url(submitted, step), body)
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_reviewer_cannot_create(reviewer, payload, beneficiary):
    assert _post(_client(reviewer), LIST, payload()).status_code == 403
    assert _post(_client(reviewer), CHECK, payload()).status_code == 403
    _nothing_saved(beneficiary)


def test_other_county_finds_no_application(other_county, submitted):
    # Each step tried by the other county's user who holds its capability: 404, not 403.
    clerk = _client(make_user(Role.CLERK, other_county["county"], username="other-clerk"))
    reviewer = _client(make_user(Role.REVIEWER, other_county["county"], username="other-reviewer"))
    steps = dict.fromkeys(("", "record-signatures", "withdraw"), clerk) | dict.fromkeys(("approve", "reject"), reviewer)

    for method, url, body in _application_endpoints(submitted):
        step = url.removeprefix(_url(submitted)).strip("/")
        response = _call(steps[step], method, url, body)
        assert response.status_code == 404, (url, response.status_code)
        assert "王秀兰" not in response.content.decode()
    assert clerk.get(LIST).json()["count"] == 0
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


# --- The schema ----------------------------------------------------------------------------------


def test_schema_contains_the_sponsorship_paths(clerk):
    response = _client(clerk).get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert set(paths[LIST]) >= {"get", "post"}
    assert "post" in paths[CHECK]
    assert "get" in paths["/api/v1/sponsorships/{id}/"]
    for step in ("approve", "reject", "record-signatures", "withdraw"):
        operation = paths[f"/api/v1/sponsorships/{{id}}/{step}/"]["post"]
        assert {"200", "400"} <= set(operation["responses"])
    create = paths[LIST]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("SponsorshipCreateInput")
    amount = response.json()["components"]["schemas"]["SponsorshipCreateInput"]["properties"]["amount"]
    assert amount["type"] == "string"
