"""The application form 城乡居民养老保险社会资助申请表 (notice 000 三(二), 附件1): printed after
approval for sponsor and beneficiary to check the year and amount and sign at the window, and by
the auditor a month at a time (insured.printing.batches). Every print is recorded with what the
form said (insured.printing.sheets)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.urls import reverse
from django.utils import timezone

from insured import formats
from insured.history import staff_name
from insured.identity import mask_id_no, parse_resident_id
from insured.models import InsuredPerson, Region
from insured.money import amount_in_words
from insured.printing import BEIJING
from insured.printing.sheets import Sheet, print_sheets
from subsidy.models import SponsorshipApplication

Status = SponsorshipApplication.Status

# The printed form is what people sign: fixed Chinese, whatever language the screen is in.
SEX = {"M": "男", "F": "女"}
RELATION = {
    SponsorshipApplication.Relation.CHILD: "子女",
    SponsorshipApplication.Relation.GRANDCHILD: "孙子女、外孙子女",
    SponsorshipApplication.Relation.SPOUSE: "配偶",
    SponsorshipApplication.Relation.SIBLING: "兄弟姐妹",
    SponsorshipApplication.Relation.OTHER_RELATIVE: "其他亲属",
    SponsorshipApplication.Relation.OTHER: "其他",
}
ENROLMENT = {
    InsuredPerson.Status.ENROLLED: "正常参保缴费",
    InsuredPerson.Status.SUSPENDED: "暂停缴费",
    InsuredPerson.Status.RECEIVING: "领取待遇",
    InsuredPerson.Status.CLOSED: "终止参保",
}
# A form printed in any other state must not be signed: it says so across the top.
NOT_FOR_SIGNATURE = {
    Status.SUBMITTED: "本申请尚未审核通过，本表仅供核对，不得作为签字确认和缴费依据。",
    Status.REJECTED: "本申请已被驳回，本表无效。",
    Status.WITHDRAWN: "本申请已撤回，本表无效。",
    Status.VOIDED: "本申请逾期未缴费，已自动作废，本表无效。",
}
REVIEWED = (Status.APPROVED, Status.SIGNED, Status.CREDITED)
STATUS = {
    Status.SUBMITTED: "待审核",
    Status.APPROVED: "已审核通过，待签字确认",
    Status.SIGNED: "已签字确认，待缴费",
    Status.CREDITED: "已缴费到账",
    Status.REJECTED: "已驳回",
    Status.WITHDRAWN: "已撤回",
    Status.VOIDED: "逾期作废",
}
FORM = "subsidy.application"
TITLE = "城乡居民养老保险社会资助申请表"


def application_pdf(application: SponsorshipApplication, *, printed_by: AbstractUser) -> bytes:
    return print_sheets([application_sheet(application)], user=printed_by).content


def application_sheet(application: SponsorshipApplication) -> Sheet:
    context = _context(application)
    return Sheet(
        "subsidy/application_pdf.html",
        context,
        form=FORM,
        title=TITLE,
        region=application.beneficiary.village,
        number=application.number,
        check_code=application.check_code,
        facts=_facts(application, context),
        person_ids=[application.beneficiary_id],
        link=reverse("subsidy:detail", args=[application.pk]),
    )


def batch_sheet(application: SponsorshipApplication, filters: dict[str, Any]) -> Sheet:
    return application_sheet(application)


def batch_title(filters: dict[str, Any]) -> str:
    """The batch file's title: 2026年12月个人资助申请表（已审核通过，待签字确认）."""
    month = filters["month"]
    status = STATUS.get(filters.get("status") or "", "")
    return f"{month.year}年{month.month}月{TITLE}" + (f"（{status}）" if status else "")


def _facts(application: SponsorshipApplication, context: dict[str, Any]) -> list[tuple[str, str]]:
    """What the form says that a check of its code must show as printed: IDs masked."""
    beneficiary = application.beneficiary
    facts = [
        ("申请编号", application.number),
        ("状态", STATUS.get(application.status, application.status)),
        ("资助人", f"{application.sponsor_name}（{mask_id_no(application.sponsor_id_no)}）"),
        ("受资助人", f"{beneficiary.name}（{mask_id_no(beneficiary.id_no)}）"),
        ("资助年度", f"{application.year}年度"),
        ("资助金额", f"{context['amount_figures']}（人民币{context['amount_words']}）"),
        ("复核人", context["reviewer"] or "—"),
    ]
    if context["warning"]:
        facts.append(("提示", context["warning"]))
    return facts


def _context(application: SponsorshipApplication) -> dict[str, Any]:
    submitted_on = timezone.localtime(application.submitted_at, BEIJING).date()
    sponsor = parse_resident_id(application.sponsor_id_no, today=submitted_on)
    beneficiary = application.beneficiary
    reviewed = application.status in REVIEWED and application.reviewed_by is not None
    return {
        "application": application,
        "submitted_on": submitted_on,
        "sponsor_sex": SEX[sponsor.sex],
        "sponsor_age": sponsor.age_on(submitted_on),
        "relation": RELATION.get(application.relation, application.get_relation_display()),
        "beneficiary": beneficiary,
        "beneficiary_sex": SEX.get(beneficiary.sex, ""),
        "residence": _residence(beneficiary.village),
        "enrolment": ENROLMENT.get(beneficiary.status, beneficiary.get_status_display()),
        "amount_figures": f"¥{formats.money(application.amount)}",
        "amount_words": amount_in_words(application.amount),
        "warning": NOT_FOR_SIGNATURE.get(application.status, ""),
        "reviewer": staff_name(application.reviewed_by) if reviewed else "",
        "reviewed_on": timezone.localtime(application.reviewed_at, BEIJING).date() if reviewed else None,
    }


def _residence(village: Region) -> str:
    """County, township and village: where the household is registered (000 一(二))."""
    chain = [r for r in village.ancestors() if r.level in (Region.Level.COUNTY, Region.Level.TOWNSHIP)]
    return "".join(r.name for r in [*chain, village])
