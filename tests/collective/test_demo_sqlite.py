"""The collective subsidy walk of the `make run` demo, on SQLite as the demo runs: the shipped
rosters of 南关村 are still the ones the demo makes; the village uploads the one with errors and
gets every error, uploads the corrected one and submits it; reviewer and reviewer2 review and
approve; the payment notice prints; the demo notice batch pays it; the members' accounts show the
collective subsidy; the summary form prints with its total in capitals; the ledger check agrees."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
FIXTURES = ROOT / "fixtures" / "demo"
pytestmark = pytest.mark.integration

WALK = """
import datetime as dt, io, openpyxl, re
from pypdf import PdfReader
from django.contrib.auth.models import User
from collective import demo, pdf, services, summary
from collective.models import Filing, Roster
from insured.models import AccountEntry

today = dt.date(2026, 11, 22)
users = {u.username: u for u in User.objects.all()}
filing = Filing.objects.get(organisation__village__code=demo.NANGUAN, year=2026)

def cells(content):
    sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
    return [tuple(r) for r in sheet.iter_rows(values_only=True) if any(v is not None for v in r)]

made = demo.roster_files(2026)
for name, content in made.items():
    assert cells(open(f"{FIXTURES}/{name}", "rb").read()) == cells(content), f"{name} differs from the demo's"

try:
    services.roster_upload(filing, made[demo.ERRORS_FILE], demo.ERRORS_FILE, user=users["village"], today=today)
    raise AssertionError("the file with errors was taken")
except services.RosterInvalid as invalid:
    codes = sorted(e.code for e in invalid.errors)
    print("ERRORS", ",".join(codes))
    assert invalid.error_sheet().content.startswith(b"PK")
assert not Roster.objects.filter(filing=filing).exists()

corrected = made[demo.CORRECTED_FILE]
result = services.roster_upload(filing, corrected, demo.CORRECTED_FILE, user=users["village"], today=today)
roster = services.roster_submit(result.roster, user=users["village"], today=today)
roster = services.roster_review(roster, user=users["reviewer"], today=today)
roster = services.roster_approve(roster, user=users["reviewer2"], today=today)
notice = pdf.FORMS["notice"].render(roster, printed_by=users["clerk"])
text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(notice)).pages)
assert "缴费通知单" in re.sub(r"\\s+", "", text)
print("APPROVED", roster.pk, roster.row_count, roster.total)
"""

AFTER = """
import io, re
from pypdf import PdfReader
from django.contrib.auth.models import User
from collective import pdf, summary
from collective.models import Roster
from insured.models import AccountEntry

roster = Roster.objects.get(filing__organisation__village__code="211370100200")
persons = list(roster.rows.values_list("person_id", flat=True))
credited = AccountEntry.objects.filter(person_id__in=persons, kind="collective", year=2026).count()
print("STATUS", roster.status, "CREDITED", credited)
auditor = User.objects.get(username="auditor")
result = summary.summary_for(auditor, summary.SummaryFilter(2026))
printed = pdf.summary_pdf(result, printed_by=auditor)
text = re.sub(r"\\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(printed)).pages))
assert "南关村" in text and "合计金额（大写）人民币" + result.total_in_words in text, text
print("SUMMARY", result.count, result.total, result.total_in_words)
"""


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result


def _last(result: subprocess.CompletedProcess, tag: str) -> list[str]:
    line = next(line for line in reversed(result.stdout.splitlines()) if line.startswith(tag))
    return line.split()[1:]


def test_collective_walk_of_the_demo_on_sqlite(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "PRIVATE_FILES_ROOT": str(tmp_path / "private"),
    }
    _manage(env, "migrate", "--noinput", "-v0")
    loaded = _manage(env, "load_demo", "--today", "2026-11-22")
    assert "集体经济组织：2" in loaded.stdout and "已到账的补助/资助申报表：2" in loaded.stdout

    walked = _manage(env, "shell", "-c", WALK.replace("{FIXTURES}", str(FIXTURES)))
    assert _last(walked, "ERRORS") == [
        "amount_precision,id_checksum,id_exponent,id_stored_as_number,name_mismatch,not_member,"
        "own_contribution_missing,standard_mismatch,support_type_invalid"
    ]
    _pk, rows, total = _last(walked, "APPROVED")
    assert (rows, total) == ("14", "2800.00")

    batch = tmp_path / "batch.json"
    _manage(env, "demo_notice_batch", "--out", str(batch))
    ingested = _manage(env, "ingest_notices", str(batch), "--client", "demo-tax")
    assert "status processed" in ingested.stdout and "unmatched 1" in ingested.stdout

    after = _manage(env, "shell", "-c", AFTER)
    assert _last(after, "STATUS") == ["paid", "CREDITED", "14"]
    count, total, words = _last(after, "SUMMARY")
    assert (count, total, words) == ("30", "8800.00", "捌仟捌佰元整")  # 东岭村 10, 石门村 3, 西河村 3, 南关村 14
    _manage(env, "check_ledger")
