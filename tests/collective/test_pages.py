"""The pages of collective subsidy for every role: what each may open and do, out of scope is 404,
a role without the capability 403, anonymous to the login page; and the upload page as the village
accountant uses it (errors row by row, the error sheet, nothing saved; then the corrected file)."""

from __future__ import annotations

import base64
import io
import re

import openpyxl
import pytest

from collective import services
from collective.models import Filing, Organisation, Roster
from insured.models import Job
from tests.collective.conftest import TODAY, csv_file, paid_member, rows_of, xlsx_file
from tests.factories import FilingFactory, OrganisationFactory, make_user, region_tree

pytestmark = pytest.mark.django_db


@pytest.fixture
def roster(filing, members, accountant, reviewer, reviewer2):
    roster = services.roster_upload(
        filing, xlsx_file(rows_of(members)), "名单.xlsx", user=accountant, today=TODAY
    ).roster
    services.roster_submit(roster, user=accountant, today=TODAY)
    services.roster_review(roster, user=reviewer, today=TODAY)
    return services.roster_approve(roster, user=reviewer2, today=TODAY)


@pytest.fixture
def staff(county, village, other_village, accountant, clerk, reviewer):
    township = village.parent
    other_township = county.children.exclude(pk=township.pk).first()
    elsewhere = region_tree("211371", "另一县")
    return {
        "village": accountant,
        "other_village": make_user("village_accountant", other_village, username="village2"),
        "township": make_user("township_office", township, username="township1"),
        "other_township": make_user("township_office", other_township, username="township2"),
        "clerk": clerk,
        "reviewer": reviewer,
        "finance": make_user("finance", county, username="finance1"),
        "auditor": make_user("auditor", county, username="auditor1"),
        "admin": make_user("administrator", county, username="admin1"),
        "other_county": make_user("clerk", elsewhere["county"], username="clerk-elsewhere"),
        "tax": make_user("tax_client", county, username="tax1"),
    }


READERS = {"village", "township", "clerk", "reviewer", "finance", "auditor", "admin"}
OUT_OF_SCOPE = {"other_village", "other_township", "other_county"}


def _urls(roster) -> list[str]:
    filing = roster.filing
    return [
        f"/collective/organisations/{filing.organisation_id}/",
        f"/collective/filings/{filing.pk}/",
        f"/collective/filings/{filing.pk}/filing.pdf",
        f"/collective/rosters/{roster.pk}/",
        f"/collective/rosters/{roster.pk}/roster.pdf",
        f"/collective/rosters/{roster.pk}/notice.pdf",
        f"/collective/rosters/{roster.pk}/source",
        f"/api/v1/collective/filings/{filing.pk}/",
        f"/api/v1/collective/rosters/{roster.pk}/",
        f"/api/v1/collective/rosters/{roster.pk}/rows/",
    ]


@pytest.mark.parametrize("who", sorted(READERS | OUT_OF_SCOPE))
def test_who_may_read_what(client, roster, staff, who):
    client.force_login(staff[who])
    expected = 200 if who in READERS else 404
    for url in _urls(roster):
        assert client.get(url).status_code == expected, url
    home = client.get("/collective/")
    assert home.status_code == 200
    if who in OUT_OF_SCOPE:
        assert roster.number not in home.content.decode()


def test_the_tax_bureaus_machine_account_reads_nothing(client, roster, staff):
    client.force_login(staff["tax"])  # it cannot hold a session: every page asks for a login
    for url in [*_urls(roster), "/collective/"]:
        assert client.get(url).status_code in (302, 401, 403), url


def test_anonymous_is_sent_to_log_in(client, roster):
    for url in _urls(roster)[:7]:
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_lists_hold_only_what_is_in_scope(client, roster, staff, other_village):
    other_org = OrganisationFactory(village=other_village, name="外村合作社")
    FilingFactory(organisation=other_org, region=other_village)
    client.force_login(staff["village"])
    html = client.get("/collective/").content.decode()
    assert "测试一村股份经济合作社" in html and "外村合作社" not in html
    client.force_login(staff["township"])
    assert "外村合作社" in client.get("/collective/").content.decode()  # both villages are its own


@pytest.mark.parametrize(
    ("who", "step", "expected"),
    [
        ("township", "upload", 403),
        ("clerk", "upload", 403),  # a village's roster is the village's to upload
        ("other_village", "upload", 404),
        ("finance", "approve", 403),
        ("village", "approve", 403),
        ("auditor", "review", 403),
        ("other_county", "review", 404),
    ],
)
def test_steps_are_refused_to_the_wrong_role_and_out_of_scope(
    client, filing, members, accountant, staff, who, step, expected
):
    roster = services.roster_upload(filing, xlsx_file(rows_of(members)), "a.xlsx", user=accountant, today=TODAY).roster
    services.roster_submit(roster, user=accountant, today=TODAY)
    client.force_login(staff[who])
    if step == "upload":
        data = {"file": io.BytesIO(xlsx_file(rows_of(members)))}
        data["file"].name = "a.xlsx"
        response = client.post(f"/collective/filings/{filing.pk}/upload/", data)
    else:
        response = client.post(f"/collective/rosters/{roster.pk}/{step}/")
    assert response.status_code == expected
    roster.refresh_from_db()
    assert roster.status == Roster.Status.SUBMITTED
    assert Roster.objects.count() == 1


def _post_file(client, filing, content: bytes, name: str):
    upload = io.BytesIO(content)
    upload.name = name
    return client.post(f"/collective/filings/{filing.pk}/upload/", {"file": upload})


def test_the_village_uploads_with_errors_gets_the_error_sheet_then_the_corrected_file(
    client, filing, members, accountant
):
    client.force_login(accountant)
    rows = rows_of(members)
    rows[1][3] = "2.11370E+17"
    rows[3][4] = "200.005"

    response = _post_file(client, filing, xlsx_file(rows), "名单.xlsx")

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="upload-errors"' in html and "2.11370E+17" in html
    assert not Roster.objects.exists()
    link = re.search(r'id="error-sheet" href="data:([^;]+);base64,([^"]+)" download="([^"]+)"', html)
    assert link and link.group(3).endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(base64.b64decode(link.group(2))))
    sheet = book.worksheets[0]
    assert sheet.cell(row=3, column=7).value.startswith("公民身份号码")
    assert sheet.cell(row=5, column=7).value.startswith("补助金（资助）金额")
    assert sheet.cell(row=2, column=7).value is None

    response = _post_file(client, filing, xlsx_file(rows_of(members)), "名单-改.xlsx")

    roster = Roster.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/collective/rosters/{roster.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "800.00" in page and 'id="submit"' in page
    assert members[0].id_no not in page and members[0].masked_id_no in page  # lists show masked IDs


def test_a_gb18030_csv_with_errors_gets_its_error_sheet_in_gb18030(client, filing, members, accountant):
    client.force_login(accountant)
    rows = rows_of(members)
    rows[0][1] = "张冒名"
    html = _post_file(client, filing, csv_file(rows, "gb18030"), "名单.csv").content.decode()
    link = re.search(r'id="error-sheet" href="data:([^"]+);base64,([^"]+)"', html)
    assert "charset=gb18030" in link.group(1)
    assert "姓名：" in base64.b64decode(link.group(2)).decode("gb18030")


def test_a_long_roster_is_checked_in_the_background(
    client, filing, accountant, village, monkeypatch, django_capture_on_commit_callbacks
):
    from collective import rosters

    monkeypatch.setattr(rosters, "SYNC_ROWS", 2)
    persons = [paid_member(village) for _ in range(3)]
    client.force_login(accountant)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_file(client, filing, xlsx_file(rows_of(persons)), "长名单.xlsx")

    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == Job.State.DONE and job.requested_by == accountant
    roster = Roster.objects.get()
    assert roster.row_count == 3 and job.result["roster_id"] == roster.pk
    assert job.result["url"] == f"/collective/rosters/{roster.pk}/"
    assert not job.input_file


def test_a_long_roster_with_errors_gives_the_error_sheet_from_its_job(
    client, filing, accountant, village, monkeypatch, django_capture_on_commit_callbacks
):
    from collective import rosters

    monkeypatch.setattr(rosters, "SYNC_ROWS", 2)
    persons = [paid_member(village) for _ in range(3)]
    rows = rows_of(persons)
    rows[2][5] = "慰问金"
    client.force_login(accountant)

    with django_capture_on_commit_callbacks(execute=True):
        response = _post_file(client, filing, xlsx_file(rows), "长名单.xlsx")

    job = Job.objects.get()
    assert not Roster.objects.exists()
    assert job.state == Job.State.DONE and job.result["error_count"] == 1
    assert job.result["errors"][0]["code"] == "support_type_invalid"
    page = client.get(response["Location"]).content.decode()
    assert 'id="job-download"' in page and 'id="job-errors"' in page
    download = client.get(f"/jobs/{job.pk}/download")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    assert "补助或资助类型" in sheet.cell(row=4, column=7).value


def test_the_village_registers_its_organisation_and_the_clerk_records_the_virtual_unit(
    client, village, accountant, clerk
):
    import datetime as dt

    from tests.factories import make_id_no, make_uscc

    client.force_login(accountant)
    data = {
        "name": "南关村股份经济合作社",
        "uscc": make_uscc("N2", "211370", "MA0NGCUN").lower(),
        "village": village.pk,
        "address": "城关镇南关村",
        "legal_person_name": "刘长青",
        "legal_person_id_no": make_id_no(dt.date(1968, 4, 2), 511),
        "legal_person_phone": "13904700001",
        "handler_name": "刘春生",
        "handler_id_no": make_id_no(dt.date(1979, 9, 9), 613),
        "handler_phone": "13904700002",
        "taxpayer_id": "",
        "bank_name": "农村信用社",
        "bank_account": "6210 0000 1111",
    }
    response = client.post("/collective/organisations/new/", data)
    organisation = Organisation.objects.get()
    assert response.status_code == 302
    assert organisation.uscc == data["uscc"].upper() and organisation.taxpayer_id == organisation.uscc
    assert organisation.bank_account == "621000001111" and not organisation.can_file

    page = client.get(f"/collective/organisations/{organisation.pk}/plan/").content.decode()
    assert 'id="blocked"' in page

    client.force_login(clerk)
    client.post(f"/collective/organisations/{organisation.pk}/virtual-unit/", {"code": "xn2113700001"})
    organisation.refresh_from_db()
    assert organisation.virtual_unit_code == "XN2113700001" and organisation.virtual_unit_recorded_by == clerk


def test_a_bad_credit_code_is_refused_on_the_form(client, village, accountant):
    client.force_login(accountant)
    response = client.post(
        "/collective/organisations/new/", {"name": "x", "uscc": "N2211370MA0NGCUN00", "village": village.pk}
    )
    assert response.status_code == 200
    assert not Organisation.objects.exists()


def test_the_village_files_its_plan_with_the_minutes(client, organisation, accountant):
    client.force_login(accountant)
    minutes = io.BytesIO(b"%PDF-1.4 minutes")
    minutes.name = "会议记录.pdf"
    data = {
        "year": 2026,
        "proposed_on": "2026-03-01",
        "resolved_on": "2026-03-10",
        "attendance_expected": 40,
        "attendance_present": 35,
        "publicity_from": "2026-03-11",
        "publicity_to": "2026-03-18",
        "standard": "２００",
        "hardship_standard": "300",
        "planned_count": "80",
        "planned_total": "17,000.00",
        "declares_not_land_acquired": "on",
        "minutes": minutes,
    }
    response = client.post(f"/collective/organisations/{organisation.pk}/plan/", data)
    filing = Filing.objects.get()
    assert response.status_code == 302
    assert (filing.standard, filing.planned_total, filing.minutes_name) == (200, 17000, "会议记录.pdf")
    download = client.get(f"/collective/filings/{filing.pk}/minutes")
    assert b"".join(download.streaming_content) == b"%PDF-1.4 minutes"


def test_a_plan_without_the_declaration_is_refused(client, organisation, accountant):
    client.force_login(accountant)
    data = {
        "year": 2026,
        "resolved_on": "2026-03-10",
        "publicity_from": "2026-03-11",
        "publicity_to": "2026-03-18",
        "standard": "200",
        "planned_count": "10",
        "planned_total": "2000",
    }
    response = client.post(f"/collective/organisations/{organisation.pk}/plan/", data)
    assert response.status_code == 200 and not Filing.objects.exists()


def test_the_template_formats_the_id_column_as_text(client, accountant):
    client.force_login(accountant)
    response = client.get("/collective/template.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == [
        "序号",
        "姓名",
        "性别",
        "公民身份号码",
        "补助金（资助）金额",
        "补助或资助类型",
    ]
    assert sheet["D2"].number_format == "@"


def test_the_county_queue_and_the_steps_on_the_page(client, filing, members, accountant, reviewer, reviewer2):
    roster = services.roster_upload(filing, xlsx_file(rows_of(members)), "a.xlsx", user=accountant, today=TODAY).roster
    client.force_login(accountant)
    client.post(f"/collective/rosters/{roster.pk}/submit/")
    client.force_login(reviewer)
    assert roster.number in client.get("/collective/").content.decode()
    client.post(f"/collective/rosters/{roster.pk}/review/")
    page = client.get(f"/collective/rosters/{roster.pk}/").content.decode()
    assert 'id="first-reviewer"' in page and 'id="approve"' not in page
    client.force_login(reviewer2)
    client.post(f"/collective/rosters/{roster.pk}/approve/")
    roster.refresh_from_db()
    assert roster.status == Roster.Status.APPROVED
    page = client.get(f"/collective/rosters/{roster.pk}/").content.decode()
    assert 'id="print-notice"' in page and 'id="unpaid"' in page


def test_the_payment_forms_wait_for_the_approval(client, filing, members, accountant):
    roster = services.roster_upload(filing, xlsx_file(rows_of(members)), "a.xlsx", user=accountant, today=TODAY).roster
    client.force_login(accountant)
    assert client.get(f"/collective/rosters/{roster.pk}/notice.pdf").status_code == 404
    assert client.get(f"/collective/rosters/{roster.pk}/roster.pdf").status_code == 200


def test_the_person_page_shows_the_collective_subsidy(client, roster, members, reviewer):
    client.force_login(reviewer)
    html = client.get(f"/persons/{members[0].pk}/").content.decode()
    assert 'id="collective-rows"' in html and roster.number in html


def test_a_long_roster_prints_in_the_background(
    client, roster, reviewer, monkeypatch, django_capture_on_commit_callbacks
):
    from collective.views import rosters as roster_views

    monkeypatch.setattr(roster_views, "PDF_SYNC_ROWS", 2)
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(f"/collective/rosters/{roster.pk}/notice.pdf")
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == Job.State.DONE and job.result_name == f"{roster.number}-notice.pdf"
    download = client.get(f"/jobs/{job.pk}/download")
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_the_village_changes_its_organisation(client, organisation, accountant):
    client.force_login(accountant)
    page = client.get(f"/collective/organisations/{organisation.pk}/edit/")
    assert page.status_code == 200 and organisation.uscc in page.content.decode()
    data = {k: v for k, v in page.context["form"].initial.items()}
    data |= {"village": organisation.village.pk, "handler_phone": "13911112222"}
    response = client.post(f"/collective/organisations/{organisation.pk}/edit/", data)
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.handler_phone == "13911112222"
    assert organisation.history.count() == 2


def test_printing_a_roster_form_and_downloading_its_file_are_recorded(client, roster, members, auditor_user):
    from insured.models import AccessRecord

    client.force_login(auditor_user)
    client.get(f"/collective/rosters/{roster.pk}/notice.pdf")
    client.get(f"/collective/rosters/{roster.pk}/source")
    records = AccessRecord.objects.filter(user=auditor_user)
    assert set(records.filter(what="form").values_list("person_id", flat=True)) == {p.pk for p in members}
    assert records.filter(what="form").first().detail == f"{roster.number} notice"
    assert records.filter(what="export").count() == len(members)


@pytest.fixture
def auditor_user(county):
    return make_user("auditor", county, username="auditor9")
