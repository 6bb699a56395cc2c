"""The collective subsidy API: the roster upload (201 saved, 200 dry run, 400 with every error row by
row and nothing saved, row null for the file), the reads and the steps, scope and roles, and the
OpenAPI schema."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from collective.models import Roster, RosterRow
from tests.collective.conftest import csv_file, row, rows_of, xlsx_file
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return APIClient()


def _upload(api, filing, content: bytes, name: str = "名单.xlsx", **extra):
    return api.post(
        f"/api/v1/collective/filings/{filing.pk}/rosters/",
        {"file": SimpleUploadedFile(name, content), **extra},
        format="multipart",
    )


def test_a_clean_roster_is_saved_201(api, filing, members, accountant):
    api.force_authenticate(accountant)

    response = _upload(api, filing, xlsx_file(rows_of(members)))

    assert response.status_code == 201
    roster = Roster.objects.get()
    assert response.json() == {"id": roster.pk, "count": 4, "total": "800.00"}
    assert roster.status == Roster.Status.DRAFT and RosterRow.objects.count() == 4


def test_a_dry_run_checks_and_saves_nothing_200(api, filing, members, accountant):
    api.force_authenticate(accountant)

    response = _upload(api, filing, csv_file(rows_of(members), "gb18030"), "名单.csv", dry_run="true")

    assert response.status_code == 200
    assert response.json() == {"id": None, "count": 4, "total": "800.00"}
    assert not Roster.objects.exists()


def test_every_error_row_by_row_and_nothing_saved_400(api, filing, members, accountant):
    api.force_authenticate(accountant)
    rows = rows_of(members)
    rows[1][3] = "2.11370E+17"
    rows[2][1] = "冒名"

    response = _upload(api, filing, xlsx_file(rows))

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "roster_invalid"
    assert [(e["row"], e["line"], e["column"], e["code"]) for e in body["errors"]] == [
        (2, 3, "公民身份号码", "id_exponent"),
        (3, 4, "姓名", "name_mismatch"),
    ]
    assert all(e["message"] for e in body["errors"])
    assert not Roster.objects.exists() and not RosterRow.objects.exists()


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"\x00\x01 not a spreadsheet", "encoding_unknown"),
        ("序号,姓名,公民身份号码,补助金额\n1,王,1,2\n".encode(), "column_missing"),
        (
            ",".join(["序号", "姓名", "性别", "公民身份号码", "补助金（资助）金额", "补助或资助类型"]).encode(),
            "no_rows",
        ),
    ],
)
def test_a_file_that_is_no_roster_is_400_with_row_null(api, filing, accountant, content, code):
    api.force_authenticate(accountant)
    response = _upload(api, filing, content, "x.csv")
    assert response.status_code == 400
    assert [(e["row"], e["code"]) for e in response.json()["errors"]] == [(None, code)]


def test_a_missing_file_field_is_400_with_row_null(api, filing, accountant):
    api.force_authenticate(accountant)
    response = api.post(f"/api/v1/collective/filings/{filing.pk}/rosters/", {}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"][0]["row"] is None


def test_scope_and_roles_on_the_upload(api, filing, members, other_village, clerk, county):
    content = xlsx_file(rows_of(members))
    assert _upload(api, filing, content).status_code in (401, 403)  # anonymous
    api.force_authenticate(make_user("village_accountant", other_village, username="village2"))
    assert _upload(api, filing, content).status_code == 404
    api.force_authenticate(clerk)  # in scope, but a village's roster is the village's
    assert _upload(api, filing, content).status_code == 403
    api.force_authenticate(make_user("tax_client", county, username="tax1"))
    assert _upload(api, filing, content).status_code == 403
    assert not Roster.objects.exists()


def test_the_steps_over_the_api(api, filing, members, accountant, reviewer, reviewer2):
    api.force_authenticate(accountant)
    roster_id = _upload(api, filing, xlsx_file(rows_of(members))).json()["id"]
    assert api.post(f"/api/v1/collective/rosters/{roster_id}/submit/").json()["status"] == "submitted"

    api.force_authenticate(reviewer)
    too_early = api.post(f"/api/v1/collective/rosters/{roster_id}/approve/")
    assert too_early.status_code == 400 and too_early.json()["code"] == "wrong_state"  # the first review comes first
    assert api.post(f"/api/v1/collective/rosters/{roster_id}/review/").json()["status"] == "reviewed"
    refused = api.post(f"/api/v1/collective/rosters/{roster_id}/approve/")
    assert refused.status_code == 400 and refused.json()["code"] == "same_person"

    api.force_authenticate(reviewer2)
    approved = api.post(f"/api/v1/collective/rosters/{roster_id}/approve/").json()
    assert approved["status"] == "approved" and approved["total"] == "800.00" and approved["paid_count"] == 0

    rows = api.get(f"/api/v1/collective/rosters/{roster_id}/rows/").json()["results"]
    assert len(rows) == 4 and rows[0]["receivable"].startswith("YS")
    assert rows[0]["id_no"] == members[0].masked_id_no  # a list shows masked IDs
    listed = api.get("/api/v1/collective/filings/", {"year": 2026}).json()["results"]
    assert [f["number"] for f in listed] == [filing.number]


def test_the_clerk_does_first_reviews_but_not_approvals(api, filing, members, accountant, clerk):
    api.force_authenticate(accountant)
    roster_id = _upload(api, filing, xlsx_file(rows_of(members))).json()["id"]
    api.post(f"/api/v1/collective/rosters/{roster_id}/submit/")
    api.force_authenticate(clerk)  # the clerk does first reviews, not approvals
    assert api.post(f"/api/v1/collective/rosters/{roster_id}/review/").status_code == 200
    assert api.post(f"/api/v1/collective/rosters/{roster_id}/approve/").status_code == 403
    rejected = api.post(f"/api/v1/collective/rosters/{roster_id}/reject/", {"reason": ""}, format="json")
    assert rejected.status_code == 400 and rejected.json()["code"] == "reason_required"


def test_the_upload_is_documented_in_the_openapi_schema(api, clerk):
    api.force_authenticate(clerk)  # the schema is for the roles whose systems use the API
    schema = api.get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/collective/filings/{id}/rosters/"]["post"]
    assert "multipart/form-data" in operation["requestBody"]["content"]
    assert {"200", "201", "400", "403", "404"} <= set(operation["responses"])
    errors = schema["components"]["schemas"]["RosterInvalidOutput"]["properties"]["errors"]
    assert errors["items"]["$ref"].endswith("RowErrorOutput")


def test_a_social_sponsorship_upload_is_the_clerks(api, clerk, county, members):
    from collective import services
    from tests.collective.conftest import TODAY

    sponsor = services.SponsorInput("person", "王大军", _sponsor_id(), "13800000000", "", 2026)
    filing = services.social_filing_create(sponsor, user=clerk, agency_region=county, today=TODAY)
    api.force_authenticate(clerk)
    response = _upload(api, filing, xlsx_file([row(1, members[0], "300.00", kind="社会资助")]))
    assert response.status_code == 201
    assert Roster.objects.get().filing.payer_code == _sponsor_id()


def _sponsor_id() -> str:
    import datetime as dt

    from tests.factories import make_id_no

    return make_id_no(dt.date(1985, 6, 1), 321)
