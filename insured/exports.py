"""Every list a member of staff can page through can also be taken away as an XLSX file: the same
rows (cut to the user's scope), the same columns, written the way the pages write them
(insured.formats), resident IDs masked, text a spreadsheet would run as a formula escaped, and
each person named in the file recorded in the access log.

An app declares each of its lists once (`ListExport`: how to rebuild the list from the page's
parameters for a user, its columns, whom a row names) and registers it from its AppConfig.ready().
`export()` then builds a short list while the user waits; a list of more than `SYNC_ROWS` rows is
made by a background job (insured.jobs) whose page shows the progress and the file; a list of more
than `MAX_ROWS` is refused with a message asking for a narrower filter.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from insured import access_log, formats, jobs
from insured.spreadsheets import XLSX_CONTENT_TYPE, safe_cell

__all__ = [
    "MAX_ROWS",
    "SYNC_ROWS",
    "XLSX_CONTENT_TYPE",
    "Column",
    "Kind",
    "ListExport",
    "export",
    "register",
    "safe_cell",
]

SYNC_ROWS = 2_000  # built while the user waits: well within a couple of seconds
MAX_ROWS = 200_000  # beyond this a list is narrowed first, even in the background
MONEY_FORMAT = "#,##0.00"


class Kind:
    TEXT = "text"
    MONEY = "money"  # a number cell shown as 7,833.00
    NUMBER = "number"
    DAY = "day"  # 2026年11月22日 (insured.formats.day)
    MOMENT = "moment"  # 2026年11月22日 09:30, Beijing time


@dataclass(frozen=True)
class Column:
    header: Any  # a (lazy) translation
    value: Callable[[Any], Any]
    kind: str = Kind.TEXT
    width: int = 14


@dataclass(frozen=True)
class ListExport:
    """One list's export. `rows(user, params)` rebuilds the list, cut to the user's scope, from the
    page's parameters (the query string, and what the view adds: a search kept in the session, a
    year); `person_of(row)` is the person a row names, for the access log."""

    kind: str  # the background job's kind too, e.g. "insured.persons"
    label: Any  # a lazy translation: the job's name
    stem: str  # the file's name before its date
    columns: Callable[[Any, Mapping[str, Any]], list[Column]]
    rows: Callable[[Any, Mapping[str, Any]], QuerySet | list]
    person_of: Callable[[Any], int | None] | None = None


_lists: dict[str, ListExport] = {}


def register(spec: ListExport) -> None:
    """Idempotent; from the app's AppConfig.ready(), so a worker knows the job's kind too."""
    _lists[spec.kind] = spec
    jobs.register(jobs.JobKind(spec.kind, spec.label, _run))


def _cell(sheet: Any, value: Any, kind: str) -> WriteOnlyCell:
    if value is None or value == "":
        return WriteOnlyCell(sheet, value=None)
    if kind == Kind.MONEY:
        cell = WriteOnlyCell(sheet, value=Decimal(value))
        cell.number_format = MONEY_FORMAT
        return cell
    if kind == Kind.NUMBER:
        return WriteOnlyCell(sheet, value=value)
    if kind == Kind.DAY:
        return WriteOnlyCell(sheet, value=formats.day(value))
    if kind == Kind.MOMENT:
        return WriteOnlyCell(sheet, value=formats.moment(value))
    # Everything else is text, IDs and codes included, so a number keeps all its digits.
    cell = WriteOnlyCell(sheet, value=safe_cell(str(value)))
    cell.number_format = "@"
    return cell


def workbook(
    title: str, columns: list[Column], rows: Iterable[Any], progress: Callable[[int], None] | None = None
) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    for index, column in enumerate(columns):
        sheet.column_dimensions[get_column_letter(index + 1)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=safe_cell(str(column.header)))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for done, row in enumerate(rows, start=1):
        sheet.append([_cell(sheet, column.value(row), column.kind) for column in columns])
        if progress is not None:
            progress(done)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def filename(stem: str, at: dt.datetime | None = None) -> str:
    moment = timezone.localtime(at or timezone.now())
    return f"{stem}-{moment:%Y%m%d-%H%M}.xlsx"


def _count(rows: QuerySet | list) -> int:
    return rows.count() if isinstance(rows, QuerySet) else len(rows)


def _iterate(rows: QuerySet | list) -> Iterable[Any]:
    # A long list is read in chunks (prefetches included), not held whole in memory.
    return rows.iterator(chunk_size=2000) if isinstance(rows, QuerySet) else rows


def _record(spec: ListExport, user: Any, person_ids: list[int]) -> None:
    if spec.person_of is not None:
        access_log.record(user, person_ids, access_log.What.EXPORT, f"{spec.stem}.xlsx")


def _build(spec: ListExport, user: Any, params: Mapping[str, Any], progress: Callable[[int], None] | None) -> bytes:
    rows = spec.rows(user, params)
    seen: list[int] = []

    def each() -> Iterable[Any]:
        for row in _iterate(rows):
            if spec.person_of is not None and (person := spec.person_of(row)):
                seen.append(person)
            yield row

    content = workbook(str(spec.label), spec.columns(user, params), each(), progress)
    _record(spec, user, seen)
    return content


def export(request: HttpRequest, spec: ListExport, params: Mapping[str, Any], back: str) -> HttpResponse:
    """The list as a file now, or as a background job for a long one (its page shows the progress
    and the file), or back to the list with a message when it is too long to export at all."""
    count = _count(spec.rows(request.user, params))
    if count > MAX_ROWS:
        messages.error(
            request,
            _("The list holds %(n)s rows; an export takes at most %(max)s. Narrow the list with the filters first.")
            % {"n": formats.count(count), "max": formats.count(MAX_ROWS)},
        )
        return HttpResponseRedirect(back)
    if count > SYNC_ROWS:
        job = jobs.job_create(kind=spec.kind, user=request.user, params=dict(params), total=count)
        messages.info(
            request,
            _("The list holds %(n)s rows: the file is being made in the background.") % {"n": formats.count(count)},
        )
        return HttpResponseRedirect(reverse("insured:job-detail", args=[job.pk]))
    response = HttpResponse(_build(spec, request.user, params, None), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename(spec.stem)}"'
    return response


def _run(job: Any, progress: jobs.Progress) -> jobs.JobResult:
    spec = _lists[job.kind]
    content = _build(spec, job.requested_by, job.params, lambda done: progress(done))
    return jobs.JobResult(
        message=_("The file is ready."),
        content=content,
        filename=filename(spec.stem),
        content_type=XLSX_CONTENT_TYPE,
    )
