"""The weekly progress report 周报 (003 六(二): 社保部门负责…每周进展通报; 004 四: the townships answer
for their progress) of a county, for a week from Monday to Sunday: the figures of each township as of
the Sunday (oversight.selectors.progress, the same as the progress page), the week's change, the
comparison with last year at the same date, and the villages lagging behind the county. Kept as XLSX
and PDF; made every Monday by beat for the week that ended, and on demand for any week."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from insured.models import InsuredPerson, Region
from oversight.models import WeeklyReport
from oversight.selectors.progress import Figures, Line, Progress, progress_figures
from oversight.services.progress import progress_refresh_region

logger = logging.getLogger(__name__)
LAGGING_SHOWN = 10  # the villages furthest behind the county's paid rate, listed by name


@dataclass
class WeekLine:
    """A township (or the county) in the week: as of Sunday, and what the week added."""

    line: Line
    week: Figures  # as of Sunday minus as of the Sunday before
    township: str = ""  # a village's township

    @property
    def now(self) -> Figures:
        return self.line.now


@dataclass
class WeeklyFigures:
    county: Region
    week_start: dt.date
    week_end: dt.date
    year: int
    progress: Progress
    lines: list[WeekLine]
    total: WeekLine
    lagging: list[WeekLine]

    @property
    def week_number(self) -> int:
        return self.week_start.isocalendar()[1]

    def summary(self) -> dict[str, Any]:
        now = self.total.now
        return {
            "as_of": self.week_end.isoformat(),
            "year": self.year,
            "total": now.as_json(),
            "week": self.total.week.as_json(),
            "last_year": self.total.line.last_year.as_json(),
            "lagging": [
                {"code": w.line.code, "name": w.line.name, "paid_rate": str(w.now.paid_rate)} for w in self.lagging
            ],
        }


def week_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    monday = day - dt.timedelta(days=day.weekday())
    return monday, monday + dt.timedelta(days=6)


def weekly_figures(county: Region, week_start: dt.date) -> WeeklyFigures:
    """The report's figures, read like the page's: as of the week's Sunday, and as of the Sunday before."""
    week_start, week_end = week_bounds(week_start)
    year = week_end.year
    now = progress_figures(county, year, week_end)
    before = progress_figures(county, year, week_end - dt.timedelta(days=7))
    earlier = {line.code: line.now for line in before.lines}
    lines = [WeekLine(line, line.now - earlier.get(line.code, Figures())) for line in now.lines]
    total = WeekLine(now.total, now.total.now - before.total.now)
    villages = progress_figures(county, year, week_end, by="village")
    villages_before = {
        line.code: line.now
        for line in progress_figures(county, year, week_end - dt.timedelta(days=7), by="village").lines
    }
    townships = {line.code[:9]: line.name for line in now.lines}
    lagging = [
        WeekLine(line, line.now - villages_before.get(line.code, Figures()), townships.get(line.code[:9], ""))
        for line in villages.lagging
    ]
    return WeeklyFigures(county, week_start, week_end, year, now, lines, total, lagging[:LAGGING_SHOWN])


def weekly_report_make(county: Region, week_start: dt.date, *, user: AbstractBaseUser | None = None) -> WeeklyReport:
    """Make (or make again) the county's report of the week; the files are replaced whole."""
    from oversight import pdf, reports_xlsx

    figures = weekly_figures(county, week_start)
    made_at = timezone.now()
    xlsx = reports_xlsx.weekly_xlsx(figures, made_by=user, made_at=made_at)
    printed = pdf.weekly_pdf(figures, made_by=user, made_at=made_at)
    stem = f"weekly-{county.code}-{figures.week_start:%Y%m%d}"
    with transaction.atomic():
        # The county's row is the lock: the Monday job and a clerk asking for the same week queue here.
        Region.objects.select_for_update().get(pk=county.pk)
        report = WeeklyReport.objects.filter(county=county, week_start=figures.week_start).first()
        old_files = [report.xlsx.name, report.pdf.name] if report else []
        report = report or WeeklyReport(county=county, week_start=figures.week_start)
        report.year, report.made_at, report.made_by = figures.year, made_at, user
        report.summary = figures.summary()
        report.xlsx.save(f"{stem}.xlsx", ContentFile(xlsx), save=False)
        report.pdf.save(f"{stem}.pdf", ContentFile(printed), save=False)
        report._history_user = user
        report.save()
        storage = report.xlsx.storage
        transaction.on_commit(lambda: [storage.delete(name) for name in old_files if name])
    return report


def weekly_reports_make_all(today: dt.date | None = None) -> list[WeeklyReport]:
    """The Monday job: the week that ended yesterday, for every county with insured persons, after the
    progress is counted again; a week already reported is left alone (run twice, it makes one)."""
    today = today or timezone.localdate()
    week_start = week_bounds(today)[0] - dt.timedelta(days=7)
    counties = Region.objects.filter(
        level=Region.Level.COUNTY, code__in=InsuredPerson.objects.values("village__parent__parent__code").distinct()
    ).order_by("code")
    made = []
    for county in counties:
        if WeeklyReport.objects.filter(county=county, week_start=week_start).exists():
            continue
        year = (week_start + dt.timedelta(days=6)).year
        progress_refresh_region(county, (year - 1, year))
        made.append(weekly_report_make(county, week_start))
        logger.info("weekly report %s %s made", county.code, week_start)
    return made
