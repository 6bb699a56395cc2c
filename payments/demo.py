"""The payments part of the demo county: the demo tax client, and three years of contributions
arriving the way real ones do, as notice batches from tax that the crediting engine processes.

So every demo account is built by the production path: each payment has its e-tax voucher,
channel and time, the reconciliation has figures to show, and `check_ledger` holds.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from insured.models import AccountEntry, InsuredPerson, PolicyYear, SpecialGroupMembership
from insured.plugins import DemoContext
from insured.selectors import policy_for
from payments import intake, processing, services
from payments.models import NoticeBatch, TaxClient

DEMO_CLIENT_ID = "demo-tax"
DEMO_SECRET = "demo-tax-secret-2026-not-for-production-use"
DEMO_YEARS = (2024, 2025, 2026)
# The county finance bureau, which pays the government-paid contributions (a valid, invented code).
FINANCE_BUREAU = ("演示县财政局", "11211370012345671B")
TAX_OFFICE = "12113700000"
TIER_WEIGHTS = [30, 22, 18, 8, 9, 4, 4, 2, 1, 2]
PAYING_SHARE = {2024: 0.93, 2025: 0.9, 2026: 0.8}
CHANNELS = ("wechat", "alipay", "tax_app", "mobile_bank", "bank_counter")


def tax_client(county: Any) -> TaxClient:
    client, _created = TaxClient.objects.get_or_create(
        client_id=DEMO_CLIENT_ID, defaults={"name": "演示县税务局（演示）", "secret": DEMO_SECRET, "region": county}
    )
    return client


@dataclass(frozen=True)
class Payment:
    person: InsuredPerson
    year: int
    kind: str
    amount: Decimal
    paid_at: dt.datetime


def build(context: DemoContext) -> dict[str, int]:
    client = tax_client(context.county)
    payments = list(_payments(context))
    for year in DEMO_YEARS:
        notices = [_notice(i, p) for i, p in enumerate((p for p in payments if p.year == year), start=1)]
        if notices:
            _push(client, f"DEMO-HISTORY-{year}", notices)
    own = sum(1 for p in payments if p.kind == "own")
    county = context.county.prefix
    return {
        "个人缴费": own,
        "政府代缴": len(payments) - own,
        "个人账户记录": AccountEntry.objects.filter(person__village__code__startswith=county).count(),
    }


def _push(client: TaxClient, batch_id: str, notices: list[dict[str, Any]]) -> None:
    """As tax would send it: parsed by the push contract, stored whole, processed by the engine."""
    body = {
        "batch_id": batch_id,
        "sent_at": max(n["paid_at"] for n in notices),
        "count": len(notices),
        "total_amount": f"{sum(Decimal(n['amount']) for n in notices):.2f}",
        "notices": notices,
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    stored = services.batch_store(
        client=client, parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    )
    processing.batch_process(stored.batch.pk)
    batch = NoticeBatch.objects.get(pk=stored.batch.pk)
    if batch.unmatched_count:
        raise RuntimeError(f"demo batch {batch_id}: {batch.unmatched_count} payments were not credited")


def _notice(line: int, payment: Payment) -> dict[str, Any]:
    person = payment.person
    government = payment.kind == "government_paid"
    payer_name, payer_id = FINANCE_BUREAU if government else (person.name, person.id_no)
    return {
        "voucher_no": f"3211370{payment.paid_at:%Y%m%d}{line:05d}",
        "line_no": 1,
        "kind": payment.kind,
        "insured_id_number": person.id_no,
        "insured_name": person.name,
        "payer_name": payer_name,
        "payer_id": payer_id,
        "year": payment.year,
        "amount": f"{payment.amount:.2f}",
        "paid_at": payment.paid_at.isoformat(timespec="seconds"),
        "channel": "batch_client" if government else CHANNELS[line % len(CHANNELS)],
        "receivable_no": None,
        "reverses": None,
        "tax_office_code": TAX_OFFICE,
        "agency_code": person.village.code[:6],
    }


def _payments(context: DemoContext) -> Iterator[Payment]:
    """Whether the government pays and what each person pays, year by year. Every draw is made
    whatever `today` is, so the same seed gives the same amounts on any day; only what has not
    happened yet is left out."""
    memberships: dict[int, list[SpecialGroupMembership]] = {}
    for m in SpecialGroupMembership.objects.filter(person__in=context.persons):
        memberships.setdefault(m.person_id, []).append(m)
    policies = {year: policy_for(context.villages[0], year) for year in DEMO_YEARS}
    for person in context.persons:
        if person.status == InsuredPerson.Status.RECEIVING:
            continue
        for year in DEMO_YEARS:
            # The suspended paid the first year and then stopped.
            stopped = person.status == InsuredPerson.Status.SUSPENDED and year > DEMO_YEARS[0]
            gov, amount, arrived_on = _year_draw(context, policies[year], memberships.get(person.pk, []), year)
            if gov and not stopped and dt.date(year, 3, 1) <= context.today:
                yield Payment(
                    person, year, "government_paid", policies[year].gov_paid_amount, _moment(dt.date(year, 3, 1))
                )
            if amount and not stopped and arrived_on <= context.today:
                yield Payment(person, year, "own", amount, _moment(arrived_on, context.rng.randint(8, 17)))


def _moment(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 30)), timezone.get_current_timezone())


def _year_draw(
    context: DemoContext, policy: PolicyYear, memberships: list[SpecialGroupMembership], year: int
) -> tuple[bool, Decimal | None, dt.date]:
    """Whether the government pays, the own tier (None: no payment) and its arrival day."""
    rng = context.rng
    arrived_on = dt.date(year, 1, 2) + dt.timedelta(days=rng.randint(0, 240))
    tiers = [t for t in policy.basic_tiers() if not t.is_hardship_only]
    hardship = next(t for t in policy.basic_tiers() if t.is_hardship_only)
    tier = rng.choices(tiers, weights=TIER_WEIGHTS)[0].amount
    pays, gov_draw, hardship_draw = rng.random(), rng.random(), rng.random()
    is_member_at_payment = any(m.is_active_on(arrived_on) for m in memberships)
    # 003 四(二): the government pays for members on its list in the spring.
    gov = gov_draw < 0.7 and any(m.is_active_on(dt.date(year, 3, 1)) for m in memberships)
    if gov:
        # 002 四(三): a member who pays beside the government picks a tier other than the hardship tier.
        return True, tier if pays < 0.3 else None, arrived_on
    if pays >= PAYING_SHARE[year]:
        return False, None, arrived_on
    if is_member_at_payment and hardship_draw < 0.6:
        return False, hardship.amount, arrived_on
    return False, tier, arrived_on
