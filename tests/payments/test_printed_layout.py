"""Printed forms at their longest realistic content (issue 13, item 13): long township and printer
names, many differences, e-tax vouchers of 20 digits and more, amounts in the tens of millions.
The reconciliation form is A4 landscape; its header keeps each name and time whole, a voucher of
realistic length stays on one line, every amount is written by insured.formats."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from pypdf import PdfReader

from insured import formats
from insured.history import staff_name
from insured.models import Region
from insured.printing import render
from payments.pdf import reconciliation_sheet
from payments.reconciliation import Reconciliation
from payments.reconciliation.figures import Cause, Difference, Figure, Row

VOUCHER = "321137020260602000031"  # an e-tax voucher number as tax issues them: 21 digits
LONGEST_VOUCHER = "3" * 40  # the field's limit
TOWNS = ["巴彦托海镇", "锡尼河东苏木", "鄂温克族自治旗经济开发区管理委员会街道办事处", "伊敏河镇", "红花尔基镇"]
PRINTER = ("欧阳", "娜仁高娃")


def _long_reconciliation(differences: int = 60) -> Reconciliation:
    province = Region(code="150000000000", name="内蒙古自治区", level="province")
    city = Region(code="150700000000", name="呼伦贝尔市", level="city", parent=province)
    county = Region(code="150724000000", name="鄂温克族自治旗（演示数据）", level="county", parent=city)
    rows = [
        Row(
            f"1507241{i:02d}000",
            town,
            kind,
            tax=Figure(12345, Decimal("12345678.00")),
            tax_with_receivable=Figure(12, Decimal("45600.00")),
            receivables=Figure(11, Decimal("44400.00")),
            ledger=Figure(12344, Decimal("12344678.00")),
        )
        for i, town in enumerate(TOWNS)
        for kind in ("own", "government_paid", "sponsorship")
    ]
    total = Row("", "", "", is_total=True)
    for row in rows:
        total.add(row)
    found = [
        Difference(
            cause=(Cause.UNMATCHED, Cause.NO_ENTRY, Cause.RECEIVABLE_AMOUNT)[i % 3],
            reason="own_already_paid",
            kind="own",
            township_name=TOWNS[i % len(TOWNS)],
            voucher_no=LONGEST_VOUCHER if i == 0 else VOUCHER,
            line_no=i + 1,
            person_name="欧阳娜仁高娃·阿木古楞",
            id_no="211370198502208357",
            receivable_no=f"YS20261205{i:06d}",
            amount=Decimal("12345678.90"),
        )
        for i in range(differences)
    ]
    return Reconciliation(county, dt.date(2026, 11, 1), dt.date(2026, 11, 30), rows, [], total, found)


def _laid_out_alone(result: Reconciliation, printer) -> bytes:
    """The form as the shared renderer lays it out, without the print log (nothing is saved)."""
    sheet = reconciliation_sheet(result, printed_by=printer)
    stamp = {
        "printed_by": staff_name(printer),
        "printed_at": formats.moment(timezone.now()),
        "agency": "演示县社保中心",
    }
    return render.render_pdf(sheet.template, {**sheet.context, **stamp})


@pytest.fixture(scope="module")
def printed(django_db_blocker) -> PdfReader:
    """Printed once for the module: the printer is not saved, so nothing is written."""
    printer = get_user_model()(username="someone", last_name=PRINTER[0], first_name=PRINTER[1])
    with django_db_blocker.unblock():
        return PdfReader(io.BytesIO(_laid_out_alone(_long_reconciliation(), printer)))


def _lines(reader: PdfReader) -> list[str]:
    return [line for page in reader.pages for line in page.extract_text().splitlines()]


def test_the_reconciliation_form_is_a4_landscape(printed):
    box = printed.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (297, 210)


def test_the_header_keeps_names_and_times_whole(printed):
    lines = _lines(printed)
    printer_line = next(line for line in lines if "打印人" in line)
    assert "欧阳娜仁高娃" in printer_line and "打印时间" in printer_line
    assert "呼伦贝尔市鄂温克族自治旗（演示数据）" in next(line for line in lines if "对账区域" in line)
    assert "2026年11月1日 至 2026年11月30日" in next(line for line in lines if "对账期间" in line)


def test_a_voucher_of_realistic_length_stays_on_one_line(printed):
    lines = _lines(printed)
    assert sum(VOUCHER in line for line in lines) == 59
    # The field's longest (40 characters) may break once, not into a column of digits.
    assert sum(bool(line.strip()) and set(line.strip()) <= {"3"} for line in lines) <= 2


def test_amounts_and_counts_are_written_with_separators(printed):
    text = "\n".join(_lines(printed))
    assert "12,345,678.90" in text and "12345678.90" not in text
    assert "12,345" in text and "185,175" in text  # a row's count, and the total of fifteen rows


def test_a_sixty_difference_report_stays_within_a_few_pages(printed):
    assert len(printed.pages) <= 6
