"""The printed forms of refunds: the 退费申请表 (002 附件2 一: the application the tax branch and
the township office keep a copy of, with the township's 初审 and the county's 复核 opinions and
seals), and the month's 请款汇总表 for the finance bureau (002 附件2 三)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.utils import timezone

from insured import ledger
from insured.history import staff_name
from insured.money import amount_in_words
from insured.printing import BEIJING, printed_at, render_pdf
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


def application_pdf(application: RefundApplication, *, printed_by: AbstractUser) -> bytes:
    return render_pdf("refunds/application_pdf.html", _application_context(application, printed_by))


def _application_context(application: RefundApplication, printed_by: AbstractUser) -> dict[str, Any]:
    lines = selectors.application_lines(application)
    person = application.person
    reviewed = application.reviewed_by is not None and application.status not in (Status.RETURNED,)
    return {
        "application": application,
        "agency": settings.AGENCY_NAME,
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
        "printed_by": staff_name(printed_by),
        "printed_at": printed_at(),
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
    applications = selectors.request_applications(request)
    payee = sum((a.payee_amount for a in applications), Decimal("0.00"))
    fund = sum((a.fund_amount for a in applications), Decimal("0.00"))
    return render_pdf(
        "refunds/request_pdf.html",
        {
            "request_": request,
            "agency": settings.AGENCY_NAME,
            "rows": request_rows(applications),
            "count": len(applications),
            "payee_total": payee,
            "fund_total": fund,
            "payee_words": amount_in_words(payee),
            "made_by": staff_name(request.created_by),
            "printed_by": staff_name(printed_by),
            "printed_at": printed_at(),
        },
    )
