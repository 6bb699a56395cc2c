"""The weekly report 周报 (003 六(二)): its figures equal the progress page's as of the week's Sunday,
the week's change, the lagging villages, the XLSX and the PDF kept and listed, the Monday job made
once per county and week, any week on demand, and who may read and make it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse
from pypdf import PdfReader

from insured.models import Job, Role
from oversight.models import WeeklyReport
from oversight.selectors.progress import progress_figures
from oversight.services import reports
from tests.factories import make_user, region_tree

pytestmark = pytest.mark.django_db

WEEK = dt.date(2026, 3, 16)  # Monday; the Sunday is 22 March


def test_the_report_figures_equal_the_page_figures(world):
    figures = reports.weekly_figures(world.county, WEEK)
    page = progress_figures(world.county, 2026, dt.date(2026, 3, 22))
    assert figures.week_end == dt.date(2026, 3, 22) and figures.week_number == 12
    assert figures.total.now == page.total.now
    assert [w.now for w in figures.lines] == [line.now for line in page.lines]
    assert figures.total.line.last_year == page.total.last_year


def test_the_week_change_and_the_lagging_villages(world):
    figures = reports.weekly_figures(world.county, WEEK)
    # The week 16–22 March: the collective subsidy (3/20) and the sponsorship (3/21); nobody new paid.
    assert figures.total.week.paid == 0
    assert figures.total.week.total_amount == Decimal("1200.00")
    earlier = reports.weekly_figures(world.county, dt.date(2026, 3, 9))  # 9–15 March: B paid on the 10th
    assert earlier.total.week.paid == 1 and earlier.total.week.own.amount == Decimal("300.00")
    assert [(w.township, w.line.name) for w in figures.lagging] == [
        (world.tree["township1"].name, world.tree["village12"].name),
        (world.tree["township2"].name, world.tree["village22"].name),
    ]


def test_a_report_is_kept_with_both_files(world, settings):
    settings.AGENCY_NAME = "测试县社会保险事业服务中心"
    report = reports.weekly_report_make(world.county, WEEK + dt.timedelta(days=3))
    assert report.week_start == WEEK and report.made_by is None
    assert report.summary["total"]["paid"] == 5 and report.summary["total"]["paid_rate"] == "62.5"
    book = openpyxl.load_workbook(io.BytesIO(report.xlsx.read()))
    assert book.sheetnames == ["乡镇", "进度滞后的村", "逐周"]
    rows = list(book["乡镇"].iter_rows(values_only=True))
    assert rows[1][:5] == ("地区", "应缴费人数", "已缴费人数", "缴费率（%）", "本周新增")
    assert rows[2][0] == world.tree["township1"].name and rows[2][2] == 3
    total = next(r for r in rows if r[0] == "合计")
    assert total[1:4] == (8, 5, 62.5)
    text = "".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(report.pdf.read())).pages).split())
    assert "城乡居民基本养老保险征缴进度周报" in text and "测试县社会保险事业服务中心" in text
    assert "已缴费5人" in text and "62.5%" in text and world.tree["village22"].name in text


def test_making_a_week_again_replaces_its_files(world):
    first = reports.weekly_report_make(world.county, WEEK)
    old_name = first.pdf.name
    clerk = make_user(Role.CLERK, world.county)
    again = reports.weekly_report_make(world.county, WEEK, user=clerk)
    assert again.pk == first.pk and again.made_by == clerk
    assert WeeklyReport.objects.count() == 1 and again.history.count() == 2
    assert again.pdf.name != old_name


def test_the_monday_job_makes_last_week_once_per_county(world):
    made = reports.weekly_reports_make_all(today=dt.date(2026, 3, 23))
    assert [(r.county, r.week_start) for r in made] == [(world.county, WEEK)]
    assert reports.weekly_reports_make_all(today=dt.date(2026, 3, 23)) == []
    assert WeeklyReport.objects.count() == 1


def test_the_list_and_the_downloads(client, world):
    report = reports.weekly_report_make(world.county, WEEK)
    clerk = make_user(Role.CLERK, world.county)
    client.force_login(clerk)
    page = client.get(reverse("oversight:report-list"))
    assert page.status_code == 200 and "62.5%" in page.content.decode()
    xlsx = client.get(reverse("oversight:report-download", args=[report.pk, "xlsx"]))
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content).startswith(b"PK")
    pdf = client.get(reverse("oversight:report-download", args=[report.pk, "pdf"]))
    assert pdf["Content-Type"] == "application/pdf"
    assert client.get(reverse("oversight:report-download", args=[report.pk, "doc"])).status_code == 404


def test_any_week_on_demand_through_a_job(client, world, django_capture_on_commit_callbacks):
    clerk = make_user(Role.CLERK, world.county)
    client.force_login(clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("oversight:report-make"), {"day": "2026-03-18"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("insured:job-detail", args=[job.pk])
    job.refresh_from_db()
    assert job.state == "done", job.message
    assert WeeklyReport.objects.get().week_start == WEEK
    future = client.post(reverse("oversight:report-make"), {"day": "2999-01-01"})
    assert future.status_code == 200 and future.context["form"].errors


def test_who_reads_and_who_makes(client, world):
    report = reports.weekly_report_make(world.county, WEEK)
    client.force_login(make_user(Role.TOWNSHIP_OFFICE, world.tree["township1"]))
    assert client.get(reverse("oversight:report-list")).status_code == 403
    assert client.get(reverse("oversight:report-download", args=[report.pk, "pdf"])).status_code == 403
    client.force_login(make_user(Role.AUDITOR, world.county))
    assert client.get(reverse("oversight:report-list")).status_code == 200
    assert client.post(reverse("oversight:report-make"), {"day": "2026-03-18"}).status_code == 403
    other = region_tree("622901", "别县")
    client.force_login(make_user(Role.CLERK, other["county"]))
    assert client.get(reverse("oversight:report-download", args=[report.pk, "pdf"])).status_code == 404
    client.logout()
    assert client.get(reverse("oversight:report-list")).status_code == 302
