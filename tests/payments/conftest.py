"""Fixtures for the payments tests: a tax client, a signed client, and notice builders."""

from __future__ import annotations

import datetime as dt
import json
import time
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from payments.models import TaxClient
from payments.signing import sign
from tests.factories import InsuredPersonFactory, first_village

SECRET = "s" * 40


@pytest.fixture
def tax_client(policy):
    return TaxClient.objects.create(client_id="tax-test", name="测试税务", secret=SECRET, region=policy.region)


@pytest.fixture
def insured(policy):
    return InsuredPersonFactory(village=first_village(policy.region))


def notice(person, *, voucher="V0001", line=1, kind="own", amount="500.00", year=2026, **extra) -> dict:
    body = {
        "voucher_no": voucher,
        "line_no": line,
        "kind": kind,
        "insured_id_number": person.id_no,
        "insured_name": person.name,
        "payer_name": person.name,
        "payer_id": person.id_no,
        "year": year,
        "amount": amount,
        "paid_at": "2026-03-02T10:15:00+08:00",
        "channel": "wechat",
        "receivable_no": None,
        "reverses": None,
        "tax_office_code": "21137000000",
        "agency_code": "211370",
    }
    body.update(extra)
    return body


def batch(notices: list[dict], batch_id: str = "B0001", **overrides) -> dict:
    total = sum((Decimal(n["amount"]) for n in notices), Decimal("0"))
    body = {
        "batch_id": batch_id,
        "sent_at": "2026-03-02T12:00:00+08:00",
        "count": len(notices),
        "total_amount": f"{total:.2f}",
        "notices": notices,
    }
    body.update(overrides)
    return body


class SignedClient:
    def __init__(self, client_id: str = "tax-test", secret: str = SECRET) -> None:
        self.api = APIClient()
        self.client_id = client_id
        self.secret = secret

    def headers(self, raw: bytes, timestamp: int | None = None) -> dict:
        ts = str(timestamp if timestamp is not None else int(time.time()))
        return {
            "HTTP_X_CLIENT_ID": self.client_id,
            "HTTP_X_TIMESTAMP": ts,
            "HTTP_X_SIGNATURE": sign(self.secret, ts, raw),
        }

    def push(self, payload, *, raw: bytes | None = None, timestamp: int | None = None):
        raw = raw if raw is not None else json.dumps(payload, ensure_ascii=False).encode()
        return self.api.post(
            "/api/v1/tax/notice-batches/", data=raw, content_type="application/json", **self.headers(raw, timestamp)
        )

    def status(self, batch_id: str):
        path = f"/api/v1/tax/notice-batches/{batch_id}/"
        return self.api.get(path, **self.headers(path.encode()))


@pytest.fixture
def signed(tax_client):
    return SignedClient()


@pytest.fixture
def paid_on():
    return dt.date(2026, 3, 2)
