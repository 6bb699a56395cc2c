"""The printed forms of refunds: the 退费申请表 (002 附件2 一: the application the tax branch and
the township office keep a copy of, with the township's 初审 and the county's 复核 opinions and
seals), and the month's 请款汇总表 for the finance bureau (002 附件2 三). Each is a `Sheet`
(insured.printing.sheets): printed, it is recorded in the print log with what it said; a month's
application forms are printed by the auditor as one batch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.urls import reverse
from django.utils import timezone

from insured import ledger
from insured.formats import money
from insured.history import staff_name
from insured.identity import mask_id_no
from insured.money import amount_in_words
from insured.printing import BEIJING
from insured.printing.sheets import Sheet, print_sheets
from refunds import selectors
from refunds.exports import request_rows, voucher_of
from refunds.models import RefundApplication, RefundLine, RefundRequest

Status = RefundApplication.Status

# The printed form is what people sign: fixed Chinese, whatever language the screen is in.
RELATION = {
    RefundApplication.Relation.SELF: "本人",
    RefundApplication.Relation.SPOUSE: "配偶",
    RefundApplication.Relation.CHILD: "子女",
    RefundApplication.Relation.PARENT: "父母",
    RefundApplication.Relation.OTHER_HEIR: "其他法定继承人",
}
ACCOUNT_TYPE = {RefundApplication.AccountType.CARD: "银行卡", RefundApplication.AccountType.PASSBOOK: "存折"}
KIND = {
    "own": "个人缴费",
    "government_subsidy": "政府补贴",
    "government_paid": "政府代缴",
    "collective": "集体补助",
    "sponsorship": "个人资助",
    "social": "社会资助",
    "back_payment": "补缴",
    "supplementary": "补充养老保险缴费",
    "supplementary_subsidy": "补充养老保险补贴",
}
NOT_VALID = {
    Status.WITHDRAWN: "本申请已撤回，本表无效。",
    Status.RETURNED: "本申请已被县级退回，待乡镇更正后重新初审，本表不得作为退费依据。",
    Status.PAYMENT_FAILED: "本申请退款支付失败，待乡镇更正银行账户后重新办理，本表不得作为退费依据。",
}


def _day(moment: Any) -> Any:
    return timezone.localtime(moment, BEIJING).date() if moment else None


STATUS = {
    Status.RECEIVED: "已受理，待乡镇初审",
    Status.FIRST_REVIEWED: "乡镇已初审，待报送",
    Status.HANDED_OVER: "已报送县级，待复核",
    Status.RETURNED: "县级退回乡镇",
    Status.APPROVED: "县级复核通过，待请款",
    Status.REQUESTED: "已请款，待支付",
    Status.PAID: "已退付",
    Status.PAYMENT_FAILED: "退款支付失败",
    Status.WITHDRAWN: "已撤回",
}
APPLICATION_TITLE = "城乡居民社保费退费申请表"
REQUEST_TITLE = "城乡居民基本养老保险退费请款汇总表"


def application_pdf(application: RefundApplication, *, printed_by: AbstractUser) -> bytes:
    return print_sheets([application_sheet(application)], user=printed_by).content


def application_sheet(application: RefundApplication) -> Sheet:
    context = _application_context(application)
    person = application.person
    facts = [
        ("申请编号", application.number),
        ("状态", STATUS.get(application.status, application.status)),
        ("参保人", f"{person.name}（{mask_id_no(person.id_no)}）"),
        ("申请人", f"{application.applicant_name}（{mask_id_no(application.applicant_id_no)}）"),
        ("退费情形", application.case.name),
        ("所属年度", context["years"]),
        ("收款账户", f"{application.bank_name} 尾号{application.account_no[-4:]}"),
        ("退付申请人", f"{context['payee_figures']}（人民币{context['payee_words']}）"),
        ("退回基金", context["fund_figures"]),
    ]
    if context["warning"]:
        facts.append(("提示", context["warning"]))
    return Sheet(
        "refunds/application_pdf.html",
        context,
        form="refunds.application",
        title=APPLICATION_TITLE,
        region=person.village,
        number=application.number,
        check_code=application.check_code,
        facts=facts,
        person_ids=[application.person_id],
        link=reverse("refunds:detail", args=[application.pk]),
    )


def batch_sheet(application: RefundApplication, filters: dict[str, Any]) -> Sheet:
    return application_sheet(application)


def batch_title(filters: dict[str, Any]) -> str:
    """The batch file's title: 2026年12月受理的城乡居民社保费退费申请表."""
    month = filters["month"]
    status = STATUS.get(filters.get("status") or "", "")
    return f"{month.year}年{month.month}月受理的{APPLICATION_TITLE}" + (f"（{status}）" if status else "")


def _application_context(application: RefundApplication) -> dict[str, Any]:
    lines = selectors.application_lines(application)
    person = application.person
    reviewed = application.reviewed_by is not None and application.status not in (Status.RETURNED,)
    return {
        "application": application,
        "person": person,
        "residence": "".join(r.name for r in [person.village.parent, person.village]),
        "received_on": _day(application.received_at),
        "relation": RELATION.get(application.relation, application.get_relation_display()),
        "account_type": ACCOUNT_TYPE.get(application.account_type, ""),
        "lines": [
            {
                "year": line.year,
                "kind": KIND.get(line.kind, line.kind),
                "source": _source(line),
                "amount": line.amount,
                "to_fund": line.destination == "fund",
            }
            for line in lines
        ],
        "years": "、".join(str(y) for y in sorted({line.year for line in lines})),
        "payee_figures": f"¥{application.payee_amount:,.2f}",
        "payee_words": amount_in_words(application.payee_amount),
        "fund_figures": f"¥{application.fund_amount:,.2f}",
        "warning": NOT_VALID.get(application.status, ""),
        "first_reviewer": staff_name(application.first_reviewed_by) if application.first_reviewed_by else "",
        "first_reviewed_on": _day(application.first_reviewed_at),
        "reviewer": staff_name(application.reviewed_by) if reviewed else "",
        "reviewed_on": _day(application.reviewed_at) if reviewed else None,
    }


def _source(line: RefundLine) -> str:
    """The e-tax voucher the money came under; a subsidy is named by its contribution's voucher."""
    voucher, number = voucher_of(line)
    if not voucher:
        return line.entry.source_key if line.entry else ""
    text = f"{voucher}/{number}" if number is not None else voucher
    if line.entry is not None and line.entry.source_key.endswith(ledger.SUBSIDY_SUFFIX):
        return f"{text}（随缴费记入）"
    return text if line.entry is not None else f"{text}（待处理到账）"


def request_pdf(request: RefundRequest, *, printed_by: AbstractUser) -> bytes:
    return print_sheets([request_sheet(request)], user=printed_by).content


def request_sheet(request: RefundRequest) -> Sheet:
    applications = selectors.request_applications(request)
    payee = sum((a.payee_amount for a in applications), Decimal("0.00"))
    fund = sum((a.fund_amount for a in applications), Decimal("0.00"))
    context = {
        "request_": request,
        "rows": request_rows(applications),
        "count": len(applications),
        "payee_total": payee,
        "fund_total": fund,
        "payee_words": amount_in_words(payee),
        "made_by": staff_name(request.created_by),
    }
    return Sheet(
        "refunds/request_pdf.html",
        context,
        form="refunds.request",
        title=REQUEST_TITLE,
        region=request.region,
        number=request.number,
        facts=[
            ("请款编号", request.number),
            ("请款月份", f"{request.month.year}年{request.month.month}月"),
            ("件数", f"{len(applications)}件"),
            ("退付申请人合计", f"{money(payee)}元（人民币{amount_in_words(payee)}）"),
            ("退回基金合计", f"{money(fund)}元"),
            ("制表人", context["made_by"]),
        ],
        person_ids=[a.person_id for a in applications],
        link=reverse("refunds:request-detail", args=[request.pk]),
    )
