"""The weekly report 周报 printed (insured.printing): A4 landscape, Chinese, the townships' table, the
lagging villages, who made it and when, and the signature lines of a report sent out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings

from insured.history import staff_name
from insured.printing import printed_at, render_pdf
from oversight.services.reports import WeeklyFigures


def weekly_pdf(figures: WeeklyFigures, *, made_by: Any, made_at: dt.datetime) -> bytes:
    return render_pdf(
        "oversight/weekly_report_pdf.html",
        {
            "f": figures,
            "agency": settings.AGENCY_NAME,
            "made_by": staff_name(made_by) if made_by is not None else "系统（每周一自动生成）",
            "made_at": printed_at(made_at),
        },
    )
