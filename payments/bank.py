"""The bank's statement of the pension fund's income account 收入户 (003 五(三)): an uploaded .xlsx
or .csv (UTF-8, GB18030 too) with a line per movement — value date, amount, reference (the e-tax
voucher number the bank carries), counterparty — checked row by row and taken whole or not at all.

The same file twice changes nothing (its fingerprint is unique per region); a statement that would
cover a day another statement of the region already covers is refused, so no line counts twice.
Reconciliation compares the lines with the tax notices and the ledger (payments.reconciliation.bank).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from insured import formats
from insured.models import Region
from insured.money import quantize
from insured.spreadsheets import Column, ColumnKind, Layout, RowError, Sheet, SpreadsheetError, error_sheet, read
from payments.models import BankStatement, BankStatementLine

LAYOUT = Layout(
    title="银行对账单（收入户）",
    columns=(
        Column(
            "day", "交易日期", ColumnKind.DATE, aliases=("日期", "记账日期", "入账日期"), width=14, example="2026-03-02"
        ),
        Column(
            "amount",
            "金额",
            ColumnKind.AMOUNT,
            aliases=("交易金额", "发生额", "贷方金额", "入账金额"),
            width=14,
            example="500.00",
        ),
        Column(
            "reference",
            "参考号",
            ColumnKind.CODE,
            aliases=("摘要", "附言", "电子税票号码", "交易参考号", "凭证号"),
            required=False,
            width=28,
            example="321137020260302000001",
        ),
        Column(
            "counterparty",
            "对方户名",
            ColumnKind.NAME,
            aliases=("对方账户名称", "对方单位", "付款人", "对方户名称"),
            required=False,
            width=24,
            example="国家金库演示县支库",
        ),
    ),
    max_rows=50_000,
    notes=(
        "每行一笔收入户的资金变动：交易日期、金额（入账为正数，退回或冲正为负数，最多两位小数）、"
        "参考号（银行回单上的电子税票号码）、对方户名。",
        "一个地区的两份对账单不能覆盖同一天；同一个文件重复导入不会重复记账。",
    ),
)


@dataclass(frozen=True)
class ImportResult:
    statement: BankStatement
    created: bool


class StatementInvalid(Exception):
    """The statement has errors (row by row, or the whole file): nothing of it was saved."""

    def __init__(self, errors: list[RowError], sheet: Sheet | None = None) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors
        self.sheet = sheet

    def error_sheet(self) -> Any:
        rows = [e for e in self.errors if e.line is not None]
        return error_sheet(self.sheet, self.errors) if self.sheet is not None and rows else None


def statement_read(content: bytes, filename: str) -> Sheet:
    try:
        return read(content, filename, LAYOUT)
    except SpreadsheetError as exc:
        raise StatementInvalid([exc.as_row_error()]) from None


def _check_lines(sheet: Sheet, start: dt.date | None, end: dt.date | None) -> list[RowError]:
    errors = list(sheet.errors)
    for index, (_number, _line, row) in enumerate(sheet.records()):
        amount, day = row.get("amount"), row.get("day")
        if amount is not None:
            if amount != quantize(amount):
                errors.append(
                    sheet.error(index, "amount", "amount_places", _("An amount has at most two decimal places."))
                )
            elif amount == 0:
                errors.append(
                    sheet.error(
                        index,
                        "amount",
                        "amount_zero",
                        _("A line of the statement moves money: the amount is not zero."),
                    )
                )
        if day is not None and start and end and not start <= day <= end:
            errors.append(
                sheet.error(
                    index,
                    "day",
                    "day_outside_statement",
                    _("%(day)s is outside the statement's period, %(start)s to %(end)s.")
                    % {"day": formats.day(day), "start": formats.day(start), "end": formats.day(end)},
                )
            )
    return errors


def statement_import(
    *,
    region: Region,
    content: bytes,
    filename: str,
    user: AbstractBaseUser,
    account: str = "",
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> ImportResult:
    """Check a statement row by row and store it whole, or raise StatementInvalid and store nothing.
    Without `start` and `end` the statement covers the days from its first line to its last."""
    sheet = statement_read(content, filename)
    errors = _check_lines(sheet, start, end)
    if errors:
        raise StatementInvalid(errors, sheet)
    rows = [row for _number, _line, row in sheet.records()]
    days = [row["day"] for row in rows]
    start, end = start or min(days), end or max(days)
    fingerprint = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        # Two uploads for one region at once: the second waits here and then sees the first's days.
        Region.objects.select_for_update().get(pk=region.pk)
        existing = BankStatement.objects.filter(region=region, sha256=fingerprint).first()
        if existing is not None:
            return ImportResult(existing, created=False)
        overlapping = (
            BankStatement.objects.filter(region=region, start__lte=end, end__gte=start).order_by("start").first()
        )
        if overlapping is not None:
            raise StatementInvalid(
                [
                    RowError(
                        None,
                        None,
                        None,
                        "statement_overlaps",
                        _(
                            "A statement of %(first)s to %(last)s (%(name)s) is already imported and covers some of "
                            "these days; a day is compared with one statement only."
                        )
                        % {
                            "first": formats.day(overlapping.start),
                            "last": formats.day(overlapping.end),
                            "name": overlapping.source_name,
                        },
                    )
                ],
                sheet,
            )
        statement = BankStatement.objects.create(
            region=region,
            account=account,
            start=start,
            end=end,
            source_name=filename[:200],
            sha256=fingerprint,
            line_count=len(rows),
            total=sum((row["amount"] for row in rows), Decimal("0.00")),
            uploaded_by=user,
        )
        BankStatementLine.objects.bulk_create(
            [
                BankStatementLine(
                    statement=statement,
                    line=index,
                    day=row["day"],
                    amount=row["amount"],
                    reference=(row.get("reference") or "")[:60],
                    counterparty=(row.get("counterparty") or "")[:100],
                )
                for index, row in enumerate(rows, start=1)
            ],
            batch_size=2000,
        )
    return ImportResult(statement, created=True)


def imported_message(statement: BankStatement) -> str:
    return _("The statement is imported: %(lines)s lines, %(total)s yuan, covering %(start)s to %(end)s.") % {
        "lines": statement.line_count,
        "total": formats.money(statement.total),
        "start": formats.day(statement.start),
        "end": formats.day(statement.end),
    }


def reconciliation_url(statement: BankStatement) -> str:
    """The reconciliation of the statement's first month (or day), at its bank section."""
    period = "day" if statement.start == statement.end else "month"
    return f"{reverse('payments:reconciliation')}?period={period}&date={statement.start.isoformat()}#bank"
