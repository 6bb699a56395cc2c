"""Helpers shared by the payments tests: store and process a batch inside a normal db test,
and the setup a sponsorship receivable needs."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from django.db.models import Sum

from insured import ledger as account_ledger
from insured.models import AccountEntry, InsuredPerson, PersonYear
from payments import intake, processing, services
from payments.models import ArrivalNotice, NoticeBatch, PaymentKind, Receivable, TaxClient
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, make_id_no
from tests.payments.conftest import batch

SPONSOR_ID = make_id_no(dt.date(1960, 1, 1), 777)


def store(client: TaxClient, notices: list[dict], batch_id: str = "B0001") -> NoticeBatch:
    """Store a batch as the API would, without processing it."""
    raw = json.dumps(batch(notices, batch_id), ensure_ascii=False).encode()
    return services.batch_store(
        client=client, parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    ).batch


def process(client: TaxClient, notices: list[dict], batch_id: str = "B0001") -> NoticeBatch:
    """Store a batch as the API would and process it at once (on_commit never fires inside a
    non-transactional test)."""
    stored = store(client, notices, batch_id)
    processing.batch_process(stored.pk)
    return NoticeBatch.objects.get(pk=stored.pk)


def stranger(village) -> InsuredPerson:
    """A resident with a valid ID number who is not registered (never saved)."""
    return InsuredPersonFactory.build(village=village, id_no=make_id_no(dt.date(1980, 1, 1), 901), name="无此人")


def notice_row(voucher: str, line: int = 1) -> ArrivalNotice:
    return ArrivalNotice.objects.get(voucher_no=voucher, line_no=line)


def ledger(person: InsuredPerson, year: int = 2026) -> list[tuple[str, Decimal]]:
    return sorted(AccountEntry.objects.filter(person=person, year=year).values_list("kind", "amount"))


def balance(person: InsuredPerson, year: int = 2026) -> Decimal:
    return AccountEntry.objects.filter(person=person, year=year).aggregate(s=Sum("amount"))["s"] or Decimal("0.00")


def entries_of(voucher: str) -> int:
    """Ledger entries posted for a voucher, as a payment or as a reversal."""
    return (
        AccountEntry.objects.filter(source_key__startswith=f"notice:{voucher}:").count()
        + AccountEntry.objects.filter(source_key__startswith=f"reversal:{voucher}:").count()
    )


def person_year(person: InsuredPerson, year: int = 2026) -> PersonYear:
    return PersonYear.objects.get_or_create(person=person, year=year)[0]


def own_paid(person: InsuredPerson, year: int = 2026) -> None:
    """Rule 2 (000 一(三)): the own contribution must have arrived before support is reserved."""
    credit(person, year=year, amount="500.00", paid_on=dt.date(year, 2, 1))


def support_receivable(
    person: InsuredPerson,
    amount: str = "1000.00",
    *,
    kind: str = PaymentKind.SPONSORSHIP,
    ref: str = "S1",
    reserve: bool = True,
) -> Receivable:
    """An approved sponsorship: own contribution in, the amount reserved against the cap (rules
    1 and 2), and the receivable sent to tax."""
    if reserve:
        own_paid(person)
        account_ledger.support_reserve(person=person, year=2026, amount=Decimal(amount))
    return services.receivable_create(
        person=person,
        kind=kind,
        payer_name="资助人",
        payer_id=SPONSOR_ID,
        year=2026,
        amount=Decimal(amount),
        due_date=dt.date(2026, 12, 31),
        source_type="test",
        source_ref=ref,
    )
