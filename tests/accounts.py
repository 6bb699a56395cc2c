"""Money into test accounts by the production path: a notice pushed by tax, stored, and credited
by the crediting engine, exactly as in production (no test-only way into the ledger)."""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal

from django.utils import timezone

from insured.models import InsuredPerson
from payments import intake, processing, services
from payments.models import ArrivalNotice, NoticeBatch, TaxClient

_vouchers = itertools.count(1)
SECRET = "s" * 40


def county_tax_client(person: InsuredPerson) -> TaxClient:
    """A tax client serving the person's county."""
    county = person.village.parent.parent
    client, _created = TaxClient.objects.get_or_create(
        client_id=f"tax-{county.prefix}", defaults={"name": f"{county.name}税务", "secret": SECRET, "region": county}
    )
    return client


def push(client: TaxClient, notices: list[dict], batch_id: str | None = None) -> NoticeBatch:
    """Store a batch as the API would and process it at once."""
    total = sum((Decimal(n["amount"]) for n in notices), Decimal("0"))
    body = {
        "batch_id": batch_id or f"T{next(_vouchers):08d}",
        "sent_at": "2026-03-02T12:00:00+08:00",
        "count": len(notices),
        "total_amount": f"{total:.2f}",
        "notices": notices,
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    result = services.batch_store(
        client=client, parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    )
    processing.batch_process(result.batch.pk)
    return NoticeBatch.objects.get(pk=result.batch.pk)


def credit(
    person: InsuredPerson,
    *,
    kind: str = "own",
    amount: str | Decimal = "500.00",
    year: int = 2026,
    paid_on: dt.date | None = None,
    voucher: str | None = None,
    receivable_no: str | None = None,
) -> ArrivalNotice:
    """One payment for `person`, pushed and processed; the notice as processing left it."""
    voucher = voucher or f"TV{next(_vouchers):010d}"
    paid_at = dt.datetime.combine(
        paid_on or dt.date(year, 3, 1), dt.time(10, 0), tzinfo=timezone.get_current_timezone()
    )
    notice = {
        "voucher_no": voucher,
        "line_no": 1,
        "kind": kind,
        "insured_id_number": person.id_no,
        "insured_name": person.name,
        "payer_name": person.name,
        "payer_id": person.id_no,
        "year": year,
        "amount": f"{Decimal(amount):.2f}",
        "paid_at": paid_at.isoformat(),
        "channel": "wechat",
        "receivable_no": receivable_no,
        "reverses": None,
        "tax_office_code": None,
        "agency_code": None,
    }
    push(county_tax_client(person), [notice])
    return ArrivalNotice.objects.filter(voucher_no=voucher, line_no=1).latest("id")
