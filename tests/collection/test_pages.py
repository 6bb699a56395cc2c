"""Collection's pages: the upload and the difference it shows, the errors of a refused list, the
township 台账, what the government still has to pay, the person panel; each cut to the user's role and
region (out of scope is a 404), IDs masked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from collection import services
from collection.models import GroupList
from insured.models import Role, SpecialGroupMembership
from tests.collection.conftest import list_csv
from tests.factories import MembershipFactory, make_user, region_tree

pytestmark = pytest.mark.django_db


def _upload(client, content: bytes, month: str = "2026-03"):
    return client.post(
        "/groups/upload/",
        {"department": " 县民政局 ", "list_month": month, "file": SimpleUploadedFile("民政.csv", content)},
    )


@pytest.fixture
def listed(tree, clerk, policy, person_at):
    """A list with a new member in each township and one who left."""
    a, b, gone = person_at("village11"), person_at("village21"), person_at("village12")
    MembershipFactory(person=gone)
    content = list_csv([(a.id_no, a.name, "低保对象"), (b.id_no, b.name, "低保对象")])
    result = services.group_list_import(
        county=tree["county"], list_month=dt.date(2026, 3, 1), department="县民政局", content=content,
        filename="l.csv", user=clerk,
    )  # fmt: skip
    return result.group_list, a, b, gone


def test_the_clerk_uploads_a_list_and_sees_its_difference(client, clerk, policy, person_at):
    person = person_at()
    client.force_login(clerk)
    response = _upload(client, list_csv([(person.id_no, person.name, "低保对象")]))

    group_list = GroupList.objects.get()
    assert response.status_code == 302 and response.url == f"/groups/lists/{group_list.pk}/"
    assert (group_list.department, group_list.list_month) == ("县民政局", dt.date(2026, 3, 1))
    page = client.get(response.url).content.decode()
    assert person.name in page and person.masked_id_no in page and person.id_no not in page
    assert 'id="count-new"' in page


def test_a_refused_list_shows_its_errors_row_by_row_and_saves_nothing(client, clerk, policy, person_at):
    person = person_at()
    client.force_login(clerk)
    page = _upload(client, list_csv([(person.id_no, person.name, "低收入户")])).content.decode()
    assert 'id="upload-errors"' in page and "低收入户" in page and 'id="error-sheet"' in page
    assert not GroupList.objects.exists() and not SpecialGroupMembership.objects.exists()


def test_a_list_for_a_future_month_is_refused(client, clerk, policy, person_at):
    person = person_at()
    client.force_login(clerk)
    page = _upload(client, list_csv([(person.id_no, person.name, "低保对象")]), month="2099-01").content.decode()
    assert not GroupList.objects.exists() and "group-list-upload" in page


def test_who_may_import(client, tree, policy, person_at):
    content = list_csv([(person_at().id_no, "某人", "低保对象")])
    assert _upload(client, content).status_code == 302  # anonymous: to the login page
    for role, region in ((Role.AUDITOR, tree["county"]), (Role.TOWNSHIP_OFFICE, tree["township1"])):
        client.force_login(make_user(role, region))
        assert _upload(client, content).status_code == 403
    assert not GroupList.objects.exists()


def test_a_township_office_sees_only_its_own_rows(client, tree, listed):
    group_list, a, b, gone = listed
    client.force_login(make_user(Role.TOWNSHIP_OFFICE, tree["township2"]))
    page = client.get(f"/groups/lists/{group_list.pk}/").content.decode()
    assert b.name in page and a.name not in page and gone.name not in page


def test_another_countys_list_is_not_found(client, listed):
    group_list = listed[0]
    other = region_tree("622901", "别县")
    client.force_login(make_user(Role.CLERK, other["county"]))
    assert client.get(f"/groups/lists/{group_list.pk}/").status_code == 404
    client.force_login(make_user(Role.TOWNSHIP_OFFICE, other["township1"]))
    assert client.get(f"/groups/lists/{group_list.pk}/").status_code == 404


def test_the_township_ledger_counts_and_names_the_people(client, tree, listed):
    _group_list, a, b, gone = listed
    client.force_login(make_user(Role.REVIEWER, tree["county"]))
    page = client.get("/groups/ledger/", {"township": tree["township1"].code, "month": "2026-03"}).content.decode()
    assert a.name in page and gone.name in page and b.name not in page
    client.force_login(make_user(Role.TOWNSHIP_OFFICE, tree["township2"]))
    page = client.get("/groups/ledger/", {"township": tree["township1"].code}).content.decode()
    assert tree["township2"].name in page and a.name not in page  # another township: its own instead


def test_the_ledger_filters_by_outcome(client, tree, listed):
    _group_list, a, _b, gone = listed
    client.force_login(make_user(Role.AUDITOR, tree["county"]))
    page = client.get("/groups/ledger/", {"township": tree["township1"].code, "outcome": "left"}).content.decode()
    assert gone.name in page and a.name not in page


def test_the_gov_paid_page_lists_what_is_unpaid_with_the_deadline(client, tree, listed):
    _group_list, a, b, _gone = listed  # the import generated a receivable for a and b
    client.force_login(make_user(Role.FINANCE, tree["county"]))
    page = client.get("/gov-paid/").content.decode()
    assert a.name in page and b.name in page and a.id_no not in page
    assert 'id="gov-paid-deadline"' in page and "2026" in page
    assert "gov-paid-generate" not in page  # finance reads; the county clerk generates
    client.force_login(make_user(Role.TOWNSHIP_OFFICE, tree["township1"]))
    page = client.get("/gov-paid/").content.decode()
    assert a.name in page and b.name not in page


def test_the_clerk_generates_the_missing_receivables(client, tree, clerk, policy, person_at):
    MembershipFactory(person=person_at())
    client.force_login(clerk)
    response = client.post("/gov-paid/generate/")
    assert response.status_code == 302
    assert client.post("/gov-paid/generate/").status_code == 302
    from payments.models import Receivable

    assert Receivable.objects.filter(kind="government_paid").count() == 1
    client.force_login(make_user(Role.REVIEWER, tree["county"]))
    assert client.post("/gov-paid/generate/").status_code == 403


def test_the_person_page_shows_the_memberships_and_the_receivable(client, tree, clerk, listed):
    _group_list, a, _b, _gone = listed
    client.force_login(clerk)
    page = client.get(f"/persons/{a.pk}/").content.decode()
    panel = page.split('id="collection-panel"')[1]
    assert "县民政局" in panel and "2026-03" in panel
    assert a.receivables.get(kind="government_paid").number in page


def test_the_template_downloads(client, clerk):
    client.force_login(clerk)
    response = client.get("/groups/template.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"


def test_the_difference_the_ledger_and_the_unpaid_export_to_excel_masked(client, tree, listed):
    import io

    from openpyxl import load_workbook

    group_list, a, _b, _gone = listed
    client.force_login(make_user(Role.AUDITOR, tree["county"]))
    for url in (
        f"/groups/lists/{group_list.pk}/export.xlsx",
        f"/groups/ledger/export.xlsx?township={tree['township1'].code}",
        "/gov-paid/export.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        cells = [
            c for row in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True) for c in row
        ]
        assert a.name in cells and a.masked_id_no in cells and a.id_no not in cells
    assert client.get("/groups/ledger/export.xlsx?township=999999999999").status_code == 404
    other = region_tree("622901", "别县")
    client.force_login(make_user(Role.CLERK, other["county"]))
    assert client.get(f"/groups/lists/{group_list.pk}/export.xlsx").status_code == 404


def test_a_long_list_is_imported_by_a_background_job(client, clerk, policy, person_at, monkeypatch):
    from collection import layouts
    from insured import jobs
    from insured.models import Job

    monkeypatch.setattr(layouts, "SYNC_ROWS", 1)
    a, b = person_at(), person_at()
    client.force_login(clerk)
    response = _upload(client, list_csv([(a.id_no, a.name, "低保对象"), (b.id_no, b.name, "低保对象")]))
    job = Job.objects.get()
    assert response.url == f"/jobs/{job.pk}/" and not GroupList.objects.exists()
    jobs.job_run(job.pk)
    job.refresh_from_db()
    assert job.state == "done" and GroupList.objects.get().new_count == 2
    assert f"/groups/lists/{GroupList.objects.get().pk}/" in job.result["url"]


def test_an_import_locks_the_county_first(tree, clerk, policy, person_at):
    """Two imports of one county at once queue on the county's row: each sees the other's memberships."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = person_at()
    with CaptureQueriesContext(connection) as captured:
        services.group_list_import(
            county=tree["county"], list_month=dt.date(2026, 3, 1), department="县民政局",
            content=list_csv([(a.id_no, a.name, "低保对象")]), filename="l.csv", user=clerk,
        )  # fmt: skip
    locks = [q["sql"] for q in captured if "FOR UPDATE" in q["sql"]]
    assert locks and '"insured_region"' in locks[0]
