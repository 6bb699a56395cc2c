"""The summary form 补助/资助汇总表 (001 附件4): collective subsidy and social sponsorship counted
and added up by the *beneficiaries'* township and village (填表说明 2), with the total in capitals,
for finance to book and for the file (一式两联). As a PDF (collective.pdf) and as a workbook.

Which rows it counts: those paid 到账 (the default: what finance books), or those approved 核定,
of one year, optionally of one type and of a period (the day paid, or the day approved).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet, Sum

from collective.models import Roster, RosterRow
from insured import access
from insured.formats import BEIJING
from insured.history import staff_name
from insured.models import Region
from insured.money import amount_in_words
from insured.printing import printed_at
from insured.spreadsheets import safe_cell

PAID = "paid"
APPROVED = "approved"
BASES = (PAID, APPROVED)
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class SummaryFilter:
    year: int
    kind: str = ""  # "", "collective" or "social"
    basis: str = PAID
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    def as_params(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "kind": self.kind,
            "basis": self.basis,
            "date_from": self.date_from.isoformat() if self.date_from else "",
            "date_to": self.date_to.isoformat() if self.date_to else "",
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> SummaryFilter:
        def day(value: str) -> dt.date | None:
            return dt.date.fromisoformat(value) if value else None

        return cls(
            year=int(params["year"]),
            kind=params.get("kind", ""),
            basis=params.get("basis", PAID),
            date_from=day(params.get("date_from", "")),
            date_to=day(params.get("date_to", "")),
        )


@dataclass(frozen=True)
class SummaryLine:
    seq: int
    township_code: str
    township: str
    village_code: str
    village: str
    count: int
    total: Decimal


@dataclass
class Summary:
    wanted: SummaryFilter
    region: Region
    lines: list[SummaryLine] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(line.count for line in self.lines)

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def total_in_words(self) -> str:
        return amount_in_words(self.total)

    @property
    def kind_label(self) -> str:
        return {"collective": "集体补助", "social": "社会资助"}.get(self.wanted.kind, "集体补助、社会资助")

    @property
    def basis_label(self) -> str:
        return "已到账" if self.wanted.basis == PAID else "已核定"

    @property
    def filename_stem(self) -> str:
        return f"汇总表-{self.region.code}-{self.wanted.year}"


def rows_counted(user: Any, wanted: SummaryFilter) -> QuerySet[RosterRow]:
    rows = access.scoped(RosterRow.objects.all(), user, "person__village").filter(roster__filing__year=wanted.year)
    if wanted.kind:
        rows = rows.filter(kind=wanted.kind)
    if wanted.basis == PAID:
        rows, moment = rows.filter(paid_at__isnull=False), "paid_at"
    else:
        rows, moment = rows.filter(roster__status__in=Roster.APPROVED_STATES), "roster__approved_at"
    # The day as the agency counts it: Beijing time, whatever zone the request runs in.
    if wanted.date_from:
        rows = rows.filter(**{f"{moment}__gte": _start_of(wanted.date_from)})
    if wanted.date_to:
        rows = rows.filter(**{f"{moment}__lt": _start_of(wanted.date_to + dt.timedelta(days=1))})
    return rows


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=BEIJING)


def summary_for(user: Any, wanted: SummaryFilter) -> Summary:
    grouped = (
        rows_counted(user, wanted)
        .order_by()
        .values(
            "person__village__parent__code",
            "person__village__parent__name",
            "person__village__code",
            "person__village__name",
        )
        .annotate(count=Count("person", distinct=True), total=Sum("amount"))
        .order_by("person__village__code")
    )
    lines = [
        SummaryLine(
            seq,
            row["person__village__parent__code"],
            row["person__village__parent__name"],
            row["person__village__code"],
            row["person__village__name"],
            row["count"],
            row["total"],
        )
        for seq, row in enumerate(grouped, start=1)
    ]
    return Summary(wanted=wanted, region=access.scope_region(user), lines=lines)


def summary_xlsx(summary: Summary, *, printed_by: Any) -> bytes:
    """The same form as a workbook: its lines, the total with its capitals, the signature lines."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    sheet = book.active
    sheet.title = "汇总表"
    sheet.append(["内蒙古城乡居民基本养老保险补助/资助汇总表"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(
        [
            f"{summary.region.name}　{summary.wanted.year}年度　{summary.kind_label}　{summary.basis_label}"
            + (_period(summary.wanted) or "")
        ]
    )
    sheet.append(["序号", "苏木乡镇（街道）", "嘎查村（社区）委会名称", "补助（资助）人数", "集体补助（资助）总额"])
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    for line in summary.lines:
        sheet.append([line.seq, safe_cell(line.township), safe_cell(line.village), line.count, line.total])
    sheet.append(["合计", "", "", summary.count, summary.total])
    sheet.append(["合计金额（大写）", f"人民币{summary.total_in_words}" if summary.lines else "人民币零元整"])
    sheet.append([])
    sheet.append(["业务制表人：", staff_name(printed_by), "", "财务复核人：", ""])
    sheet.append(["负责人：", "", "", "打印日期：", printed_at()])
    sheet.append(["填表说明：1. 本表一式两联，由旗县级经办人员打印，一份交财务人员记账，一份业务归档。"])
    sheet.append(["2. 此表苏木乡镇（街道）嘎查村（社区）委会名称为被资助人的信息。"])
    for row in sheet.iter_rows(min_row=4, max_row=sheet.max_row):
        if isinstance(row[4].value, Decimal):
            row[4].number_format = "#,##0.00"
            row[4].alignment = Alignment(horizontal="right")
    for letter, width in zip("ABCDE", (10, 22, 28, 18, 22), strict=True):
        sheet.column_dimensions[letter].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _period(wanted: SummaryFilter) -> str:
    if not wanted.date_from and not wanted.date_to:
        return ""
    start = f"{wanted.date_from:%Y-%m-%d}" if wanted.date_from else ""
    end = f"{wanted.date_to:%Y-%m-%d}" if wanted.date_to else ""
    return f"　{start}至{end}"


def period_label(wanted: SummaryFilter) -> str:
    return _period(wanted).strip()
