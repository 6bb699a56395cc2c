"""Collection's periodic work: the government-paid receivables generated for every county, monthly
after the departments' lists (003 六(三) 每月比对, 动态清零). Safe to run twice: a person and year has
one live receivable."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from collection import services


@shared_task
def gov_paid_generate_all() -> dict[str, int]:
    return services.gov_paid_generate_all(timezone.localdate().year)
