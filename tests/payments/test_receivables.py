"""Receivables 应收核定: one live receivable per source, and the file of new and cancelled
receivables handed to tax."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest

from payments import exports, services
from payments.models import Receivable, ReceivableExportLine
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def _receivable(person, ref="SP1", amount="800.00", payer="李大儿"):
    return services.receivable_create(
        person=person,
        kind="sponsorship",
        payer_name=payer,
        payer_id=person.id_no,
        year=2026,
        amount=Decimal(amount),
        due_date=dt.date(2026, 12, 31),
        source_type="test",
        source_ref=ref,
    )


def test_same_source_asks_once(insured):
    first = _receivable(insured)
    again = _receivable(insured)
    assert first.pk == again.pk
    assert Receivable.objects.count() == 1
    assert first.number.startswith("YS") and first.status == Receivable.Status.OPEN


def test_a_cancelled_source_may_be_assessed_again(insured):
    first = _receivable(insured)
    assert services.receivable_cancel(first) is True
    second = _receivable(insured)
    assert second.pk != first.pk
    assert services.receivable_cancel(first) is False  # already closed: nothing changes


def test_export_sends_new_ones_once_and_marks_them_sent(insured, policy):
    receivable = _receivable(insured)
    export = services.export_create(region=policy.region, user=None)
    assert [(line.receivable_id, line.action) for line in export.lines.all()] == [(receivable.pk, "new")]
    receivable.refresh_from_db()
    assert receivable.status == Receivable.Status.SENT
    assert services.export_create(region=policy.region, user=None) is None


def test_export_sends_a_cancellation_of_what_tax_was_told(insured, policy):
    receivable = _receivable(insured)
    services.export_create(region=policy.region, user=None)
    services.receivable_void(receivable)
    export = services.export_create(region=policy.region, user=None)
    assert [line.action for line in export.lines.all()] == ["cancel"]
    assert ReceivableExportLine.objects.filter(receivable=receivable).count() == 2


def test_never_announced_and_cancelled_is_not_sent(insured, policy):
    services.receivable_cancel(_receivable(insured))
    assert services.export_create(region=policy.region, user=None) is None


def test_json_file_for_tax(insured, policy):
    _receivable(insured, amount="1234.50")
    body = json.loads(exports.receivables_json(services.export_create(region=policy.region, user=None)))
    assert body["count"] == 1 and body["total_amount"] == "1234.50"
    line = body["receivables"][0]
    assert line["insured_id_number"] == insured.id_no and line["amount"] == "1234.50"
    assert line["action"] == "new"


def test_csv_file_escapes_formula_cells(insured, policy):
    _receivable(insured, payer='=HYPERLINK("http://x")')
    raw = exports.receivables_csv(services.export_create(region=policy.region, user=None)).decode()
    rows = list(csv.DictReader(io.StringIO(raw.lstrip("\ufeff"))))
    assert rows[0]["payer_name"].startswith("'=")
    assert rows[0]["insured_name"] == insured.name


def test_receivables_page_and_download_are_scoped(client, insured, policy):
    _receivable(insured)
    export = services.export_create(region=policy.region, user=None)
    clerk = make_user("clerk", policy.region)
    client.force_login(clerk)
    page = client.get("/payments/receivables/")
    assert page.status_code == 200 and insured.name in page.content.decode()
    assert client.get(f"/payments/exports/{export.pk}.csv").status_code == 200
    assert client.get(f"/payments/exports/{export.pk}.exe").status_code == 404

    from tests.factories import region_tree

    other = region_tree("622901", "别县")["county"]
    client.force_login(make_user("clerk", other))
    assert client.get(f"/payments/exports/{export.pk}.json").status_code == 404
    assert insured.name not in client.get("/payments/receivables/").content.decode()


def test_export_button_needs_the_capability(client, insured, policy):
    _receivable(insured)
    client.force_login(make_user("auditor", policy.region))
    assert client.post("/payments/receivables/export/").status_code == 403
    assert Receivable.objects.get().status == Receivable.Status.OPEN
