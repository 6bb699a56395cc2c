"""The oversight part of the demo county: the progress summary counted for the demo years, so the
progress page shows the townships with their charts at once, and last week's report made as the
Monday job would make it.

`demo_files()` makes the files the demo walk imports (README: "Oversight"), from the loaded demo:
- `chengguan-household-extract.xlsx`: 城关镇's household-registration extract, every demo person of
  its villages and the residents who are not enrolled (adults: the gap list; children; students;
  the dead and the moved), one enrolled person moved away and one pensioner dead (the reverse list);
- `demo-students.csv` (GB18030, as Chinese Excel saves CSV): the education bureau's students of them;
- `bank-statement-2026-03.csv` (GB18030): the fund's income account for March 2026, a line for
  every demo payment of the month, with one deliberate difference (a line a cent short).
`manage.py oversight_demo_files --out-dir fixtures/demo` writes them; the SQLite demo test checks the
shipped files are still the ones the demo makes.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone
from stdnum.iso7064 import mod_11_2

from insured.models import InsuredPerson, Region
from insured.plugins import DemoContext
from insured.spreadsheets import safe_cell
from oversight.services.progress import progress_refresh_region
from oversight.services.reports import week_bounds, weekly_report_make
from payments.models import ArrivalNotice

CHENGGUAN = "211370100000"
EXTRACT_FILE = "chengguan-household-extract.xlsx"
STUDENTS_FILE = "demo-students.csv"
BANK_FILE = "bank-statement-2026-03.csv"
EXTRACT_DATE = dt.date(2026, 9, 30)
BANK_MONTH = (dt.date(2026, 3, 1), dt.date(2026, 3, 31))
BANK_COUNTERPARTY = "国家金库演示县支库"
SEED = 1103  # not a secret: the same extra residents on every machine
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕"
GIVEN = "伟强磊军勇杰涛明超刚平辉建国志华文斌鹏飞芳娜敏静丽艳娟霞秀英玲桂兰红梅燕萍"
# How many residents of each kind the extract adds beside the enrolled, per village.
EXTRA = {"adult": 6, "child": 2, "student": 1, "dead": 1, "moved": 1}


def build(context: DemoContext) -> dict[str, int]:
    years = sorted({context.today.year - 1, context.today.year, 2024, 2025, 2026})
    result = progress_refresh_region(context.county, years)
    last_week = week_bounds(context.today)[0] - dt.timedelta(days=7)
    weekly_report_make(context.county, last_week)
    return {"征缴进度统计（村日）": result.day_rows, "周报": 1}


# --- The files of the demo walk -------------------------------------------------------------------


def _id(rng: random.Random, birth: dt.date, taken: set[str]) -> str:
    while True:
        body = f"211370{birth:%Y%m%d}{rng.randrange(500, 1000):03d}"
        number = body + mod_11_2.calc_check_digit(body)
        if number not in taken:
            taken.add(number)
            return number


def _birth(rng: random.Random, first: int, last: int) -> dt.date:
    return dt.date(rng.randint(first, last), 1, 1) + dt.timedelta(days=rng.randint(0, 364))


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def extract_rows() -> tuple[list[list[Any]], list[list[Any]]]:
    """The extract's rows (序号, 公民身份号码, 姓名, 村（社区）, 户号, 户籍状态, 备注) and the students'."""
    rng = random.Random(SEED)  # noqa: S311
    taken = set(InsuredPerson.objects.values_list("id_no", flat=True))
    rows: list[list[Any]] = []
    students: list[list[Any]] = []
    villages = Region.objects.filter(parent__code=CHENGGUAN, level=Region.Level.VILLAGE).order_by("code")
    moved_done = dead_done = False
    for village in villages:
        household = 0
        persons = InsuredPerson.objects.filter(village=village).order_by("person_no")
        for person in persons:
            household += 1
            status = "正常"
            if not moved_done and person.status == InsuredPerson.Status.ENROLLED:
                status, moved_done = "迁出", True
            elif not dead_done and person.status == InsuredPerson.Status.RECEIVING:
                status, dead_done = "死亡", True
            rows.append([person.id_no, person.name, village.name, f"{village.code[-6:]}{household:04d}", status])
        for kind, count in EXTRA.items():
            for _ in range(count):
                household += 1
                first, last = {"child": (2012, 2019), "student": (2006, 2009)}.get(kind, (1955, 2004))
                id_no, name = _id(rng, _birth(rng, first, last), taken), _name(rng)
                status = {"dead": "死亡", "moved": "迁出"}.get(kind, "正常")
                rows.append([id_no, name, village.name, f"{village.code[-6:]}{household:04d}", status])
                if kind == "student":
                    students.append([id_no, name, "演示县第一中学（演示数据）"])
    return (
        [[n, *row, ""] for n, row in enumerate(rows, start=1)],
        [[n, *row] for n, row in enumerate(students, start=1)],
    )


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([[safe_cell(v) for v in row] for row in rows])
    return out.getvalue().encode("gb18030")


def _xlsx(header: list[str], rows: list[list[Any]], text_columns: tuple[int, ...]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "户籍人口"
    sheet.append(header)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    for column in text_columns:
        for cells in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cells[0].number_format = "@"
    out = io.BytesIO()
    # A fixed moment in the file's properties: the same demo makes the same bytes.
    book.properties.created = book.properties.modified = dt.datetime(2026, 9, 30, 9, 0)
    book.save(out)
    return out.getvalue()


def bank_rows() -> list[list[str]]:
    """A line for every payment of the demo county in March 2026, in the order paid, and one deliberate
    difference: the first line of 4 March is a cent short."""
    start, end = BANK_MONTH
    notices = (
        ArrivalNotice.objects.exclude(state=ArrivalNotice.State.DUPLICATE)
        .filter(
            reverses_voucher_no="",
            person__village__code__startswith="211370",
            paid_at__date__gte=start,
            paid_at__date__lte=end,
        )
        .order_by("paid_at", "voucher_no", "line_no")
        .values_list("paid_at", "voucher_no", "amount")
    )
    rows = []
    short_done = False
    for paid_at, voucher, amount in notices:
        day = timezone.localtime(paid_at).date()
        if not short_done and day == dt.date(2026, 3, 4):
            amount, short_done = amount - Decimal("0.01"), True
        rows.append([day.isoformat(), f"{amount:.2f}", voucher, BANK_COUNTERPARTY])
    return rows


def demo_files() -> dict[str, bytes]:
    extract, students = extract_rows()
    return {
        EXTRACT_FILE: _xlsx(
            ["序号", "公民身份号码", "姓名", "村（社区）", "户号", "户籍状态", "备注"], extract, (2, 5)
        ),
        STUDENTS_FILE: _csv(["序号", "公民身份号码", "姓名", "学校或单位"], students),
        BANK_FILE: _csv(["交易日期", "金额", "参考号", "对方户名"], bank_rows()),
    }
