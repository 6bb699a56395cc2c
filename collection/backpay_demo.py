"""The back-payment part of the demo county (insured.plugins.DemoStep), built by the production
path: applications entered by the demo township office and approved by a county reviewer through
the services, payments pushed by tax as notice batches and credited by the engine.

Persons of 城关镇 (where the demo township office `township` works), each with a past year unpaid:
- one whose application `reviewer` has approved: its receivable waits for tax, and the demo notice
  batch (`demo_notice_batch`) pays it; it is credited without subsidy;
- one who paid a past year through tax without an application: the payment waits in the unmatched
  queue (`back_payment_required`); the township office has entered the application and it waits
  for `reviewer`, whose approval credits the waiting payment without subsidy.
The README's walk then enters one more through the intake.
The demo policy years get 004's supplementary pension tiers, and one person pays this year's
supplementary contribution, credited with its own subsidy and shown apart from the basic pension.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.utils import timezone

from collection import backpay_services as services
from collection.backpay_models import BackPaymentApplication, BackPaymentScheme
from insured.models import AccountEntry, InsuredPerson, PolicyTier, PolicyYear, Region
from insured.plugins import DemoContext
from payments import intake, processing
from payments import services as payment_services
from payments.demo import DEMO_YEARS, TAX_OFFICE, tax_client

TOWNSHIP_CODE = "211370100000"  # 城关镇: the demo township office's scope
# 004 四(二): the supplementary pension's five tiers and their subsidies (yuan a year).
SUPPLEMENTARY_TIERS = [("200", "70"), ("500", "120"), ("1000", "200"), ("2000", "360"), ("5000", "600")]
BACK_TIER = Decimal("500.00")


def build(context: DemoContext) -> dict[str, int]:
    users = context.users
    if not {"township", "reviewer"} <= set(users):
        return {}
    _supplementary_tiers(context)
    today = context.today
    candidates = _persons_with_unpaid_year(context, today)
    counts = {"补缴申请": 0, "补缴：待审核的往年缴费": 0, "补充养老保险缴费": 0}
    region = Region.objects.get(code=TOWNSHIP_CODE)
    if candidates:
        person, year = candidates.pop(0)
        application = _enter(person, year, users["township"], region, today)
        services.application_approve(application, user=users["reviewer"], agency_region=context.county, today=today)
        counts["补缴申请"] += 1
    if candidates:
        person, year = candidates.pop(0)
        _push(context, person, "own", year, BACK_TIER, "DEMO-BACKPAY-WAITING")
        _enter(person, year, users["township"], region, today)
        counts["补缴申请"] += 1
        counts["补缴：待审核的往年缴费"] += 1
    enrolled = [
        p
        for p in context.persons
        if p.status == InsuredPerson.Status.ENROLLED and p.village.code.startswith(region.prefix)
    ]
    if enrolled:
        _push(context, enrolled[-1], "supplementary", today.year, Decimal("500.00"), "DEMO-SUPPLEMENTARY")
        counts["补充养老保险缴费"] += 1
    return counts


def _supplementary_tiers(context: DemoContext) -> None:
    for policy in PolicyYear.objects.filter(region=context.county, year__in=DEMO_YEARS):
        if policy.supplementary_tiers():
            continue
        for amount, subsidy in SUPPLEMENTARY_TIERS:
            PolicyTier.objects.create(
                policy_year=policy,
                scheme=PolicyTier.Scheme.SUPPLEMENTARY,
                amount=Decimal(amount),
                government_subsidy=Decimal(subsidy),
            )
        if policy.year == context.today.year and policy.back_payment_years is None:
            # 003 六(三) sets no limit; the demo policy lets a back payment reach five years back.
            policy.back_payment_years = 5
            policy.save(update_fields=["back_payment_years"])


def _persons_with_unpaid_year(context: DemoContext, today: dt.date) -> list[tuple[InsuredPerson, int]]:
    """Enrolled persons of the township with a past demo year that has no contribution, latest first."""
    prefix = Region.objects.get(code=TOWNSHIP_CODE).prefix
    persons = [
        p
        for p in context.persons
        if p.status == InsuredPerson.Status.ENROLLED and p.village.code.startswith(prefix) and p.age_on(today) < 60
    ]
    paid = set(
        AccountEntry.objects.filter(
            person__in=persons, kind__in=[AccountEntry.Kind.OWN, AccountEntry.Kind.GOVERNMENT_PAID]
        ).values_list("person_id", "year")
    )
    found = []
    for person in persons:
        for year in sorted((y for y in DEMO_YEARS if y < today.year), reverse=True):
            if (person.pk, year) not in paid and person.enrolled_on.year <= year:
                found.append((person, year))
                break
    return found


def _enter(person: InsuredPerson, year: int, user: Any, region: Region, today: dt.date) -> BackPaymentApplication:
    data = services.BackPaymentInput(
        person=person,
        scheme=BackPaymentScheme.BASIC,
        basis=BackPaymentApplication.Basis.INTERRUPTED,
        tier=BACK_TIER,
        years=[year],
        note="演示：外出务工中断缴费",
    )
    return services.application_submit(data, user=user, agency_region=region, today=today)


def _push(context: DemoContext, person: InsuredPerson, kind: str, year: int, amount: Decimal, batch_id: str) -> None:
    """One payment as tax would send it, stored and processed by the engine (it may wait)."""
    paid_at = timezone.make_aware(dt.datetime.combine(context.today, dt.time(9, 15)))
    notice = {
        "voucher_no": f"3211370{context.today:%Y%m%d}9{person.pk:05d}",
        "line_no": 1,
        "kind": kind,
        "insured_id_number": person.id_no,
        "insured_name": person.name,
        "payer_name": person.name,
        "payer_id": person.id_no,
        "year": year,
        "amount": f"{amount:.2f}",
        "paid_at": paid_at.isoformat(timespec="seconds"),
        "channel": "wechat",
        "receivable_no": None,
        "reverses": None,
        "tax_office_code": TAX_OFFICE,
        "agency_code": person.village.code[:6],
    }
    body = {
        "batch_id": batch_id,
        "sent_at": notice["paid_at"],
        "count": 1,
        "total_amount": notice["amount"],
        "notices": [notice],
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    stored = payment_services.batch_store(
        client=tax_client(context.county), parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    )
    processing.batch_process(stored.batch.pk)
