"""The refunds part of the demo county (insured.plugins.DemoStep), built by the production path:
second payments pushed by tax as notice batches and left by the engine in the unmatched queue,
applications taken and moved on by the refund services, each step by its own demo user.

Three persons of 城关镇, where the demo township office works:
- one paid the same year's own contribution twice, nothing taken yet: `township` takes the
  refund, `township2` signs the first review and sends it, `reviewer` approves; it joins this
  month's request, which finance makes early next month;
- one paid twice and the township took and sent the refund last month: `reviewer` approves it,
  and `finance` requests last month's money and records the payment today;
- one joined the employee pension: the refund of that year's own contribution went through two
  months ago and was paid last month (the subsidy back to the fund), not yet reported to tax.
Steps taken "in the past" are entered with their moment (the services' `now`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from insured.models import InsuredPerson, PersonYear, Region
from insured.plugins import DemoContext
from payments import intake, processing
from payments import services as payment_services
from payments.demo import TAX_OFFICE, tax_client
from payments.models import ArrivalNotice, NoticeBatch
from refunds import services
from refunds.models import RefundApplication, RefundCase
from refunds.services import Applicant, RefundInput

TOWNSHIP_CODE = "211370100000"  # 城关镇: the demo township office's scope
DEMO_CARD_PREFIX = "62170021370"  # an invented branch of an invented bank: Luhn-valid numbers follow


def build(context: DemoContext) -> dict[str, int]:
    users = context.users
    if not {"township", "township2", "reviewer", "reviewer2", "finance"} <= set(users):
        return {}
    township = Region.objects.get(code=TOWNSHIP_CODE)
    today = context.today
    this_month = today.replace(day=1)
    last_month = (this_month - dt.timedelta(days=1)).replace(day=1)
    two_months_ago = (last_month - dt.timedelta(days=1)).replace(day=1)
    taken: set[int] = set()
    counts = {"退费：重复缴费待处理": 0, "退费申请": 0}

    walkthrough = _person_paid_before(context, township, today - dt.timedelta(days=3), taken)
    if walkthrough is not None:
        counts["退费：重复缴费待处理"] += _pay_twice(context, walkthrough, today - dt.timedelta(days=3), 1)

    sent = _person_paid_before(context, township, last_month.replace(day=5), taken)
    if sent is not None:
        counts["退费：重复缴费待处理"] += _pay_twice(context, sent, last_month.replace(day=5), 2)
        notice = ArrivalNotice.objects.filter(person=sent[0], reason="own_already_paid").latest("id")
        application = _take(context, sent[0], "duplicate", [], [notice.pk], _moment(last_month.replace(day=10)))
        services.application_first_review(application, user=users["township2"], now=_moment(last_month.replace(day=12)))
        services.applications_hand_over(
            user=users["township2"], region=township, now=_moment(last_month.replace(day=20))
        )
        counts["退费申请"] += 1

    employee = _person_paid_before(context, township, two_months_ago.replace(day=5), taken)
    if employee is not None:
        person, year = employee
        own = list(person.entries.filter(year=year, kind="own").values_list("pk", flat=True))
        application = _take(
            context,
            person,
            "employee_pension",
            own,
            [],
            _moment(two_months_ago.replace(day=5)),
            circumstances=f"{year}年起在县城务工，参加城镇职工基本养老保险，同年度重复缴费",
        )
        services.application_first_review(
            application, user=users["township2"], now=_moment(two_months_ago.replace(day=6))
        )
        services.applications_hand_over(
            user=users["township2"], region=township, now=_moment(two_months_ago.replace(day=8))
        )
        services.application_approve(application, user=users["reviewer2"], now=_moment(two_months_ago.replace(day=15)))
        services.request_create(
            region=context.county, month=two_months_ago, user=users["finance"], now=_moment(last_month.replace(day=3))
        )
        application.refresh_from_db()
        services.application_record_payment(
            application,
            user=users["finance"],
            paid_on=last_month.replace(day=6),
            bank_reference=f"NSB{last_month:%Y%m}06{application.pk:04d}",
            now=_moment(last_month.replace(day=6), 15),
        )
        counts["退费申请"] += 1
    return counts


def _moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, 0)), timezone.get_current_timezone())


def _person_paid_before(
    context: DemoContext, township: Region, day: dt.date, taken: set[int]
) -> tuple[InsuredPerson, int] | None:
    """An enrolled person of the township whose own contribution of `day`'s year (or the year
    before) arrived at least a week before `day`, chosen with the demo's seeded generator."""
    for year in (day.year, day.year - 1):
        arrived = PersonYear.objects.filter(
            year=year,
            own_amount__gt=0,
            own_arrived_on__lte=day - dt.timedelta(days=7),
            person__village__parent=township,
            person__status=InsuredPerson.Status.ENROLLED,
        ).exclude(person_id__in=taken)
        candidates = sorted(arrived.values_list("person_id", flat=True))
        if candidates:
            person_id = context.rng.choice(candidates)
            taken.add(person_id)
            return InsuredPerson.objects.select_related("village__parent").get(pk=person_id), year
    return None


def _pay_twice(context: DemoContext, chosen: tuple[InsuredPerson, int], day: dt.date, line: int) -> int:
    """The same tier paid again (a second payment through another channel): tax sends it, and
    the engine leaves it in the unmatched queue as own_already_paid (002 二: paid once a year)."""
    person, year = chosen
    amount = PersonYear.objects.get(person=person, year=year).own_amount
    notice = {
        "voucher_no": f"3211370{day:%Y%m%d}9{line:04d}",
        "line_no": 1,
        "kind": "own",
        "insured_id_number": person.id_no,
        "insured_name": person.name,
        "payer_name": person.name,
        "payer_id": person.id_no,
        "year": year,
        "amount": f"{amount:.2f}",
        "paid_at": _moment(day, 16).isoformat(timespec="seconds"),
        "channel": "mobile_bank",
        "receivable_no": None,
        "reverses": None,
        "tax_office_code": TAX_OFFICE,
        "agency_code": person.village.code[:6],
    }
    body = {
        "batch_id": f"DEMO-REFUND-{day:%Y%m%d}-{line}",
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
    if NoticeBatch.objects.get(pk=stored.batch.pk).unmatched_count != 1:
        raise RuntimeError(f"demo duplicate payment for {person.person_no} was not left in the queue")
    return 1


def _card_number(person: InsuredPerson) -> str:
    from stdnum import luhn

    body = f"{DEMO_CARD_PREFIX}{int(person.person_no[-7:]) if person.person_no[-7:].isdigit() else person.pk:07d}"
    return body + luhn.calc_check_digit(body)


def _take(
    context: DemoContext,
    person: InsuredPerson,
    case_code: str,
    entries: list[int],
    notices: list[int],
    now: dt.datetime,
    circumstances: str = "",
) -> RefundApplication:
    applicant = Applicant(
        applicant_name=person.name,
        applicant_id_no=person.id_no,
        relation=RefundApplication.Relation.SELF,
        applicant_phone=f"139{person.pk:08d}"[:11],
        bank_name="演示县农村商业银行城关支行（演示）",
        account_type=RefundApplication.AccountType.CARD,
        account_no=_card_number(person),
        account_name=person.name,
        circumstances=circumstances,
    )
    case = RefundCase.objects.get(code=case_code)
    return services.application_receive(
        RefundInput(person, case, tuple(entries), tuple(notices), applicant),
        copies=_copies(person, case),
        user=context.users["township"],
        agency_region=Region.objects.get(code=TOWNSHIP_CODE),
        now=now,
    )


def _copies(person: InsuredPerson, case: RefundCase) -> dict[str, Any]:
    copies = {
        "id_card_copy": _image("身份证复印件（演示）", person.name),
        "bank_card_copy": _image("银行卡复印件（演示）", person.name),
        "payment_proof": _image("社会保险费缴费证明（演示）", person.name),
    }
    if case.evidence:
        copies["evidence_copy"] = _image(f"{case.evidence}（演示）", person.name)
    return copies


def _image(title: str, name: str) -> SimpleUploadedFile:
    """A placeholder scan, labelled as demo data."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(image)
    try:
        font = ImageFont.truetype("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 32)
    except OSError:
        font = ImageFont.load_default()
    draw.rectangle((10, 10, 630, 390), outline="black", width=3)
    draw.text((40, 120), title, fill="black", font=font)
    draw.text((40, 200), name, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return SimpleUploadedFile("copy.png", out.getvalue(), content_type="image/png")
