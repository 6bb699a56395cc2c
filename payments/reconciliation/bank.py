"""The bank column of reconciliation (003 五(三): the tax system, the bank and the pension system agree
on counts and amounts). For each day a bank statement of the region covers: the lines of the fund's
income account beside the tax notices paid that day and the ledger entries they posted. Then every
difference, line by line:

- a bank line whose reference names no tax notice (or names none at all);
- a bank line whose amount differs from the notices of the voucher it names (a cent is a difference);
- a tax notice paid on a covered day whose voucher no bank line names (a day missing from the bank);
- a covered day whose totals differ though no line explains it (a line dated on another day).

A bank figure is the region's: a township's or a village's reconciliation has no bank column (the
fund has one account per county). Nothing is read one line or one notice at a time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, Exists, F, IntegerField, Max, Min, OuterRef, QuerySet, Sum, When
from django.db.models.functions import Cast, Sign, TruncDate
from django.utils import timezone

from insured import bulk
from insured.models import Region
from payments.models import ArrivalNotice, BankStatement, BankStatementLine
from payments.reconciliation.figures import COUNTED_STATES, MONEY, ZERO, Cause, Difference, Figure


@dataclass
class BankDay:
    day: dt.date | None  # None: the total of the covered days
    covered: bool
    bank: Figure = field(default_factory=Figure)
    tax: Figure = field(default_factory=Figure)
    ledger: Figure = field(default_factory=Figure)

    @property
    def is_total(self) -> bool:
        return self.day is None

    @property
    def difference(self) -> Any:
        return self.bank.amount - self.tax.amount if self.covered else None

    @property
    def differs(self) -> bool:
        """Amounts only: a bank line may carry a whole voucher of many notices."""
        return self.covered and self.bank.amount != self.tax.amount

    def as_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat() if self.day else None,
            "covered": self.covered,
            "bank": self.bank.as_json(),
            "tax": self.tax.as_json(),
            "ledger": self.ledger.as_json(),
            "differs": self.differs,
        }


@dataclass
class BankReconciliation:
    statements: list[BankStatement]
    days: list[BankDay]
    total: BankDay

    @property
    def uncovered_days(self) -> list[dt.date]:
        return [d.day for d in self.days if not d.covered and d.day is not None]


def _local_day() -> TruncDate:
    return TruncDate("paid_at", tzinfo=timezone.get_current_timezone())


def bank_reconcile(
    region: Region, start: dt.date, end: dt.date, notices: QuerySet[ArrivalNotice]
) -> tuple[BankReconciliation | None, list[Difference]]:
    if region.level in (Region.Level.TOWNSHIP, Region.Level.VILLAGE):
        return None, []
    statements = list(
        BankStatement.objects.filter(region__code__startswith=region.prefix, start__lte=end, end__gte=start).order_by(
            "start", "pk"
        )
    )
    if not statements:
        return None, []
    covered = {
        s.start + dt.timedelta(days=i)
        for s in statements
        for i in range((s.end - s.start).days + 1)
        if start <= s.start + dt.timedelta(days=i) <= end
    }
    lines = BankStatementLine.objects.filter(statement__in=statements, day__gte=start, day__lte=end)
    days = _days(lines, notices, covered)
    differences = [*_line_differences(lines), *_notices_without_line(region, notices, covered)]
    explained = {d.day for d in differences}
    differences += [
        Difference(Cause.BANK_DAY, kind="", day=d.day, amount=d.difference, detail=f"{d.tax.amount:.2f}")
        for d in days
        if d.differs and d.day not in explained
    ]
    total = BankDay(None, True)
    for d in days:
        if d.covered:
            total.bank += d.bank
            total.tax += d.tax
            total.ledger += d.ledger
    return BankReconciliation(statements, days, total), differences


def _days(lines: QuerySet[BankStatementLine], notices: QuerySet[ArrivalNotice], covered: set[dt.date]) -> list[BankDay]:
    by_day: dict[dt.date, BankDay] = {}

    def at(day: dt.date) -> BankDay:
        return by_day.setdefault(day, BankDay(day, day in covered))

    for day in covered:
        at(day)
    for row in lines.values("day").annotate(n=Count("pk"), amount=Sum("amount")).order_by():
        at(row["day"]).bank = Figure(row["n"], row["amount"] or ZERO)
    tax = (
        notices.annotate(day=_local_day())
        .values("day")
        .annotate(
            n=Sum("sign"),
            amount=Sum("signed_amount"),
            ledger_n=Sum(Cast(Sign("entry_amount"), IntegerField())),
            ledger_amount=Sum("entry_amount"),
        )
        .order_by()
    )
    for row in tax:
        target = at(row["day"])
        target.tax = Figure(row["n"] or 0, row["amount"] or ZERO)
        target.ledger = Figure(row["ledger_n"] or 0, row["ledger_amount"] or ZERO)
    return [by_day[d] for d in sorted(by_day)]


def _line_differences(lines: QuerySet[BankStatementLine]) -> list[Difference]:
    """Lines against the vouchers they name: a reference's lines summed, its notices summed."""
    out: list[Difference] = []
    for line in lines.filter(reference="").values("day", "amount", "counterparty", "line").order_by("day", "line"):
        out.append(
            Difference(
                Cause.BANK_WITHOUT_NOTICE,
                kind="",
                day=line["day"],
                amount=line["amount"],
                detail=line["counterparty"],
            )
        )
    named = list(
        lines.exclude(reference="")
        .values("reference")
        .annotate(amount=Sum("amount"), day=Min("day"), counterparty=Max("counterparty"))
        .order_by("day", "reference")
    )
    if not named:
        return out
    signed = Case(When(reverses_voucher_no="", then=F("amount")), default=-F("amount"), output_field=MONEY)
    vouchers = {
        row["voucher_no"]: row
        for row in ArrivalNotice.objects.filter(
            voucher_no__in=bulk.any_of([r["reference"] for r in named], "text"), state__in=COUNTED_STATES
        )
        .values("voucher_no")
        .annotate(amount=Sum(signed), kind=Min("kind"), township_id=Min("person__village__parent_id"))
        .order_by()
    }
    for row in named:
        found = vouchers.get(row["reference"])
        if found is None:
            cause, detail, kind, township = Cause.BANK_WITHOUT_NOTICE, row["counterparty"], "", None
        elif found["amount"] != row["amount"]:
            cause, detail, kind, township = (
                Cause.BANK_AMOUNT,
                f"{found['amount']:.2f}",
                found["kind"],
                found["township_id"],
            )
        else:
            continue
        out.append(
            Difference(
                cause,
                kind=kind,
                township_id=township,
                voucher_no=row["reference"],
                day=row["day"],
                amount=row["amount"],
                detail=detail,
            )
        )
    return out


def _notices_without_line(region: Region, notices: QuerySet[ArrivalNotice], covered: set[dt.date]) -> list[Difference]:
    """Notices paid on a covered day whose voucher no bank line of the region names (on any day:
    a line dated the next day still accounts for its voucher)."""
    any_line = BankStatementLine.objects.filter(
        statement__region__code__startswith=region.prefix, reference=OuterRef("voucher_no")
    )
    rows = (
        notices.annotate(day=_local_day())
        .filter(day__in=sorted(covered))
        .filter(~Exists(any_line))
        .values(
            "township_id",
            "kind",
            "voucher_no",
            "line_no",
            "insured_name",
            "insured_id_no",
            "signed_amount",
            "paid_at",
            "day",
        )
        .order_by("paid_at", "id")
    )
    return [
        Difference(
            Cause.NOTICE_WITHOUT_BANK,
            kind=n["kind"],
            township_id=n["township_id"],
            voucher_no=n["voucher_no"],
            line_no=n["line_no"],
            person_name=n["insured_name"],
            id_no=n["insured_id_no"],
            amount=n["signed_amount"],
            paid_at=n["paid_at"],
            day=n["day"],
        )
        for n in rows
    ]
