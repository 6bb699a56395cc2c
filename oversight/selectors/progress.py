"""Collection progress 征缴进度 of a region for a year, as of a day, beside last year at the same
date (002 五, 003 二 and 六(二), 004 四): read from the summary rows (oversight.models), a handful
of aggregate queries whatever the size of the county; never from notices or persons.

The page, the API and the weekly report all read `progress_figures`, so their figures agree.
"""

from __future__ import annotations

import bisect
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Max, OuterRef, Q, Subquery, Sum

from insured import bulk
from insured.models import Region
from insured.money import quantize
from insured.selectors import PolicyResolver
from oversight.models import ProgressDay, ProgressYear

ZERO = Decimal("0.00")
TENTH = Decimal("0.1")
TALLIES = ("own", "gov_paid", "back_payment", "sponsorship", "collective")
DAY_SUMS = ("paid_persons", "members_covered", *(f"{t}_{part}" for t in TALLIES for part in ("count", "amount")))
LEVEL_BELOW = {"province": "city", "city": "county", "county": "township", "township": "village"}


@dataclass(frozen=True)
class Tally:
    count: int = 0
    amount: Decimal = ZERO

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.count + other.count, self.amount + other.amount)

    def __sub__(self, other: Tally) -> Tally:
        return Tally(self.count - other.count, self.amount - other.amount)

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "amount": f"{self.amount:.2f}"}


def percent(part: int, whole: int) -> Decimal | None:
    """A rate in per cent with one decimal, rounded half up; None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass
class Figures:
    liable: int = 0
    paid: int = 0
    members: int = 0
    covered: int = 0
    own: Tally = field(default_factory=Tally)
    gov_paid: Tally = field(default_factory=Tally)
    back_payment: Tally = field(default_factory=Tally)
    sponsorship: Tally = field(default_factory=Tally)
    collective: Tally = field(default_factory=Tally)

    @property
    def paid_rate(self) -> Decimal | None:
        return percent(self.paid, self.liable)

    @property
    def unpaid(self) -> int:
        return max(self.liable - self.paid, 0)

    @property
    def covered_rate(self) -> Decimal | None:
        return percent(self.covered, self.members)

    @property
    def total_amount(self) -> Decimal:
        return sum((getattr(self, t).amount for t in TALLIES), ZERO)

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            self.liable + other.liable,
            self.paid + other.paid,
            self.members + other.members,
            self.covered + other.covered,
            *(getattr(self, t) + getattr(other, t) for t in TALLIES),
        )

    def __sub__(self, other: Figures) -> Figures:
        return Figures(
            self.liable - other.liable,
            self.paid - other.paid,
            self.members - other.members,
            self.covered - other.covered,
            *(getattr(self, t) - getattr(other, t) for t in TALLIES),
        )

    def as_json(self) -> dict[str, Any]:
        rate = self.paid_rate
        covered_rate = self.covered_rate
        return {
            "liable": self.liable,
            "paid": self.paid,
            "paid_rate": None if rate is None else f"{rate}",
            "members": self.members,
            "covered": self.covered,
            "covered_rate": None if covered_rate is None else f"{covered_rate}",
            **{t: getattr(self, t).as_json() for t in TALLIES},
            "total_amount": f"{self.total_amount:.2f}",
        }


@dataclass
class Line:
    """A region below the one shown (or the region itself, as the total): this year's figures as of
    the day and last year's as of the same date."""

    code: str
    name: str
    level: str
    now: Figures
    last_year: Figures
    is_total: bool = False

    @property
    def prefix(self) -> str:
        return self.code[: Region.PREFIX_LENGTH[self.level]]

    @property
    def rate_change(self) -> Decimal | None:
        """The paid rate against last year at the same date, in percentage points."""
        now, last = self.now.paid_rate, self.last_year.paid_rate
        if now is None or last is None:
            return None
        return now - last

    @property
    def paid_change(self) -> int:
        return self.now.paid - self.last_year.paid


@dataclass(frozen=True)
class Week:
    """One week of the collection window: the paid count at its end (Sunday), this year and last."""

    start: dt.date
    end: dt.date
    paid: int | None  # None: the week ends after the day shown
    paid_last_year: int


@dataclass
class Progress:
    region: Region
    year: int
    as_of: dt.date
    last_as_of: dt.date
    window: tuple[dt.date, dt.date]
    child_level: str | None
    lines: list[Line]
    total: Line
    weeks: list[Week]
    refreshed_at: dt.datetime | None

    @property
    def window_start(self) -> dt.date:
        return self.window[0]

    @property
    def window_end(self) -> dt.date:
        return self.window[1]

    @property
    def lagging(self) -> list[Line]:
        """The lines below the total's paid rate, the lowest first."""
        overall = self.total.now.paid_rate
        if overall is None:
            return []
        behind = [line for line in self.lines if line.now.paid_rate is not None and line.now.paid_rate < overall]
        return sorted(behind, key=lambda line: (line.now.paid_rate, line.code))


def same_day_last_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def collection_window(region: Region, year: int) -> tuple[dt.date, dt.date]:
    """The policy year's collection window (004: January to June; 003: February to September), or
    the calendar year where the policy sets none."""
    policy = PolicyResolver().get(region.code, year)
    start = policy.collection_start if policy and policy.collection_start else dt.date(year, 1, 1)
    end = policy.collection_end if policy and policy.collection_end else dt.date(year, 12, 31)
    return start, max(end, start)


def progress_figures(region: Region, year: int, as_of: dt.date, *, by: str | None = None) -> Progress:
    """The region's progress for `year` as of `as_of`, line by line for the level below it (or the
    level `by` names, e.g. every village of a county), against last year at the same date."""
    last_as_of = same_day_last_year(as_of)
    child_level = by or LEVEL_BELOW.get(region.level)
    villages, days = _to_date(region, year, as_of, last_as_of)
    years = _year_sums(list(villages), year)
    lines = []
    if child_level is not None:
        length = Region.PREFIX_LENGTH[child_level]
        for child in _children(region, child_level):
            mine = [pk for pk, code in villages.items() if code[:length] == child.prefix]
            now, last = _figures(_added(days, mine), _added(years, mine))
            lines.append(Line(child.code, child.name, child.level, now, last))
        now, last = _sum_lines(lines)
    else:
        now, last = _figures(_added(days, list(villages)), _added(years, list(villages)))
    total = Line(region.code, region.name, region.level, now, last, is_total=True)
    window = collection_window(region, year)
    weeks = _weeks(list(villages), year, as_of, window)
    moments = [row["refreshed_at"] for row in years.values() if row.get("refreshed_at")]
    refreshed = max(moments, default=None)
    return Progress(region, year, as_of, last_as_of, window, child_level, lines, total, weeks, refreshed)


def _sum_lines(lines: list[Line]) -> tuple[Figures, Figures]:
    now, last = Figures(), Figures()
    for line in lines:
        now, last = now + line.now, last + line.last_year
    return now, last


def _children(region: Region, level: str) -> list[Region]:
    return list(Region.objects.filter(level=level, code__startswith=region.prefix).order_by("code"))


def _added(rows: dict[int, dict[str, Any]], villages: list[int]) -> dict[str, Any]:
    """The sums of several villages' figures (absent where none of them has the figure)."""
    total: dict[str, Any] = {}
    for pk in villages:
        for key, value in rows.get(pk, {}).items():
            if value is None:
                continue
            if key == "refreshed_at":
                total[key] = max(total.get(key) or value, value)
            else:
                total[key] = total.get(key, 0) + value
    return total


def _to_date(
    region: Region, year: int, as_of: dt.date, last_as_of: dt.date
) -> tuple[dict[int, str], dict[int, dict[str, Any]]]:
    """The region's villages (id → code), and per village its figures to date: this year's as of the
    day shown (n_…) and last year's as of the same date (l_…). Each is the village's last summary row
    on or before the day, found through the (village, year, day) index: two queries, whatever the
    number of days."""

    def last_row(y: int, day: dt.date) -> Subquery:
        found = ProgressDay.objects.filter(village_id=OuterRef("pk"), year=y, day__lte=day).order_by("-day")
        return Subquery(found.values("pk")[:1])

    villages = list(
        Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=region.prefix)
        .annotate(now_row=last_row(year, as_of), last_row=last_row(year - 1, last_as_of))
        .values_list("pk", "code", "now_row", "last_row")
    )
    which = {now: "n" for _pk, _code, now, _last in villages if now} | {
        last: "l" for _pk, _code, _now, last in villages if last
    }
    figures: dict[int, dict[str, Any]] = {}
    for row in ProgressDay.objects.filter(pk__in=bulk.any_of(list(which), "bigint")).values(
        "pk", "village_id", *DAY_SUMS
    ):
        prefix = which[row["pk"]]
        figures.setdefault(row["village_id"], {}).update({f"{prefix}_{name}": row[name] for name in DAY_SUMS})
    return {pk: code for pk, code, _now, _last in villages}, figures


def _year_sums(villages: list[int], year: int) -> dict[int, dict[str, Any]]:
    rows = (
        ProgressYear.objects.filter(year__in=[year, year - 1], village_id__in=bulk.any_of(villages, "bigint"))
        .values("village_id")
        .annotate(
            n_liable=Sum("liable", filter=Q(year=year)),
            n_members=Sum("members", filter=Q(year=year)),
            l_liable=Sum("liable", filter=Q(year=year - 1)),
            l_members=Sum("members", filter=Q(year=year - 1)),
            refreshed_at=Max("refreshed_at", filter=Q(year=year)),
        )
        .order_by()
    )
    return {row.pop("village_id"): row for row in rows}


def _figures(days: dict[str, Any], years: dict[str, Any]) -> tuple[Figures, Figures]:
    def build(prefix: str) -> Figures:
        def count(name: str) -> int:
            return days.get(f"{prefix}_{name}") or 0

        def amount(name: str) -> Decimal:
            return quantize(Decimal(days.get(f"{prefix}_{name}") or ZERO))

        return Figures(
            liable=years.get(f"{prefix}_liable") or 0,
            paid=count("paid_persons"),
            members=years.get(f"{prefix}_members") or 0,
            covered=count("members_covered"),
            **{t: Tally(count(f"{t}_count"), amount(f"{t}_amount")) for t in TALLIES},
        )

    return build("n"), build("l")


def _weeks(villages: list[int], year: int, as_of: dt.date, window: tuple[dt.date, dt.date]) -> list[Week]:
    rows = (
        ProgressDay.objects.filter(year__in=[year, year - 1], village_id__in=bulk.any_of(villages, "bigint"))
        .values("year", "day")
        .annotate(n=Sum("paid_new"))
        .order_by("year", "day")
    )
    days: dict[int, list[dt.date]] = {year: [], year - 1: []}
    totals: dict[int, list[int]] = {year: [], year - 1: []}
    for row in rows:
        running = totals[row["year"]][-1] if totals[row["year"]] else 0
        days[row["year"]].append(row["day"])
        totals[row["year"]].append(running + (row["n"] or 0))

    def upto(y: int, day: dt.date) -> int:
        index = bisect.bisect_right(days[y], day)
        return totals[y][index - 1] if index else 0

    start = window[0] - dt.timedelta(days=window[0].weekday())
    weeks = []
    while start <= window[1]:
        end = start + dt.timedelta(days=6)
        paid = upto(year, min(end, as_of)) if start <= as_of else None
        weeks.append(Week(start, end, paid, upto(year - 1, same_day_last_year(end))))
        start += dt.timedelta(days=7)
    return weeks
