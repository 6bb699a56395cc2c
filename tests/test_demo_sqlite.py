"""The `make run` demo runs on SQLite: migrate, load the demo county, load a notice batch
through the file route (processed in-process), and the ledger check agrees. The rest of the
suite runs on PostgreSQL only; this keeps the demo's own code paths honest."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.integration

SPONSOR = """
from decimal import Decimal
from django.contrib.auth.models import User
from django.utils import timezone
from insured.models import InsuredPerson, PersonYear
from subsidy import services
from subsidy.services import SponsorshipInput
clerk, reviewer = User.objects.get(username="clerk"), User.objects.get(username="reviewer")
region = clerk.staff.region
year = timezone.localdate().year
paid = PersonYear.objects.filter(year=year, own_arrived_on__isnull=False).values("person_id")
person = InsuredPerson.objects.filter(pk__in=paid, status="enrolled").order_by("person_no").first()
data = SponsorshipInput("王大军", "211370198506013215", "13800000000", "child", person, year, Decimal("1200.00"))
application = services.application_submit(data, user=clerk, agency_region=region)
application = services.application_approve(application, user=reviewer, agency_region=region)
services.application_record_signatures(application, user=clerk, agency_region=region)
"""


OVERSIGHT = """
import datetime as dt, io, openpyxl
from django.contrib.auth.models import User
from insured.models import Region
from oversight import demo
from oversight.models import WeeklyReport
from oversight.selectors import coverage as cover
from oversight.selectors.progress import progress_figures
from oversight.services import coverage
from payments import bank, reconciliation

def cells(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(values_only=True)]

made = demo.demo_files()
shipped = {name: open(f"fixtures/demo/{name}", "rb").read() for name in made}
assert cells(shipped[demo.EXTRACT_FILE]) == cells(made[demo.EXTRACT_FILE]), "the shipped extract is not the demo's"
for name in (demo.STUDENTS_FILE, demo.BANK_FILE):
    assert shipped[name] == made[name], f"{name} is not the demo's"

users = {u.username: u for u in User.objects.all()}
county, chengguan = Region.objects.get(code="211370000000"), Region.objects.get(code=demo.CHENGGUAN)
progress = progress_figures(county, 2026, dt.date(2026, 11, 22))
assert [line.name for line in progress.lines] == ["城关镇", "东岭镇", "西河乡"], progress.lines
assert progress.total.now.paid > 0 and progress.total.last_year.paid > 0
report = WeeklyReport.objects.get(county=county)
assert report.xlsx.read().startswith(b"PK") and report.pdf.read().startswith(b"%PDF")

today = dt.date(2026, 11, 22)
coverage.extract_import(township=chengguan, content=shipped[demo.EXTRACT_FILE], filename=demo.EXTRACT_FILE,
                        user=users["township"], data_date=demo.EXTRACT_DATE)
gap_before = cover.gap_records(county, today).count()
coverage.department_list_import(county=county, kind="student", department="演示县教育局",
                                content=shipped[demo.STUDENTS_FILE], filename=demo.STUDENTS_FILE,
                                user=users["clerk"], data_date=dt.date(2026, 9, 1))
print("GAP", gap_before, cover.gap_records(county, today).count(), "REVERSE", cover.reverse_records(county).count())

bank.statement_import(region=county, content=shipped[demo.BANK_FILE], filename=demo.BANK_FILE, user=users["finance"])
march = reconciliation.reconcile(county, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
found = [(d.cause, d.amount, d.detail) for d in march.differences]
print("BANK", found)
assert found == [("bank_amount", march.differences[0].amount, "200.00")], found
"""
COLLECTION = """
import datetime as dt
from django.contrib.auth.models import User
from collection import demo, services
from insured.models import Region
county = Region.objects.get(code="211370000000")
shipped = open(f"fixtures/demo/{demo.FILE}", "rb").read()
assert shipped == demo.demo_list(county.prefix, dt.date(2026, 11, 22)), "the shipped list is not the demo's"
result = services.group_list_import(county=county, list_month=dt.date(2026, 11, 1), department=demo.DEPARTMENT,
                                    content=shipped, filename=demo.FILE, user=User.objects.get(username="clerk"))
listed = result.group_list
print("LIST", listed.new_count, listed.left_count, listed.unchanged_count, listed.follow_up_count, result.generated)
"""
PAID = """
from payments.models import Receivable
print("GOV_PAID", sorted(set(Receivable.objects.filter(kind="government_paid").values_list("status", flat=True))))
"""
SHOWN = """
from subsidy.models import SponsorshipApplication as A
print(A.objects.get(sponsor_id_no="211370198506013215").status)
"""
BATCH = """
from django.contrib.auth.models import User
from django.utils import timezone
from pypdf import PdfReader
from insured.models import Job, PrintRecord
from insured.printing import batches
auditor = User.objects.get(username="auditor")
kind = batches.kind_for(auditor, "subsidy.applications")
form = kind.filters({"month": f"{timezone.localdate():%Y-%m}", "status": ""})
assert form.is_valid(), form.errors
job = Job.objects.get(pk=batches.batch_create(user=auditor, kind=kind, form=form).pk)
assert job.state == "done", job.message
pages = len(PdfReader(job.result_file.open("rb")).pages)
print(job.result["count"], pages, PrintRecord.objects.filter(job=job).count())
"""


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result


def test_demo_flow_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    _manage(env, "migrate", "--noinput", "-v0")
    loaded = _manage(env, "load_demo", "--today", "2026-11-22")
    assert "demo-clerk-2026" in loaded.stdout
    # The demo clerk and reviewer take a sponsorship from the window to the signed form.
    _manage(env, "shell", "-c", SPONSOR)
    # The civil affairs bureau's list of the README's walk-through: its difference and receivables.
    listed = _manage(env, "shell", "-c", COLLECTION)
    assert "LIST 4 1 12 2 4" in listed.stdout, listed.stdout[-2000:]
    batch = tmp_path / "batch.json"
    _manage(env, "demo_notice_batch", "--out", str(batch))
    ingested = _manage(env, "ingest_notices", str(batch), "--client", "demo-tax")
    assert "status processed" in ingested.stdout
    assert "unmatched 1" in ingested.stdout  # the demo batch's deliberate not-a-tier payment
    # The demo batch paid every government-paid receivable, the demo's and the list's.
    assert "GOV_PAID ['paid']" in _manage(env, "shell", "-c", PAID).stdout
    shown = _manage(env, "shell", "-c", SHOWN)
    assert shown.stdout.strip().splitlines()[-1] == "credited"
    # Oversight: the progress of the demo county and its weekly report; the shipped extract, students and
    # bank statement are the demo's; importing them gives the gap and reverse lists and one bank difference.
    oversight = _manage(env, "shell", "-c", OVERSIGHT)
    assert "GAP 28 24 REVERSE 2" in oversight.stdout, oversight.stdout[-2000:]
    # The auditor prints the month's demo applications, every state, as one file (issue 15).
    printed = _manage(env, "shell", "-c", BATCH)
    count, pages, records = printed.stdout.strip().splitlines()[-1].split()
    assert int(count) > 30 and pages == count == records
    _manage(env, "check_ledger")
