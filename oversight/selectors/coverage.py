"""Coverage 应保尽保 as the pages and exports read it (003 二(一), 六(三)): the counts per region below
(from CoverageCount, refreshed by imports and nightly), the gap list (residents 16 or older,
registered here, not enrolled, not a student, not in the employee scheme, not dead) and the reverse
list (enrolled persons whose registration says moved away or dead), both live."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, Max, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Substr

from insured.models import InsuredPerson, Region
from oversight.models import CoverageCount, CoverageExport, DepartmentList, HouseholdExtract, ResidentRecord
from oversight.selectors.progress import LEVEL_BELOW, percent
from oversight.services.coverage import (
    COVERED_STATUSES,
    adult_born_by,
    enrolled_person,
    on_a_department_list,
)

Status = ResidentRecord.Status


@dataclass
class CoverageLine:
    code: str
    name: str
    level: str
    residents: int = 0
    eligible: int = 0
    enrolled: int = 0
    reverse: int = 0
    is_total: bool = False

    @property
    def gap(self) -> int:
        return self.eligible - self.enrolled

    @property
    def rate(self) -> Decimal | None:
        return percent(self.enrolled, self.eligible)


@dataclass
class Coverage:
    region: Region
    lines: list[CoverageLine]
    total: CoverageLine
    refreshed_at: dt.datetime | None


def coverage_counts(region: Region) -> Coverage:
    """The region's coverage, line by line for the level below it (a village: itself alone)."""
    level = LEVEL_BELOW.get(region.level)
    counts = CoverageCount.objects.filter(village__code__startswith=region.prefix)
    sums = {n: Sum(n) for n in ("residents", "eligible", "enrolled", "reverse")}
    total_row = counts.aggregate(**sums, refreshed_at=Max("refreshed_at"))
    total = CoverageLine(
        region.code,
        region.name,
        region.level,
        *(total_row[n] or 0 for n in ("residents", "eligible", "enrolled", "reverse")),
        is_total=True,
    )
    lines: list[CoverageLine] = []
    if level is not None:
        length = Region.PREFIX_LENGTH[level]
        grouped = {
            row["child"]: row
            for row in counts.values(child=Substr("village__code", 1, length)).annotate(**sums).order_by()
        }
        for child in Region.objects.filter(level=level, code__startswith=region.prefix).order_by("code"):
            row = grouped.get(child.prefix, {})
            lines.append(
                CoverageLine(
                    child.code,
                    child.name,
                    child.level,
                    *(row.get(n) or 0 for n in ("residents", "eligible", "enrolled", "reverse")),
                )
            )
    return Coverage(region, lines, total, total_row["refreshed_at"])


def gap_records(region: Region, today: dt.date) -> QuerySet[ResidentRecord]:
    """Residents who should be enrolled and are not, in the region, household by household."""
    return (
        ResidentRecord.objects.filter(
            extract__is_current=True,
            village__code__startswith=region.prefix,
            status=Status.NORMAL,
            birth_date__lte=adult_born_by(today),
        )
        .filter(~Exists(enrolled_person()), ~Exists(on_a_department_list()))
        .select_related("village__parent", "extract")
        .order_by("village__code", "household_no", "line")
    )


def reverse_records(region: Region) -> QuerySet[InsuredPerson]:
    """Insured persons still covered whose current registration says moved away or dead, each with
    what the extract says and, for one moved within the county, where they are registered now."""
    current = ResidentRecord.objects.filter(extract__is_current=True, id_no=OuterRef("id_no"))
    gone = current.filter(status__in=[Status.MOVED, Status.DEAD]).order_by("-extract__data_date")
    now_here = current.filter(status=Status.NORMAL).order_by("-extract__data_date")
    return (
        InsuredPerson.objects.filter(village__code__startswith=region.prefix, status__in=COVERED_STATUSES)
        .annotate(
            registration=Subquery(gone.values("status")[:1]),
            registration_date=Subquery(gone.values("extract__data_date")[:1]),
            registered_now_in=Subquery(now_here.values("village__name")[:1]),
            registered_now_township=Subquery(now_here.values("village__parent__name")[:1]),
        )
        .filter(registration__isnull=False)
        .select_related("village__parent")
        .order_by("village__code", "person_no")
    )


def current_extracts(region: Region) -> QuerySet[HouseholdExtract]:
    """The current extract of each township in the region (a village: its township's)."""
    townships = region.code[:9] if region.level == Region.Level.VILLAGE else region.prefix
    return (
        HouseholdExtract.objects.filter(is_current=True, township__code__startswith=townships)
        .select_related("township", "uploaded_by")
        .order_by("township__code")
    )


def current_lists(region: Region) -> QuerySet[DepartmentList]:
    return (
        DepartmentList.objects.filter(is_current=True, region__code__startswith=region.prefix[:6])
        .select_related("region", "uploaded_by")
        .order_by("kind")
    )


def recent_exports(region: Region, limit: int = 20) -> QuerySet[CoverageExport]:
    return CoverageExport.objects.filter(region__code__startswith=region.prefix).select_related("user", "region")[
        :limit
    ]
