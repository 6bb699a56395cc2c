"""Reads of the print log, cut to the reader's region (the region of each printed document)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet

from insured import access
from insured.models import PrintRecord

REGION_PATH = "region"


def records_for(user: Any) -> QuerySet[PrintRecord]:
    return access.scoped(PrintRecord.objects.select_related("user", "region"), user, REGION_PATH)


def forms_printed(user: Any) -> list[tuple[str, str]]:
    """(form, title) of every kind of form printed in the user's region, for the log's filter."""
    rows = records_for(user).order_by("form", "title").values_list("form", "title").distinct()
    return list(dict(rows).items())


@dataclass(frozen=True)
class Printing:
    """A document as printed under one check code with the same facts: how often, first and last."""

    first: PrintRecord
    last: PrintRecord
    count: int
    changed: PrintRecord | None  # a later print of the same document that says something else

    @property
    def facts(self) -> list[tuple[str, str]]:
        return self.first.fact_rows


def printings_of_code(user: Any, code: str) -> list[Printing]:
    """What the forms carrying `code` said when they were printed, newest document first; with, for
    each, the latest print of the same document if it says something else (the document changed
    after this form was printed)."""
    records = list(records_for(user).filter(check_code=code).order_by("at", "id"))
    groups: dict[tuple[str, str, str], list[PrintRecord]] = {}
    for record in records:
        groups.setdefault((record.form, record.number, repr(record.facts)), []).append(record)
    printings = []
    for (form, number, _facts), prints in groups.items():
        latest = records_for(user).filter(form=form, number=number).order_by("-at", "-id").first() if number else None
        changed = latest if latest is not None and _differs(latest, prints[-1]) else None
        printings.append(Printing(prints[0], prints[-1], len(prints), changed))
    return sorted(printings, key=lambda p: p.last.at, reverse=True)


def _differs(latest: PrintRecord, printed: PrintRecord) -> bool:
    return latest.pk != printed.pk and (latest.facts != printed.facts or latest.check_code != printed.check_code)
