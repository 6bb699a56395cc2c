"""How money and dates are written, on screen, on paper, in exports and in messages alike:
money with thousands separators and two places (7,833.00), a day as 2026年11月22日, a moment as
2026年11月22日 09:30 in Beijing time, a count with thousands separators (12,345). Templates use
the filters of the same names (`money`, `day`, `moment`, `count`: builtins, no `{% load %}`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.utils import timezone

BEIJING = ZoneInfo("Asia/Shanghai")


def money(value: Decimal | int | None) -> str:
    if value is None or value == "":
        return ""
    return f"{Decimal(value):,.2f}"


def count(value: int | None) -> str:
    if value is None or value == "":
        return ""
    return f"{int(value):,}"


def day(value: dt.date | dt.datetime | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value, BEIJING).date() if timezone.is_aware(value) else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


def moment(value: dt.datetime | None) -> str:
    if value is None or value == "":
        return ""
    local = timezone.localtime(value, BEIJING) if timezone.is_aware(value) else value
    return f"{day(local.date())} {local:%H:%M}"
