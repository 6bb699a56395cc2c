"""The back-payment application form 城乡居民养老保险补缴申请表 (002 四(四): declared at the township
office; 003 六(三): no subsidy; 004 七(三)6: 到龄补缴 years assessed by the county): printed for the
applicant to check and sign, with the receivable of each year once approved. Every print is
recorded with what the form said (insured.printing.sheets)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.urls import reverse
from django.utils import timezone

from collection.backpay_models import BackPaymentApplication, BackPaymentScheme
from insured import formats
from insured.history import staff_name
from insured.identity import mask_id_no
from insured.models import InsuredPerson, Region
from insured.money import amount_in_words
from insured.printing import BEIJING
from insured.printing.sheets import Sheet, print_sheets

Status = BackPaymentApplication.Status

# The printed form is what people sign: fixed Chinese, whatever language the screen is in.
SEX = {"M": "男", "F": "女"}
ENROLMENT = {
    InsuredPerson.Status.ENROLLED: "正常参保缴费",
    InsuredPerson.Status.SUSPENDED: "暂停缴费",
    InsuredPerson.Status.RECEIVING: "领取待遇",
    InsuredPerson.Status.CLOSED: "终止参保",
}
SCHEME = {BackPaymentScheme.BASIC: "城乡居民基本养老保险", BackPaymentScheme.SUPPLEMENTARY: "城乡居民补充养老保险"}
BASIS = {
    BackPaymentApplication.Basis.INTERRUPTED: "中断年度补缴",
    BackPaymentApplication.Basis.AGED: "到龄人员补缴",
}
STATUS = {
    Status.SUBMITTED: "待县社保经办机构审核",
    Status.APPROVED: "已审核通过，待缴费",
    Status.PAID: "已缴费到账",
    Status.REJECTED: "已驳回",
    Status.WITHDRAWN: "已撤回",
}
NOT_FOR_PAYMENT = {
    Status.SUBMITTED: "本申请尚未审核通过，本表仅供核对，不得作为缴费依据。",
    Status.REJECTED: "本申请已被驳回，本表无效。",
    Status.WITHDRAWN: "本申请已撤回，本表无效。",
}
FORM = "collection.backpay"
TITLE = "城乡居民养老保险补缴申请表"


def application_pdf(application: BackPaymentApplication, *, printed_by: AbstractUser) -> bytes:
    return print_sheets([application_sheet(application)], user=printed_by).content


def application_sheet(application: BackPaymentApplication) -> Sheet:
    context = _context(application)
    return Sheet(
        "collection/backpay/application_pdf.html",
        context,
        form=FORM,
        title=TITLE,
        region=application.person.village,
        number=application.number,
        facts=_facts(application, context),
        person_ids=[application.person_id],
        link=reverse("collection:backpay-detail", args=[application.pk]),
    )


def batch_sheet(application: BackPaymentApplication, filters: dict[str, Any]) -> Sheet:
    return application_sheet(application)


def batch_title(filters: dict[str, Any]) -> str:
    """The batch file's title: 2026年11月城乡居民养老保险补缴申请表（已审核通过，待缴费）."""
    month = filters["month"]
    status = STATUS.get(filters.get("status") or "", "")
    return f"{month.year}年{month.month}月{TITLE}" + (f"（{status}）" if status else "")


def _facts(application: BackPaymentApplication, context: dict[str, Any]) -> list[tuple[str, str]]:
    """What the form says, for the print log: IDs masked."""
    person = application.person
    facts = [
        ("申请编号", application.number),
        ("状态", STATUS.get(application.status, application.status)),
        ("申请人", f"{person.name}（{mask_id_no(person.id_no)}）"),
        ("补缴险种", context["scheme"]),
        ("补缴年度", "、".join(str(r["year"]) for r in context["rows"])),
        ("合计金额", f"{context['total_figures']}（人民币{context['total_words']}）"),
        ("审核人", context["reviewer"] or "—"),
    ]
    if context["warning"]:
        facts.append(("提示", context["warning"]))
    return facts


def _context(application: BackPaymentApplication) -> dict[str, Any]:
    person = application.person
    reviewed = application.status in (Status.APPROVED, Status.PAID) and application.reviewed_by is not None
    rows = [
        {
            "year": row.year,
            "amount": formats.money(row.amount),
            "receivable": row.receivable.number if row.receivable else "—",
        }
        for row in application.years.select_related("receivable").order_by("year")
    ]
    return {
        "application": application,
        "title": TITLE,
        "basis": BASIS.get(application.basis, ""),
        "aged": application.basis == BackPaymentApplication.Basis.AGED,
        "supplementary": application.scheme == BackPaymentScheme.SUPPLEMENTARY,
        "scheme": SCHEME.get(application.scheme, ""),
        "submitted_on": timezone.localtime(application.submitted_at, BEIJING).date(),
        "person": person,
        "sex": SEX.get(person.sex, ""),
        "enrolment": ENROLMENT.get(person.status, person.get_status_display()),
        "residence": _residence(person.village),
        "rows": rows,
        "tier_figures": formats.money(application.tier),
        "total_figures": f"¥{formats.money(application.total)}",
        "total_words": amount_in_words(application.total),
        "warning": NOT_FOR_PAYMENT.get(application.status, ""),
        "maker": staff_name(application.submitted_by),
        "reviewer": staff_name(application.reviewed_by) if reviewed else "",
        "reviewed_on": timezone.localtime(application.reviewed_at, BEIJING).date() if reviewed else None,
    }


def _residence(village: Region) -> str:
    chain = [r for r in village.ancestors() if r.level in (Region.Level.COUNTY, Region.Level.TOWNSHIP)]
    return "".join(r.name for r in [*chain, village])
