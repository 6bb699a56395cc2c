"""The printed forms of notice 001, A4 and in Chinese whatever the screen's language, each with the
signature and seal lines of its attachment, who printed it and when, and a check code:

- 备案表 (附件5): the organisation and its year's plan, with the sentence filled in;
- 申报表 (附件3): the roster, 一式两份, with its four signature and seal lines;
- 缴费通知单: what the village (or sponsor) pays through tax, row by row, under which receivable;
- 应收核定单: the receivables approved and sent to tax, for the village's and the agency's files;
- 汇总表 (附件4): by the beneficiaries' township and village, 合计金额（大写）, 一式两联.

Each is a `Sheet` (insured.printing.sheets): printed, it is recorded in the print log with what it
said; a filing's approved rosters are printed by the auditor as one batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.urls import reverse
from django.utils import timezone

from collective import selectors, services
from collective.models import Filing, Roster
from collective.summary import Summary, period_label
from insured.formats import BEIJING, money
from insured.history import staff_name
from insured.money import amount_in_words
from insured.printing.sheets import Sheet, print_sheets

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


STATUS = {
    Roster.Status.DRAFT: "未提交",
    Roster.Status.SUBMITTED: "待审核",
    Roster.Status.REVIEWED: "已初审",
    Roster.Status.APPROVED: "已核定，待缴费",
    Roster.Status.PAID: "已全部到账",
    Roster.Status.REJECTED: "已退回",
    Roster.Status.DISCARDED: "已替换",
}


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
    return print_sheets([filing_sheet(filing)], user=printed_by).content


def filing_sheet(filing: Filing) -> Sheet:
    organisation = filing.organisation
    check_code = services.check_code_for(filing.number, organisation.uscc, filing.year, filing.planned_total)
    context = {
        "filing": filing,
        "organisation": organisation,
        "township": organisation.village.parent,
        "standard": f"{filing.standard:,.2f}" if filing.standard is not None else "",
        "hardship_standard": f"{filing.hardship_standard:,.2f}" if filing.hardship_standard else "",
        "planned_wan": wan(filing.planned_total),
        "check_code": check_code,
    }
    return Sheet(
        "collective/filing_pdf.html",
        context,
        form="collective.filing",
        title="集体补助备案表",
        region=organisation.village,
        number=filing.number,
        check_code=check_code,
        facts=[
            ("备案编号", filing.number),
            ("集体经济组织", f"{organisation.name}（{organisation.uscc}）"),
            ("年度", f"{filing.year}年"),
            ("补助标准（元/人）", context["standard"] or "—"),
            ("困难群体补助标准（元/人）", context["hardship_standard"] or "—"),
            ("计划补助总额（万元）", context["planned_wan"] or "—"),
        ],
        link=reverse("collective:filing-detail", args=[filing.pk]),
    )


def _roster_context(roster: Roster) -> dict[str, Any]:
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
    }


@dataclass(frozen=True)
class Form:
    key: str
    template: str
    title: str
    needs_approval: bool

    def render(self, roster: Roster, *, printed_by: Any) -> bytes:
        return print_sheets([self.sheet(roster)], user=printed_by).content

    def sheet(self, roster: Roster) -> Sheet:
        context = _roster_context(roster)
        counts = context["counts"]
        facts = [
            ("申报编号", roster.number),
            ("补助（资助）单位", context["payer"]),
            ("年度", f"{context['filing'].year}年"),
            ("状态", STATUS.get(roster.status, roster.status)),
            ("人数", f"{counts.count}人"),
            ("合计金额", f"{money(counts.total)}元（人民币{context['total_words']}）"),
        ]
        if context["approver"]:
            facts.append(("核定人", f"{context['reviewer']}、{context['approver']}"))
        return Sheet(
            self.template,
            context,
            form=f"collective.{self.key}",
            title=self.title,
            region=roster.filing.region,
            number=roster.number,
            check_code=roster.check_code,
            facts=facts,
            person_ids=[row.person_id for row, _sex, _type in context["rows"]],
            link=reverse("collective:roster-detail", args=[roster.pk]),
            detail=f"{roster.number} {self.key}",
        )


FORMS: dict[str, Form] = {
    "roster": Form("roster", "collective/roster_pdf.html", "补助/资助申报表", needs_approval=False),  # 申报表
    "notice": Form("notice", "collective/notice_pdf.html", "缴费通知单", needs_approval=True),  # 缴费通知单
    "statement": Form("statement", "collective/statement_pdf.html", "应收核定单", needs_approval=True),  # 应收核定单
}


def summary_pdf(summary: Summary, *, printed_by: Any) -> bytes:
    """补助/资助汇总表 (附件4)."""
    return print_sheets([summary_sheet(summary)], user=printed_by).content


def summary_sheet(summary: Summary) -> Sheet:
    period = period_label(summary.wanted)
    check_code = services.check_code_for(
        "summary", summary.region.code, *summary.wanted.as_params().values(), summary.count, summary.total
    )
    return Sheet(
        "collective/summary_pdf.html",
        {"summary": summary, "period": period, "total_words": summary.total_in_words, "check_code": check_code},
        form="collective.summary",
        title="补助/资助汇总表",
        region=summary.region,
        check_code=check_code,
        facts=[
            ("区域", summary.region.full_name),
            ("期间", period),
            ("类型", summary.kind_label),
            ("口径", summary.basis_label),
            ("村（社区）数", str(len(summary.lines))),
            ("人数", f"{summary.count}人"),
            ("合计金额", f"{money(summary.total)}元（人民币{summary.total_in_words}）"),
        ],
    )


def batch_sheet(roster: Roster, filters: dict[str, Any]) -> Sheet:
    return FORMS[filters["form"]].sheet(roster)


def batch_title(filters: dict[str, Any]) -> str:
    """The batch file's title: 2026年补助/资助申报表（备案 BA…）."""
    title = f"{filters['year']}年{FORMS[filters['form']].title}"
    return title + (f"（备案{filters['filing']}）" if filters.get("filing") else "")
