"""The summary form 汇总表 (001 附件4): what it counts (paid or approved, a year, a type, a period),
whose rows each user sees, the workbook, and a county's made in the background."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from collective import services, summary
from collective.models import RosterRow
from collective.summary import SummaryFilter
from insured.models import Job
from tests.accounts import credit
from tests.collective.conftest import TODAY, rows_of, xlsx_file
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(filing, members, accountant, reviewer, reviewer2):
    roster = services.roster_upload(filing, xlsx_file(rows_of(members)), "a.xlsx", user=accountant, today=TODAY).roster
    services.roster_submit(roster, user=accountant, today=TODAY)
    services.roster_review(roster, user=reviewer, today=TODAY)
    return services.roster_approve(roster, user=reviewer2, today=TODAY)


def _pay(roster, persons) -> None:
    for r in roster.rows.select_related("receivable", "person").filter(person__in=persons):
        credit(r.person, kind="collective", amount=f"{r.amount:.2f}", receivable_no=r.receivable.number)


def test_paid_rows_are_counted_by_default_approved_on_request(approved, members, reviewer):
    _pay(approved, members[:1])

    paid = summary.summary_for(reviewer, SummaryFilter(2026))
    counted = summary.summary_for(reviewer, SummaryFilter(2026, basis="approved"))

    assert (paid.count, paid.total) == (1, Decimal("200.00"))
    assert (counted.count, counted.total) == (4, Decimal("800.00"))
    assert summary.summary_for(reviewer, SummaryFilter(2025, basis="approved")).lines == []


def test_the_period_is_the_day_paid_in_beijing_time(approved, members, reviewer):
    _pay(approved, members[:2])
    RosterRow.objects.filter(person=members[0]).update(paid_at=dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC))
    RosterRow.objects.filter(person=members[1]).update(paid_at=dt.datetime(2026, 3, 31, 15, 59, tzinfo=dt.UTC))

    april = summary.summary_for(reviewer, SummaryFilter(2026, date_from=dt.date(2026, 4, 1)))
    march = summary.summary_for(reviewer, SummaryFilter(2026, date_to=dt.date(2026, 3, 31)))

    assert april.count == 1 and march.count == 1  # 00:30 on 1 April in Beijing is April's


def test_each_user_counts_only_their_region(approved, members, village, other_village):
    _pay(approved, members)
    elsewhere = make_user("village_accountant", other_village, username="village2")
    township = make_user("township_office", village.parent, username="township1")
    assert summary.summary_for(elsewhere, SummaryFilter(2026)).lines == []
    assert summary.summary_for(township, SummaryFilter(2026)).count == 4


def test_the_workbook_has_the_lines_the_total_in_capitals_and_the_signature_lines(approved, members, reviewer):
    _pay(approved, members)
    content = summary.summary_xlsx(summary.summary_for(reviewer, SummaryFilter(2026)), printed_by=reviewer)
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    values = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    assert values[2][:5] == (
        "序号",
        "苏木乡镇（街道）",
        "嘎查村（社区）委会名称",
        "补助（资助）人数",
        "集体补助（资助）总额",
    )
    assert values[3][3:5] == (4, 800)
    assert values[4][0] == "合计" and values[5][1] == "人民币捌佰元整"
    assert any(v and "业务制表人" in str(v) for row in values for v in row)


def test_a_township_prints_at_once_a_county_through_a_background_job(
    client, approved, members, village, reviewer, django_capture_on_commit_callbacks
):
    _pay(approved, members)
    township = make_user("township_office", village.parent, username="township1")
    client.force_login(township)
    response = client.get("/collective/summary/summary.pdf", {"year": 2026, "basis": "paid"})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")

    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get("/collective/summary/summary.xlsx", {"year": 2026, "basis": "paid"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/"
    assert job.state == Job.State.DONE and job.result["total"] == "800.00"
    download = client.get(f"/jobs/{job.pk}/download")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).worksheets[0]
    assert sheet["E4"].value == 800


def test_the_summary_page_shows_the_figures_and_refuses_a_reversed_period(client, approved, members, reviewer):
    _pay(approved, members)
    client.force_login(reviewer)
    html = client.get("/collective/summary/", {"year": 2026, "basis": "paid"}).content.decode()
    assert "人民币捌佰元整" in html and 'id="summary-pdf"' in html
    bad = client.get(
        "/collective/summary/", {"year": 2026, "basis": "paid", "date_from": "2026-05-01", "date_to": "2026-04-01"}
    )
    assert bad.status_code == 200 and 'id="summary-pdf"' not in bad.content.decode()
    assert client.get("/collective/summary/summary.pdf", {"year": "x"}).status_code == 400


def test_today_is_offered(client, reviewer):
    client.force_login(reviewer)
    assert f'value="{timezone.localdate().year}"' in client.get("/collective/summary/").content.decode()
