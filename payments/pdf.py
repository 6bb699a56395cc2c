"""The reconciliation report 对账报告, printed for signature (notice 003 五(三)). Printed, it is
recorded in the print log with its figures (insured.printing.sheets); the persons its differences
name are recorded by the view, as for the other downloads of the reconciliation."""

from __future__ import annotations

from typing import Any

from insured import access
from insured.formats import money
from insured.printing.sheets import Sheet, print_sheets
from payments.reconciliation import Cause, Reconciliation

TITLE = "城乡居民基本养老保险缴费对账表"


def reconciliation_pdf(result: Reconciliation, *, printed_by: Any) -> bytes:
    return print_sheets([reconciliation_sheet(result, printed_by=printed_by)], user=printed_by).content


def reconciliation_sheet(result: Reconciliation, *, printed_by: Any) -> Sheet:
    profile = access.profile_of(printed_by)
    total = result.total
    period = f"{result.start:%Y-%m-%d}" + (f" 至 {result.end:%Y-%m-%d}" if result.end != result.start else "")
    return Sheet(
        "payments/reconciliation_pdf.html",
        {"result": result, "printed_role": profile.get_role_display() if profile else "", "bank_causes": Cause.BANK},
        form="payments.reconciliation",
        title=TITLE,
        region=result.region,
        facts=[
            ("对账区域", f"{result.region.full_name}（{result.region.code}）"),
            ("对账期间", period),
            ("税务到账", f"{total.tax.count}笔，{money(total.tax.amount)}元"),
            ("应收已缴", f"{total.receivables.count}笔，{money(total.receivables.amount)}元"),
            ("个人账户记账", f"{total.ledger.count}笔，{money(total.ledger.amount)}元"),
            ("差异", f"{len(result.differences)}条" if result.has_differences else "无差异"),
        ],
    )
