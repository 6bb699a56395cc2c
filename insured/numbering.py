"""Document numbers: a prefix, the day (YYYYMMDD) and a sequence of that day, such as
YS2026112200001 for a receivable or ZZ202611220001 for a sponsorship application.

The next number is read from the highest one of the day; two clerks taking the same number
at once are settled by the number's unique index: the loser takes the next one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

from django.db import IntegrityError, models, transaction
from django.utils import timezone

M = TypeVar("M", bound=models.Model)
ATTEMPTS = 5


def next_number(
    model: type[models.Model], prefix: str, width: int, field: str = "number", day: dt.date | None = None
) -> str:
    stem = f"{prefix}{(day or timezone.localdate()):%Y%m%d}"
    last = (
        model._default_manager.filter(**{f"{field}__startswith": stem})
        .order_by(f"-{field}")
        .values_list(field, flat=True)
        .first()
    )
    sequence = int(last[len(stem) :]) + 1 if last and last[len(stem) :].isdigit() else 1
    return f"{stem}{sequence:0{width}d}"


def create_numbered(
    model: type[M],
    prefix: str,
    width: int,
    build: Callable[[str], M],
    field: str = "number",
    day: dt.date | None = None,
) -> M:
    """Save the object `build(number)` makes under the next free number of `day` (today).

    An IntegrityError that is not about the number (another unique constraint of the object)
    is raised to the caller, which knows what it means.
    """
    for _attempt in range(ATTEMPTS):
        number = next_number(model, prefix, width, field, day)
        obj = build(number)
        try:
            with transaction.atomic():
                obj.save()
        except IntegrityError:
            if model._default_manager.filter(**{field: number}).exists():
                continue  # taken by a concurrent request: try the next
            raise
        return obj
    raise RuntimeError(f"could not allocate a {model._meta.model_name} number after {ATTEMPTS} attempts")
