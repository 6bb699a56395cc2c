"""The personal sponsorship part of the demo county (insured.plugins.DemoStep), built through the
production path: this month's applications taken at the window by `clerk`, reviewed by `reviewer`,
signed, and some paid through tax (an arrival-notice batch credited by the engine), so the auditor
has a month of forms in every state to print as one file (issue 15).

Beneficiaries are enrolled residents of villages the other demo steps leave alone, whose own
contribution of this year has arrived (rule 2); sponsors are invented adults with valid IDs.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.utils import timezone
from stdnum.iso7064 import mod_11_2

from insured.models import InsuredPerson
from insured.plugins import DemoContext
from payments import intake, processing
from payments import services as payment_services
from payments.demo import TAX_OFFICE, tax_client
from payments.models import NoticeBatch
from subsidy import services
from subsidy.models import SponsorshipApplication
from subsidy.services import SponsorshipInput

# 城关镇杨树沟村, 东岭镇大营子村, 西河乡河南村, 柳条沟村, 榆树林村: no collective roster, no refund.
VILLAGES = ("211370100202", "211370101202", "211370200201", "211370200202", "211370200203")
# What becomes of each application, in the order they are taken.
FATES = ["credited"] * 10 + ["signed"] * 6 + ["approved"] * 6 + ["submitted"] * 8 + ["rejected"] * 3 + ["withdrawn"] * 3
RELATIONS = ("child", "child", "child", "grandchild", "spouse", "sibling", "relative")
GIVEN = "建国红梅志强秀兰海燕卫东丽华永刚春燕德明玉兰国庆桂英立新金凤"
REJECTION = "资助人未能提供有效身份证件原件，请补齐后重新申请。"


def build(context: DemoContext) -> dict[str, int]:
    users = context.users
    if not {"clerk", "reviewer"} <= set(users):
        return {}
    year = context.today.year
    county = context.county
    beneficiaries = list(
        InsuredPerson.objects.filter(
            village__code__in=VILLAGES,
            status=InsuredPerson.Status.ENROLLED,
            years__year=year,
            years__own_arrived_on__isnull=False,
        ).order_by("person_no")
    )
    context.rng.shuffle(beneficiaries)
    applications = []
    for n, (person, fate) in enumerate(zip(beneficiaries, FATES, strict=False)):
        application = services.application_submit(
            _input(context, person, n), user=users["clerk"], agency_region=county, today=context.today
        )
        applications.append(_move(application, fate, context))
    _pay([a for a, fate in applications if fate == "credited"], context)
    return {"个人资助申请": len(applications)}


def _input(context: DemoContext, person: InsuredPerson, n: int) -> SponsorshipInput:
    rng = context.rng
    birth = dt.date(rng.randint(1965, 1998), rng.randint(1, 12), rng.randint(1, 28))
    body = f"211370{birth:%Y%m%d}{500 + n:03d}"
    return SponsorshipInput(
        sponsor_name=person.name[0] + GIVEN[2 * (n % (len(GIVEN) // 2)) : 2 * (n % (len(GIVEN) // 2)) + 2],
        sponsor_id_no=body + mod_11_2.calc_check_digit(body),
        sponsor_phone=f"139{rng.randint(0, 99_999_999):08d}",
        relation=rng.choice(RELATIONS),
        beneficiary=person,
        year=context.today.year,
        amount=Decimal(rng.choice((200, 300, 500, 500, 800, 1000, 1000, 1500, 2000))).quantize(Decimal("0.01")),
    )


def _move(application: SponsorshipApplication, fate: str, context: DemoContext) -> tuple[Any, str]:
    users, county, today = context.users, context.county, context.today
    if fate == "rejected":
        return services.application_reject(application, user=users["reviewer"], reason=REJECTION), fate
    if fate == "withdrawn":
        return services.application_withdraw(application, user=users["clerk"]), fate
    if fate == "submitted":
        return application, fate
    application = services.application_approve(application, user=users["reviewer"], agency_region=county, today=today)
    if fate in ("signed", "credited"):
        application = services.application_record_signatures(
            application, user=users["clerk"], agency_region=county, today=today
        )
    return application, fate


def _pay(applications: list[SponsorshipApplication], context: DemoContext) -> None:
    """The sponsors pay at the tax hall: one arrival notice each, naming the receivable."""
    if not applications:
        return
    now = timezone.localtime()
    notices = []
    for line, application in enumerate(applications, start=1):
        receivable, person = application.receivable, application.beneficiary
        notices.append(
            {
                "voucher_no": f"3211370{now:%Y%m%d}9{line:04d}",
                "line_no": 1,
                "kind": receivable.kind,
                "insured_id_number": person.id_no,
                "insured_name": person.name,
                "payer_name": receivable.payer_name,
                "payer_id": receivable.payer_id,
                "year": receivable.year,
                "amount": f"{receivable.amount:.2f}",
                "paid_at": now.isoformat(timespec="seconds"),
                "channel": "tax_hall",
                "receivable_no": receivable.number,
                "reverses": None,
                "tax_office_code": TAX_OFFICE,
                "agency_code": person.village.code[:6],
            }
        )
    body = {
        "batch_id": f"DEMO-SPONSORSHIP-{context.today:%Y%m}",
        "sent_at": now.isoformat(timespec="seconds"),
        "count": len(notices),
        "total_amount": f"{sum(Decimal(n['amount']) for n in notices):.2f}",
        "notices": notices,
    }
    raw = json.dumps(body, ensure_ascii=False).encode()
    stored = payment_services.batch_store(
        client=tax_client(context.county), parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    )
    processing.batch_process(stored.batch.pk)
    batch = NoticeBatch.objects.get(pk=stored.batch.pk)
    if batch.unmatched_count:
        raise RuntimeError(f"demo batch {batch.batch_id}: {batch.unmatched_count} payments were not credited")
