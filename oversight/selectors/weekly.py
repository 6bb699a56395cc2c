"""The weekly report's figures 周报 (003 六(二)): a county's townships as of a week's Sunday (read
like the progress page, oversight.selectors.progress), what the week added, and the villages
furthest behind. Read by the report's maker (oversight.services.reports) and its two writers
(oversight.pdf, oversight.reports_xlsx)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from insured.models import Region
from oversight.selectors.progress import Figures, Line, Progress, progress_figures

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
