"""Coverage 应保尽保 (003 二(一), 六(三)): the household-registration extract of a township and the
departments' lists of students and of persons in the employee scheme, each checked row by row and
taken whole or not at all; the counts per village; the record of each export naming residents.

An upload's file fingerprint is unique per township (or county and kind): the same file twice
changes nothing. A new extract becomes the township's current one; the earlier stay, the record of
each quarter's comparison (003 六(三): 每季度定期比对数据).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from insured import access_log, bulk
from insured.identity import parse_resident_id
from insured.models import InsuredPerson, Region
from insured.spreadsheets import RowError, Sheet, SpreadsheetError, error_sheet, read
from oversight import layouts
from oversight.models import (
    CoverageCount,
    CoverageExport,
    CoverageExportRow,
    DepartmentList,
    DepartmentListEntry,
    HouseholdExtract,
    ResidentRecord,
)

Status = ResidentRecord.Status
# Enrolled for 应保尽保: paying, suspended or drawing a pension; a closed record covers no one.
COVERED_STATUSES = (
    InsuredPerson.Status.ENROLLED,
    InsuredPerson.Status.SUSPENDED,
    InsuredPerson.Status.RECEIVING,
)
ADULT_AGE = 16  # 003 三(一): 年满16周岁（不含在校学生）
Progress = Callable[[int, int], None]


def _no_progress(done: int, total: int) -> None:
    return None


class ListInvalid(Exception):
    """A list with errors (row by row, or the file as a whole): nothing of it was saved."""

    def __init__(self, errors: list[RowError], sheet: Sheet | None = None) -> None:
        super().__init__(f"{len(errors)} errors")
        self.errors = errors
        self.sheet = sheet

    def error_sheet(self) -> Any:
        has_lines = any(e.line is not None for e in self.errors)
        return error_sheet(self.sheet, self.errors) if self.sheet is not None and has_lines else None


@dataclass(frozen=True)
class ImportResult:
    created: bool
    extract: HouseholdExtract | None = None
    department_list: DepartmentList | None = None

    @property
    def row_count(self) -> int:
        found = self.extract or self.department_list
        return found.row_count if found else 0


def adult_born_by(day: dt.date) -> dt.date:
    """The latest birth date of a person 16 or older on `day`."""
    try:
        return day.replace(year=day.year - ADULT_AGE)
    except ValueError:  # 29 February
        return day.replace(year=day.year - ADULT_AGE, day=28)


def _read(content: bytes, filename: str, layout: Any) -> Sheet:
    try:
        return read(content, filename, layout)
    except SpreadsheetError as exc:
        raise ListInvalid([exc.as_row_error()]) from None


def _duplicates(sheet: Sheet, errors: list[RowError]) -> None:
    first: dict[str, int] = {}
    for index, (_number, line, row) in enumerate(sheet.records()):
        id_no = row.get("id_no")
        if not id_no:
            continue
        if id_no in first:
            errors.append(
                sheet.error(
                    index,
                    "id_no",
                    "id_duplicate",
                    _("This ID number is already on line %(line)s of the list.") % {"line": first[id_no]},
                )
            )
        else:
            first[id_no] = line


# --- The household-registration extract ------------------------------------------------------------


def extract_read(content: bytes, filename: str) -> Sheet:
    return _read(content, filename, layouts.EXTRACT)


def _villages_of(township: Region) -> dict[str, Region]:
    """A township's villages by code and by name, as an extract may name them."""
    found: dict[str, Region] = {}
    for village in Region.objects.filter(parent=township, level=Region.Level.VILLAGE):
        found[village.code] = village
        found.setdefault(village.name, village)
    return found


def _check_extract(sheet: Sheet, township: Region) -> tuple[list[RowError], list[ResidentRecord]]:
    errors = list(sheet.errors)
    _duplicates(sheet, errors)
    villages = _villages_of(township)
    records: list[ResidentRecord] = []
    for index, (number, _line, row) in enumerate(sheet.records()):
        village = villages.get((row.get("village") or "").replace(" ", ""))
        if row.get("village") and village is None:
            errors.append(
                sheet.error(
                    index,
                    "village",
                    "village_unknown",
                    _("%(village)s is not a village of %(township)s; write its name or its 12-digit code.")
                    % {"village": row["village"], "township": township.name},
                )
            )
        status_word = (row.get("status") or "").replace(" ", "")
        status = layouts.STATUS_WORDS.get(status_word)
        if status_word and status is None:
            errors.append(
                sheet.error(
                    index,
                    "status",
                    "status_unknown",
                    _("%(value)s is not a registration status; write one of: %(choices)s.")
                    % {"value": status_word, "choices": "、".join(layouts.STATUS_WORDS)},
                )
            )
        household = row.get("household_no") or ""
        if len(household) > 30:
            errors.append(
                sheet.error(
                    index, "household_no", "household_too_long", _("A household number has at most 30 characters.")
                )
            )
        if row.get("id_no") and village and status and row.get("name") and household and len(household) <= 30:
            parsed = parse_resident_id(row["id_no"])
            records.append(
                ResidentRecord(
                    line=number,
                    id_no=parsed.number,
                    name=row["name"][:50],
                    sex=parsed.sex,
                    birth_date=parsed.birth_date,
                    village=village,
                    household_no=household,
                    status=status,
                    note=(row.get("note") or "")[:200],
                )
            )
    return errors, records


def extract_import(
    *,
    township: Region,
    content: bytes,
    filename: str,
    user: AbstractBaseUser,
    data_date: dt.date,
    progress: Progress = _no_progress,
    sheet: Sheet | None = None,
) -> ImportResult:
    """Check a township's extract row by row and store it whole as the township's current extract, or
    raise ListInvalid and store nothing. The same file again changes nothing."""
    if township.level != Region.Level.TOWNSHIP:
        raise ValueError("an extract is a township's")
    sheet = sheet or extract_read(content, filename)
    progress(0, len(sheet))
    errors, records = _check_extract(sheet, township)
    if errors:
        raise ListInvalid(errors, sheet)
    fingerprint = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        # The township's row is the lock two uploads at once queue on: the later becomes current.
        Region.objects.select_for_update().get(pk=township.pk)
        existing = HouseholdExtract.objects.filter(township=township, sha256=fingerprint).first()
        if existing is not None:
            return ImportResult(created=False, extract=existing)
        for previous in HouseholdExtract.objects.filter(township=township, is_current=True):
            previous.is_current = False
            previous._history_user = user
            previous.save(update_fields=["is_current"])
        extract = HouseholdExtract(
            township=township,
            data_date=data_date,
            source_name=filename[:200],
            sha256=fingerprint,
            row_count=len(records),
            moved_count=sum(1 for r in records if r.status == Status.MOVED),
            dead_count=sum(1 for r in records if r.status == Status.DEAD),
            uploaded_by=user,
        )
        extract._history_user = user
        extract.save()
        for start in range(0, len(records), 2000):
            chunk = records[start : start + 2000]
            for record in chunk:
                record.extract = extract
            ResidentRecord.objects.bulk_create(chunk)
            progress(start + len(chunk), len(records))
        coverage_refresh(Region.objects.filter(parent=township).values_list("pk", flat=True))
    return ImportResult(created=True, extract=extract)


# --- Departments' lists -----------------------------------------------------------------------------


def department_list_read(content: bytes, filename: str) -> Sheet:
    return _read(content, filename, layouts.DEPARTMENT_LIST)


def department_list_import(
    *,
    county: Region,
    kind: str,
    department: str,
    content: bytes,
    filename: str,
    user: AbstractBaseUser,
    data_date: dt.date,
    progress: Progress = _no_progress,
    sheet: Sheet | None = None,
) -> ImportResult:
    """A department's list of students or of persons in the employee scheme for the county (003 六(三):
    已参加…职工养老保险的不再参加城乡居民基本养老保险), whole or not at all; it replaces the county's
    earlier list of the kind."""
    if county.level != Region.Level.COUNTY or kind not in DepartmentList.Kind.values:
        raise ValueError("a department list is a county's, of a known kind")
    sheet = sheet or department_list_read(content, filename)
    progress(0, len(sheet))
    errors = list(sheet.errors)
    _duplicates(sheet, errors)
    if errors:
        raise ListInvalid(errors, sheet)
    rows = [(number, row) for number, _line, row in sheet.records()]
    fingerprint = hashlib.sha256(content).hexdigest()
    with transaction.atomic():
        Region.objects.select_for_update().get(pk=county.pk)
        existing = DepartmentList.objects.filter(region=county, kind=kind, sha256=fingerprint).first()
        if existing is not None:
            return ImportResult(created=False, department_list=existing)
        for previous in DepartmentList.objects.filter(region=county, kind=kind, is_current=True):
            previous.is_current = False
            previous._history_user = user
            previous.save(update_fields=["is_current"])
        listed = DepartmentList(
            region=county,
            kind=kind,
            department=department[:100],
            data_date=data_date,
            source_name=filename[:200],
            sha256=fingerprint,
            row_count=len(rows),
            uploaded_by=user,
        )
        listed._history_user = user
        listed.save()
        DepartmentListEntry.objects.bulk_create(
            [
                DepartmentListEntry(
                    department_list=listed,
                    line=number,
                    id_no=row["id_no"],
                    name=row["name"][:50],
                    detail=(row.get("detail") or "")[:100],
                )
                for number, row in rows
            ],
            batch_size=2000,
        )
        progress(len(rows), len(rows))
        coverage_refresh(
            Region.objects.filter(level=Region.Level.VILLAGE, code__startswith=county.prefix).values_list(
                "pk", flat=True
            )
        )
    return ImportResult(created=True, department_list=listed)


# --- Counts -----------------------------------------------------------------------------------------


def enrolled_person() -> Any:
    """Inside a query of resident records: an insured person of the same ID who is covered."""
    return InsuredPerson.objects.filter(id_no=OuterRef("id_no"), status__in=COVERED_STATUSES)


def on_a_department_list() -> Any:
    """Inside a query of resident records: a current department list names the same ID."""
    return DepartmentListEntry.objects.filter(department_list__is_current=True, id_no=OuterRef("id_no"))


def coverage_refresh(village_ids: Collection[int], today: dt.date | None = None) -> int:
    """Count the villages' coverage again from their townships' current extracts (16 or older on
    `today`), replacing their CoverageCount rows."""
    villages = sorted(set(village_ids))
    if not villages:
        return 0
    today = today or timezone.localdate()
    eligible = Q(status=Status.NORMAL, birth_date__lte=adult_born_by(today), listed=False)
    rows = (
        ResidentRecord.objects.filter(extract__is_current=True, village_id__in=bulk.any_of(villages, "bigint"))
        .annotate(enrolled=Exists(enrolled_person()), listed=Exists(on_a_department_list()))
        .values("village_id")
        .annotate(
            residents=Count("pk"),
            eligible=Count("pk", filter=eligible),
            covered=Count("pk", filter=eligible & Q(enrolled=True)),
        )
        .order_by()
    )
    counted = {row["village_id"]: row for row in rows}
    extracts = dict(
        ResidentRecord.objects.filter(extract__is_current=True, village_id__in=bulk.any_of(villages, "bigint"))
        .values_list("village_id", "extract_id")
        .distinct()
    )
    reverse = dict(
        reverse_persons(Region.objects.filter(pk__in=villages))
        .values("village_id")
        .annotate(n=Count("pk"))
        .values_list("village_id", "n")
    )
    now = timezone.now()
    with transaction.atomic():
        CoverageCount.objects.filter(village_id__in=villages).delete()
        CoverageCount.objects.bulk_create(
            [
                CoverageCount(
                    village_id=village,
                    extract_id=extracts.get(village),
                    residents=counted.get(village, {}).get("residents", 0),
                    eligible=counted.get(village, {}).get("eligible", 0),
                    enrolled=counted.get(village, {}).get("covered", 0),
                    reverse=reverse.get(village, 0),
                    refreshed_at=now,
                )
                for village in villages
            ],
            batch_size=1000,
        )
    return len(villages)


def coverage_refresh_everywhere(today: dt.date | None = None) -> int:
    """Beat's run: every village of a township with a current extract (registrations and closures
    change the counts as much as a new extract does)."""
    townships = HouseholdExtract.objects.filter(is_current=True).values("township_id")
    villages = Region.objects.filter(parent_id__in=townships, level=Region.Level.VILLAGE).values_list("pk", flat=True)
    return coverage_refresh(list(villages), today)


def reverse_persons(villages: Any) -> Any:
    """Insured persons still covered whose current registration says moved away or dead (003 二(一):
    the reverse of the gap list), in the given villages (a queryset of regions)."""
    gone = ResidentRecord.objects.filter(
        extract__is_current=True, id_no=OuterRef("id_no"), status__in=[Status.MOVED, Status.DEAD]
    )
    return InsuredPerson.objects.filter(village__in=villages, status__in=COVERED_STATUSES).filter(Exists(gone))


# --- Exports ----------------------------------------------------------------------------------------


def export_record(
    *,
    user: AbstractBaseUser,
    kind: str,
    region: Region,
    full_ids: bool,
    record_ids: Sequence[int] = (),
    person_ids: Sequence[int] = (),
) -> CoverageExport:
    """Who exported a list naming residents, when, with whole IDs or not, and whom it named: the
    residents of a gap list here, row by row; the insured persons of a reverse list in insured's
    access log as well (individual information protection: who looked at whom)."""
    with transaction.atomic():
        export = CoverageExport.objects.create(
            user=user, kind=kind, region=region, full_ids=full_ids, row_count=len(record_ids) or len(person_ids)
        )
        CoverageExportRow.objects.bulk_create(
            [CoverageExportRow(export=export, record_id=pk) for pk in record_ids], batch_size=2000
        )
        if person_ids:
            detail = f"coverage {kind}{' full' if full_ids else ''} {region.code}"
            access_log.record(user, person_ids, access_log.What.EXPORT, detail)
    return export
