"""Who looked at whom: every view of a person's page or account, every printed form and export
naming a person is recorded (user, time, person, what), for the auditor to read.

Views and API views call `record` after the access check passed; exports record each person
they name, set-based.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from insured import access
from insured.models import AccessRecord

What = AccessRecord.What


def record(user: Any, person_ids: Iterable[int], what: str, detail: str = "") -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    rows = [AccessRecord(user=user, person_id=pk, what=what, detail=detail[:120]) for pk in set(person_ids) if pk]
    AccessRecord.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def record_many(user: Any, rows: Iterable[tuple[int, str]], what: str, *, at: dt.datetime | None = None) -> int:
    """Many (person, detail) pairs at once (a batch of printed forms): one insert of them all."""
    if not getattr(user, "is_authenticated", False):
        return 0
    at = at or timezone.now()
    records = [
        AccessRecord(at=at, user=user, person_id=pk, what=what, detail=detail[:120]) for pk, detail in rows if pk
    ]
    AccessRecord.objects.bulk_create(records, batch_size=1000)
    return len(records)


def records_for(user: Any) -> QuerySet[AccessRecord]:
    """What an auditor may read: the records of persons in their region."""
    return access.scoped(AccessRecord.objects.select_related("user", "person"), user, "person__village")
