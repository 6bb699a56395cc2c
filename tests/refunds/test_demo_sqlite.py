"""The refund walk-through of `make run`, on SQLite like the demo: the demo county has a person who
paid twice with nothing taken yet, one whose refund the township sent last month, and a paid
employee-pension refund. The township takes the first, the county approves, finance requests
last month's money and records the payment, the form prints, the reconciliation shows the
refunds and `check_ledger` stays clean."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
pytestmark = pytest.mark.integration

FLOW = """
from django.contrib.auth.models import User
from django.utils import timezone
from insured.models import Region
from payments import reconciliation
from payments.models import ArrivalNotice
from refunds import pdf, services
from refunds.models import RefundApplication, RefundCase, RefundLine
from refunds.services import Applicant, RefundInput

users = {u.username: u for u in User.objects.all()}
township = Region.objects.get(code="211370100000")
today = timezone.localdate()

# The township takes the refund of the person who paid twice and nobody has taken yet.
held = RefundLine.objects.filter(is_live=True, notice__isnull=False).values("notice_id")
waiting = ArrivalNotice.objects.filter(reason="own_already_paid", state="unmatched").exclude(pk__in=held).get()
person = waiting.person
card = RefundApplication.objects.exclude(account_no="").first().account_no
applicant = Applicant(person.name, person.id_no, "self", "13900000000", "演示县农村商业银行", "card", card, person.name)
taken = services.application_receive(
    RefundInput(person, RefundCase.objects.get(code="duplicate"), (), (waiting.pk,), applicant),
    copies={}, user=users["township"], agency_region=township,
)
print("taken", taken.number, taken.payee_amount)

# The one sent last month: the county approves, finance requests last month's money and pays.
sent = RefundApplication.objects.get(status="handed_over")
services.application_approve(sent, user=users["reviewer"])
month = sent.batch_month
request = services.request_create(region=users["finance"].staff.region, month=month, user=users["finance"])
sent.refresh_from_db()
services.application_record_payment(sent, user=users["finance"], paid_on=today, bank_reference="NB-DEMO-1")
sent.refresh_from_db()
print("paid", sent.number, sent.status, request.number)
assert pdf.application_pdf(sent, printed_by=users["auditor"]).startswith(b"%PDF")
assert pdf.request_pdf(request, printed_by=users["finance"]).startswith(b"%PDF")
assert ArrivalNotice.objects.get(refund_ref=sent.number).state == "refunded"

result = reconciliation.reconcile(users["finance"].staff.region, month.replace(year=month.year - 1), today)
total = result.refunds[-1]
print("refunds", total.to_payee.count, total.to_fund.count, total.from_queue.count)
assert total.from_queue.count == 1 and total.to_payee.count == 1 and total.to_fund.count == 1
"""


def _manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result


def test_refund_walk_through_on_the_sqlite_demo(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "MEDIA_ROOT": str(tmp_path / "media"),
    }
    _manage(env, "migrate", "--noinput", "-v0")
    loaded = _manage(env, "load_demo", "--today", "2026-11-22")
    assert "demo-township2-2026" in loaded.stdout
    assert "退费申请：2" in loaded.stdout
    assert list((tmp_path / "media" / "refunds").iterdir())  # the copies, under MEDIA_ROOT
    flow = _manage(env, "shell", "-c", FLOW)
    assert "paid" in flow.stdout and "refunds 1 1 1" in flow.stdout
    checked = _manage(env, "check_ledger")
    assert "Ledger agrees" in checked.stdout
