"""The printed forms of notice 001, A4 and in Chinese whatever the screen's language, each with the
signature and seal lines of its attachment, who printed it and when, and a check code:

- 备案表 (附件5): the organisation and its year's plan, with the sentence filled in;
- 申报表 (附件3): the roster, 一式两份, with its four signature and seal lines;
- 缴费通知单: what the village (or sponsor) pays through tax, row by row, under which receivable;
- 应收核定单: the receivables approved and sent to tax, for the village's and the agency's files;
- 汇总表 (附件4): by the beneficiaries' township and village, 合计金额（大写）, 一式两联.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from collective import selectors, services
from collective.models import Filing, Roster
from collective.summary import Summary, period_label
from insured.formats import BEIJING
from insured.history import staff_name
from insured.money import amount_in_words
from insured.printing import printed_at, render_pdf

SEX = {"M": "男", "F": "女"}
TYPE = {"collective": "集体补助", "social": "社会资助"}
SPONSOR_KIND = {"company": "企业", "charity": "公益慈善组织", "person": "个人"}
# A form printed before approval must not be used to pay: it says so across the top.
NOT_APPROVED = {
    Roster.Status.DRAFT: "本申报表尚未提交，仅供核对。",
    Roster.Status.SUBMITTED: "本申报表尚未审核，仅供核对。",
    Roster.Status.REVIEWED: "本申报表已初审，尚未核定，仅供核对。",
    Roster.Status.REJECTED: "本申报表已被退回，本表无效。",
    Roster.Status.DISCARDED: "本申报表已被替换，本表无效。",
}


def _printed(printed_by: Any) -> dict[str, Any]:
    return {"agency": settings.AGENCY_NAME, "printed_by": staff_name(printed_by), "printed_at": printed_at()}


def _local_day(moment: Any) -> Any:
    return timezone.localtime(moment, BEIJING).date() if moment else None


def wan(amount: Decimal | None) -> str:
    """An amount in 万元 as 附件5 prints it: up to four places, trailing zeros dropped."""
    if amount is None:
        return ""
    text = f"{amount / Decimal(10000):.4f}".rstrip("0").rstrip(".")
    return text or "0"


def filing_pdf(filing: Filing, *, printed_by: Any) -> bytes:
    """集体补助备案表 (附件5)."""
    organisation = filing.organisation
    return render_pdf(
        "collective/filing_pdf.html",
        {
            "filing": filing,
            "organisation": organisation,
            "township": organisation.village.parent,
            "standard": f"{filing.standard:,.2f}" if filing.standard is not None else "",
            "hardship_standard": f"{filing.hardship_standard:,.2f}" if filing.hardship_standard else "",
            "planned_wan": wan(filing.planned_total),
            "check_code": services.check_code_for(filing.number, organisation.uscc, filing.year, filing.planned_total),
            **_printed(printed_by),
        },
    )


def _roster_context(roster: Roster, printed_by: Any) -> dict[str, Any]:
    rows = list(selectors.roster_rows(roster))
    counts = selectors.row_counts(roster)
    filing = roster.filing
    return {
        "roster": roster,
        "filing": filing,
        "payer": filing.payer_name,
        "payer_code": filing.payer_code,
        "organisation": filing.organisation,
        "sponsor_kind": SPONSOR_KIND.get(filing.sponsor_kind, ""),
        "rows": [(row, SEX.get(row.sex, ""), TYPE[row.kind]) for row in rows],
        "counts": counts,
        "total_words": amount_in_words(counts.total),
        "warning": NOT_APPROVED.get(roster.status, ""),
        "approved_on": _local_day(roster.approved_at),
        "approver": staff_name(roster.approved_by) if roster.approved_by else "",
        "reviewer": staff_name(roster.reviewed_by) if roster.reviewed_by else "",
        "due_date": f"{filing.year}年12月31日",
        **_printed(printed_by),
    }


@dataclass(frozen=True)
class Form:
    template: str
    needs_approval: bool

    def render(self, roster: Roster, *, printed_by: Any) -> bytes:
        return render_pdf(self.template, _roster_context(roster, printed_by))


FORMS: dict[str, Form] = {
    "roster": Form("collective/roster_pdf.html", needs_approval=False),  # 申报表
    "notice": Form("collective/notice_pdf.html", needs_approval=True),  # 缴费通知单
    "statement": Form("collective/statement_pdf.html", needs_approval=True),  # 应收核定单
}


def summary_pdf(summary: Summary, *, printed_by: Any) -> bytes:
    """补助/资助汇总表 (附件4)."""
    return render_pdf(
        "collective/summary_pdf.html",
        {
            "summary": summary,
            "period": period_label(summary.wanted),
            "total_words": summary.total_in_words,
            "check_code": services.check_code_for(
                "summary", summary.region.code, *summary.wanted.as_params().values(), summary.count, summary.total
            ),
            **_printed(printed_by),
        },
    )
