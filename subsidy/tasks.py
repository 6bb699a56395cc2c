"""Celery tasks of personal sponsorship: they call one service and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from subsidy import services


@shared_task
def void_expired_sponsorships() -> int:
    """Rule 8 (notice 000 四): approved sponsorship unpaid at the end of its year is void."""
    return services.applications_void_expired()
