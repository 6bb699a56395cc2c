"""Reconciliation's figures and differences: the data the page, the exports and the stored runs show."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from insured.models import Region
from insured.money import MoneyField, quantize
from payments.models import ArrivalNotice, PaymentKind, ReconciliationRun

State = ArrivalNotice.State


ZERO = Decimal("0.00")
MONEY = MoneyField()
COUNTED_STATES = [s for s in State.values if s != State.DUPLICATE]
KIND_ORDER = {kind: i for i, kind in enumerate(PaymentKind.values)}


# --- Figures ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Figure:
    count: int = 0
    amount: Decimal = ZERO

    def __post_init__(self) -> None:
        # SQLite's sums come back without their two places; money always shows them.
        object.__setattr__(self, "amount", quantize(Decimal(self.amount)))

    def __add__(self, other: Figure) -> Figure:
        return Figure(self.count + other.count, self.amount + other.amount)

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "amount": f"{self.amount:.2f}"}


@dataclass
class Row:
    """One township and kind; a total row has no township code (and no kind for the grand total)."""

    township_code: str
    township_name: str
    kind: str
    tax: Figure = field(default_factory=Figure)
    tax_with_receivable: Figure = field(default_factory=Figure)  # what the receivables are compared with
    receivables: Figure = field(default_factory=Figure)
    ledger: Figure = field(default_factory=Figure)
    # Paid to tax, waited in the unmatched queue and was refunded without ever being credited.
    returned: Figure = field(default_factory=Figure)
    is_total: bool = False

    @property
    def label(self) -> str:
        if self.is_total:
            return _("All townships") if self.kind else _("Total")
        return self.township_name or _("Not located in a township")

    @property
    def kind_label(self) -> str:
        return str(PaymentKind(self.kind).label) if self.kind in KIND_ORDER else self.kind

    @property
    def ledger_differs(self) -> bool:
        return self.tax != self.ledger + self.returned

    @property
    def receivables_differ(self) -> bool:
        return self.tax_with_receivable != self.receivables

    @property
    def differs(self) -> bool:
        return self.ledger_differs or self.receivables_differ

    def add(self, other: Row) -> None:
        self.tax += other.tax
        self.tax_with_receivable += other.tax_with_receivable
        self.receivables += other.receivables
        self.ledger += other.ledger
        self.returned += other.returned

    def as_json(self) -> dict[str, Any]:
        return {
            "township_code": self.township_code,
            "township_name": self.township_name,
            "label": self.label,
            "kind": self.kind,
            "is_total": self.is_total,
            "tax": self.tax.as_json(),
            "tax_with_receivable": self.tax_with_receivable.as_json(),
            "receivables": self.receivables.as_json(),
            "ledger": self.ledger.as_json(),
            "returned": self.returned.as_json(),
            "differs": self.differs,
        }


@dataclass
class RefundRow:
    """Refunds 退费 of one township in the period (002 附件2 四): money taken out of accounts and paid
    to the applicants, the government's part of it returned to the fund, and payments refunded from
    the unmatched queue without ever being credited. Counts are applications."""

    township_code: str
    township_name: str
    to_payee: Figure = field(default_factory=Figure)
    to_fund: Figure = field(default_factory=Figure)
    from_queue: Figure = field(default_factory=Figure)
    is_total: bool = False

    @property
    def label(self) -> str:
        if self.is_total:
            return _("Total")
        return self.township_name or _("Not located in a township")

    @property
    def paid_out(self) -> Figure:
        """What left the fund's account for the applicants' bank accounts."""
        return Figure(self.to_payee.count + self.from_queue.count, self.to_payee.amount + self.from_queue.amount)

    def add(self, other: RefundRow) -> None:
        self.to_payee += other.to_payee
        self.to_fund += other.to_fund
        self.from_queue += other.from_queue

    def as_json(self) -> dict[str, Any]:
        return {
            "township_code": self.township_code,
            "township_name": self.township_name,
            "label": self.label,
            "is_total": self.is_total,
            "to_payee": self.to_payee.as_json(),
            "to_fund": self.to_fund.as_json(),
            "from_queue": self.from_queue.as_json(),
        }


class Cause:
    UNMATCHED = "unmatched"
    NOT_PROCESSED = "not_processed"
    NO_ENTRY = "no_entry"
    ENTRY_AMOUNT = "entry_amount"
    ENTRY_NOT_CREDITED = "entry_not_credited"
    ENTRY_WITHOUT_NOTICE = "entry_without_notice"
    RECEIVABLE_NOT_PAID = "receivable_not_paid"
    RECEIVABLE_WITHOUT_NOTICE = "receivable_without_notice"
    RECEIVABLE_AMOUNT = "receivable_amount"
    UNEXPLAINED = "unexplained"
    # The bank column (payments.reconciliation.bank).
    BANK_WITHOUT_NOTICE = "bank_without_notice"
    BANK_AMOUNT = "bank_amount"
    NOTICE_WITHOUT_BANK = "notice_without_bank"
    BANK_DAY = "bank_day"
    BANK = frozenset({BANK_WITHOUT_NOTICE, BANK_AMOUNT, NOTICE_WITHOUT_BANK, BANK_DAY})


def cause_label(cause: str, reason: str = "") -> str:
    if cause == Cause.UNMATCHED:
        reason_label = ArrivalNotice.Reason(reason).label if reason in ArrivalNotice.Reason.values else reason
        return _("Waiting in the unmatched queue: %(reason)s") % {"reason": reason_label}
    labels = {
        Cause.NOT_PROCESSED: _("Received from tax, not processed yet"),
        Cause.NO_ENTRY: _("Credited, but no ledger entry was posted"),
        Cause.ENTRY_AMOUNT: _("The ledger entry's amount differs from the notice"),
        Cause.ENTRY_NOT_CREDITED: _("A ledger entry was posted for a notice that is not credited"),
        Cause.ENTRY_WITHOUT_NOTICE: _("A ledger entry names a notice that does not exist"),
        Cause.RECEIVABLE_NOT_PAID: _("Credited, but its receivable is not marked paid"),
        Cause.RECEIVABLE_WITHOUT_NOTICE: _("The receivable is marked paid, but no credited notice pays it"),
        Cause.RECEIVABLE_AMOUNT: _("The receivable's amount differs from the notice that paid it"),
        Cause.UNEXPLAINED: _("The figures differ and no single payment explains it"),
        Cause.BANK_WITHOUT_NOTICE: _("A line on the bank statement that no tax notice explains"),
        Cause.BANK_AMOUNT: _("The bank line's amount differs from the tax notices of its voucher (shown below)"),
        Cause.NOTICE_WITHOUT_BANK: _("A tax notice that no line on the bank statement accounts for"),
        Cause.BANK_DAY: _("The bank's total of the day differs from the tax notices' (theirs shown below)"),
    }
    return str(labels.get(cause, cause))


@dataclass
class Difference:
    cause: str
    kind: str
    township_id: int | None = None
    township_code: str = ""
    township_name: str = ""
    reason: str = ""
    voucher_no: str = ""
    line_no: int | None = None
    person_name: str = ""
    id_no: str = ""
    receivable_no: str = ""
    amount: Decimal | None = None
    paid_at: dt.datetime | None = None
    detail: str = ""
    day: dt.date | None = None  # a bank line's value date, or the day a bank total differs

    def __post_init__(self) -> None:
        if self.amount is not None:
            self.amount = quantize(Decimal(self.amount))

    @property
    def label(self) -> str:
        return cause_label(self.cause, self.reason)

    @property
    def kind_label(self) -> str:
        return str(PaymentKind(self.kind).label) if self.kind in KIND_ORDER else self.kind

    @property
    def voucher(self) -> str:
        if not self.voucher_no:
            return ""
        return self.voucher_no if self.line_no is None else f"{self.voucher_no}/{self.line_no}"

    def as_json(self) -> dict[str, Any]:
        return {
            "cause": self.cause,
            "label": self.label,
            "reason": self.reason,
            "township_code": self.township_code,
            "township_name": self.township_name,
            "kind": self.kind,
            "voucher_no": self.voucher_no,
            "line_no": self.line_no,
            "person_name": self.person_name,
            "id_no": self.id_no,
            "receivable_no": self.receivable_no,
            "amount": None if self.amount is None else f"{self.amount:.2f}",
            "paid_at": self.paid_at.isoformat() if self.paid_at else None,
            "day": self.day.isoformat() if self.day else None,
            "detail": self.detail,
        }


@dataclass
class Reconciliation:
    region: Region
    start: dt.date
    end: dt.date
    rows: list[Row]
    totals: list[Row]  # per kind, all townships
    total: Row
    differences: list[Difference]
    refunds: list[RefundRow] = field(default_factory=list)  # per township, then the total
    bank: Any = None  # payments.reconciliation.bank.BankReconciliation, where a statement covers the period

    @property
    def refund_total(self) -> RefundRow | None:
        return self.refunds[-1] if self.refunds else None

    @property
    def has_differences(self) -> bool:
        return bool(self.differences) or self.total.differs or any(r.differs for r in self.rows)

    @property
    def all_rows(self) -> list[Row]:
        return [*self.rows, *self.totals, self.total]


def period_bounds(period: str, day: dt.date) -> tuple[dt.date, dt.date]:
    if period == ReconciliationRun.Period.YEAR:
        return day.replace(month=1, day=1), day.replace(month=12, day=31)
    if period == ReconciliationRun.Period.MONTH:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return day, day
