"""Printing: one form or a batch of forms becomes one PDF/A file, and every form printed is recorded
(insured.models.PrintRecord) with what it said, who printed it and when; the persons it names go
into the access log.

An app's pdf.py describes each form as a `Sheet` (its template, context, and what the print log
keeps) and calls `print_sheets`. Who printed and when is filled in here, once for the whole
file, so the form, its metadata and the record say the same.
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from insured import access_log, formats
from insured.history import staff_name
from insured.models import AccessRecord, Job, PrintRecord, Region
from insured.printing import render


@dataclass(frozen=True)
class Sheet:
    """One form to print, and what the print log keeps of it."""

    template: str
    context: dict[str, Any]
    form: str  # which form of the system: "subsidy.application"
    title: str  # as printed: 城乡居民养老保险社会资助申请表
    region: Region  # whose document: the auditor of this region reads the record
    number: str = ""  # the document's number
    check_code: str = ""
    facts: Sequence[tuple[str, str]] = ()  # what the form says, label and value, in Chinese
    person_ids: Sequence[int] = ()  # the persons it names (the access log)
    link: str = ""  # the document's page
    detail: str = ""  # what the access log says of it (default: the number)

    @property
    def access_detail(self) -> str:
        return self.detail or self.number or self.form

    @property
    def label(self) -> str:
        """The sheet's bookmark in a batch."""
        return f"{self.number}　{self.title}" if self.number else self.title


@dataclass(frozen=True)
class Printed:
    content: bytes
    pages: int
    records: list[PrintRecord] = field(default_factory=list)


Progress = Callable[[int], None]


def print_sheets(
    sheets: Sequence[Sheet],
    *,
    user: Any,
    title: str = "",
    job: Job | None = None,
    progress: Progress | None = None,
) -> Printed:
    """Lay out every sheet (calling `progress(done)` after each), write them as one PDF/A and
    record them. One sheet: the file's metadata is the form's; several: a batch titled `title`,
    with a bookmark for each form."""
    if not sheets:
        raise ValueError("nothing to print")
    now = timezone.now()
    stamp = {"printed_by": staff_name(user), "printed_at": formats.moment(now), "agency": settings.AGENCY_NAME}
    single = len(sheets) == 1
    with _collector_held(batch=not single):
        documents = _laid_out(sheets, stamp, progress, batch=not single)
        content = render.write(
            documents,
            _metadata(sheets[0], now) if single else _batch_metadata(sheets, title, now),
            bookmarks=None if single else [s.label for s in sheets],
        )
    pages = [len(d.pages) for d in documents]
    del documents
    if not single:
        gc.collect()  # the batch's laid-out pages, at once
    records = record(sheets, pages, user=user, at=now, job=job)
    return Printed(content, sum(pages), records)


@contextmanager
def _collector_held(*, batch: bool) -> Iterator[None]:
    """Python's cyclic collector paused while forms are laid out and written. A layout makes
    hundreds of thousands of small objects that refer to each other; collected at Python's pace,
    the process's whole heap is scanned again every few forms (a tenth of a form's time, and in a
    batch, whose pages stay in memory until the file is written, a fifth of the batch's time)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if batch:
            gc.unfreeze()
        if collecting:
            gc.enable()


def _laid_out(sheets: Sequence[Sheet], stamp: dict[str, Any], progress: Progress | None, *, batch: bool) -> list[Any]:
    """Every sheet laid out, in order. In a batch, each form's own garbage is collected and the
    pages it leaves are frozen (gc.freeze: left out of every later collection) until the file is
    written."""
    documents = []
    for done, sheet in enumerate(sheets, start=1):
        documents.append(render.layout(render.render_html(sheet.template, {**sheet.context, **stamp})))
        if batch:
            gc.collect(1)
            gc.freeze()
        if progress is not None:
            progress(done)
    return documents


def _metadata(sheet: Sheet, now: dt.datetime) -> render.Metadata:
    return render.Metadata(
        title=f"{sheet.title} {sheet.number}".strip(),
        printed_at=now,
        author=settings.AGENCY_NAME,
        subject=_subject(sheet, now),
        number=sheet.number,
        check_code=sheet.check_code,
        form=sheet.form,
        keywords=[v for v in (sheet.number, sheet.check_code) if v],
    )


def _subject(sheet: Sheet, now: dt.datetime) -> str:
    parts = [f"编号：{sheet.number}" if sheet.number else "", f"校验码：{sheet.check_code}" if sheet.check_code else ""]
    parts.append(f"打印时间：{formats.moment(now)}（北京时间）")
    return "；".join(p for p in parts if p)


def _batch_metadata(sheets: Sequence[Sheet], title: str, now: dt.datetime) -> render.Metadata:
    numbers = [s.number for s in sheets if s.number]
    return render.Metadata(
        title=title or f"{sheets[0].title}等{len(sheets)}份",
        printed_at=now,
        author=settings.AGENCY_NAME,
        subject=f"共{len(sheets)}份；打印时间：{formats.moment(now)}（北京时间）",
        number=f"{numbers[0]}…{numbers[-1]}" if len(numbers) > 1 else "",
        form=sheets[0].form if len({s.form for s in sheets}) == 1 else "",
        keywords=numbers,
    )


@transaction.atomic
def record(
    sheets: Sequence[Sheet], pages: Sequence[int], *, user: Any, at: dt.datetime, job: Job | None = None
) -> list[PrintRecord]:
    """One print record per sheet and one access record per person a sheet names, set-based."""
    rows = [
        PrintRecord(
            at=at,
            user=user,
            form=sheet.form,
            title=sheet.title[:100],
            number=sheet.number,
            check_code=sheet.check_code,
            region=sheet.region,
            facts=[[str(label), str(value)] for label, value in sheet.facts],
            pages=count,
            link=sheet.link,
            job=job,
        )
        for sheet, count in zip(sheets, pages, strict=True)
    ]
    PrintRecord.objects.bulk_create(rows, batch_size=1000)
    access_log.record_many(
        user,
        ((pk, sheet.access_detail) for sheet in sheets for pk in dict.fromkeys(sheet.person_ids)),
        AccessRecord.What.FORM,
        at=at,
    )
    return rows
