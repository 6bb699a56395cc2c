"""The weekly report 周报 printed (insured.printing): A4 landscape, Chinese, the townships' table, the
lagging villages, who made it and when, and the signature lines of a report sent out. It names no
person, and the Monday job that makes most of them is no member of staff, so it is rendered with its
PDF/A metadata rather than recorded in the print log (insured.printing.sheets needs a user)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from insured.history import staff_name
from insured.printing import Metadata, printed_at, render_pdf
from oversight.selectors.weekly import WeeklyFigures

TITLE = "城乡居民基本养老保险征缴进度周报"


def weekly_pdf(figures: WeeklyFigures, *, made_by: Any, made_at: dt.datetime) -> bytes:
    who = staff_name(made_by) if made_by is not None else "系统（每周一自动生成）"
    return render_pdf(
        "oversight/weekly_report_pdf.html",
        {"f": figures, "agency": settings.AGENCY_NAME, "printed_by": who, "printed_at": printed_at(made_at)},
        Metadata(
            title=f"{TITLE}（{figures.county.name} {figures.week_start:%Y-%m-%d}）",
            printed_at=made_at,
            author=settings.AGENCY_NAME,
            subject=f"{figures.county.full_name} {figures.year}年度第{figures.week_number}周",
            form="oversight.weekly_report",
        ),
    )
