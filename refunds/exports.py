"""Files of refunds: the refunds passed to tax (002 附件2 四, JSON and CSV like the receivables
export), and the month's request for money as a spreadsheet for the finance bureau."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from insured import ledger
from insured.money import amount_in_words
from payments.exports import safe_cell
from refunds import selectors
from refunds.models import RefundApplication, RefundLine, RefundRequest, RefundTaxReport

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
REPORT_COLUMNS = (
    "application_no",
    "insured_id_number",
    "insured_name",
    "case",
    "year",
    "kind",
    "e_tax_voucher_no",
    "voucher_line_no",
    "amount",
    "destination",
    "payee_name",
    "paid_on",
    "bank_reference",
)


def voucher_of(line: RefundLine) -> tuple[str, int | None]:
    """The tax voucher the refunded money was paid under, as tax knows it."""
    if line.notice is not None:
        return line.notice.voucher_no, line.notice.line_no
    key = ledger.main_key(line.entry.source_key) if line.entry else ""
    if key.startswith(ledger.NOTICE_PREFIX):
        voucher, _sep, number = key.removeprefix(ledger.NOTICE_PREFIX).rpartition(":")
        return voucher, int(number) if number.isdigit() else None
    return "", None


def _report_rows(report: RefundTaxReport) -> list[dict[str, Any]]:
    lines = (
        RefundLine.objects.filter(application__tax_report=report, is_live=True)
        .select_related("application__person", "application__case", "entry", "notice")
        .order_by("application__number", "year", "id")
    )
    rows = []
    for line in lines:
        a = line.application
        voucher, voucher_line = voucher_of(line)
        rows.append(
            {
                "application_no": a.number,
                "insured_id_number": a.person.id_no,
                "insured_name": a.person.name,
                "case": a.case.code,
                "year": line.year,
                "kind": line.kind,
                "e_tax_voucher_no": voucher,
                "voucher_line_no": voucher_line,
                "amount": f"{line.amount:.2f}",
                "destination": line.destination,
                "payee_name": a.applicant_name,
                "paid_on": a.paid_on.isoformat(),
                "bank_reference": a.bank_reference,
            }
        )
    return rows


def report_json(report: RefundTaxReport) -> bytes:
    rows = _report_rows(report)
    body = {
        "report_no": report.number,
        "agency": settings.AGENCY_NAME,
        "region_code": report.region.code,
        "created_at": report.created_at.isoformat(),
        "count": report.count,
        "total_paid": f"{report.total:.2f}",
        "lines": rows,
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode()


def report_csv(report: RefundTaxReport) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=REPORT_COLUMNS)
    writer.writeheader()
    for row in _report_rows(report):
        writer.writerow({k: safe_cell(v) for k, v in row.items()})
    # With a BOM, Excel opens the Chinese names correctly.
    return ("\ufeff" + out.getvalue()).encode()


# --- The month's request 请款汇总表 --------------------------------------------------------------------


REQUEST_HEADER = (
    "序号",
    "申请编号",
    "乡镇（街道）",
    "参保人姓名",
    "公民身份号码",
    "退费情形",
    "所属年度",
    "收款人",
    "开户银行",
    "账号",
    "退付金额（元）",
    "退回基金（元）",
)


def request_rows(applications: list[RefundApplication]) -> list[list[Any]]:
    """The summary's lines. The finance bureau pays by name and account; the resident ID is
    masked here (each application's 退费申请表 carries it whole)."""
    rows = []
    for n, a in enumerate(applications, start=1):
        years = "、".join(str(y) for y in sorted({line.year for line in a.lines.all()}))
        rows.append(
            [
                n,
                a.number,
                a.township.name,
                a.person.name,
                a.person.masked_id_no,
                a.case.name,
                years,
                a.applicant_name,
                a.bank_name,
                a.account_no,
                a.payee_amount,
                a.fund_amount,
            ]
        )
    return rows


def request_xlsx(request: RefundRequest) -> bytes:
    applications = selectors.request_applications(request)
    book = Workbook()
    sheet = book.active
    sheet.title = "请款汇总表"
    sheet.append([f"城乡居民基本养老保险退费请款汇总表（{request.month:%Y年%m月}）"])
    sheet.append([f"经办机构：{settings.AGENCY_NAME}", "", "", f"请款单号：{request.number}"])
    sheet.append(list(REQUEST_HEADER))
    for row in request_rows(applications):
        # IDs and account numbers as text: a spreadsheet would turn them into rounded numbers.
        sheet.append([safe_cell(str(c)) if i in (4, 9) else safe_cell(c) for i, c in enumerate(row)])
    payee = sum((a.payee_amount for a in applications), Decimal("0.00"))
    fund = sum((a.fund_amount for a in applications), Decimal("0.00"))
    sheet.append(["合计", f"{len(applications)} 件", "", "", "", "", "", "", "", "", payee, fund])
    sheet.append([f"退付合计（大写）：{amount_in_words(payee)}"])
    sheet["A1"].font = Font(bold=True, size=14)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in sheet.iter_rows(min_row=4):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = MONEY_FORMAT
            if cell.column in (5, 10):
                cell.number_format = "@"
    for letter, width in zip("ABCDEFGHIJKL", (6, 18, 12, 10, 22, 22, 12, 10, 24, 24, 14, 14), strict=True):
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
