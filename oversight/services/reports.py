"""The weekly progress report 周报 (003 六(二): 社保部门负责…每周进展通报; 004 四: the townships answer
for their progress) of a county, for a week from Monday to Sunday: the figures of each township as of
the Sunday (oversight.selectors.progress, the same as the progress page), the week's change, the
comparison with last year at the same date, and the villages lagging behind the county. Kept as XLSX
and PDF; made every Monday by beat for the week that ended, and on demand for any week."""

from __future__ import annotations

import datetime as dt
import logging

from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from insured.models import InsuredPerson, Region
from oversight.models import WeeklyReport
from oversight.selectors.weekly import week_bounds, weekly_figures
from oversight.services.progress import progress_refresh_region

logger = logging.getLogger(__name__)


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
