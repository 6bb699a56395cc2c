"""Celery tasks of oversight: they take ids, call one service, and are safe to run twice (each
replaces what it makes whole: summary rows, a week's report)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from kombu.exceptions import KombuError

from oversight.services import coverage, progress, reports

logger = logging.getLogger("operations")
PASSING = (OperationalError, InterfaceError, KombuError, ConnectionError)


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=PASSING, retry_backoff=5, max_retries=5)
def refresh_after_batch(batch_pk: int) -> int:
    return progress.progress_refresh_batch(batch_pk).day_rows


def after_batch(batch_pk: int) -> None:
    """payments.handlers' after-batch callback: runs once the batch has committed. It marks what
    the batch paid as stale and queues one refresh a little later, for every batch marked by then;
    if that fails, beat's sweep of the stale marks and its half-hourly refresh count it anyway."""
    progress.progress_mark_batch(batch_pk)
    refresh_stale.apply_async(countdown=settings.PROGRESS_REFRESH_DELAY_SECONDS)


@shared_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=PASSING, retry_backoff=5, max_retries=5)
def refresh_stale() -> int:
    return sum(result.day_rows for result in progress.progress_refresh_stale())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refresh_progress() -> int:
    """Every half hour: this year and last, every county (assignments, refunds, registrations and
    memberships change the figures as well as batches do)."""
    return sum(result.day_rows for result in progress.progress_refresh_everywhere())


@shared_task(acks_late=True, reject_on_worker_lost=True)
def refresh_coverage() -> int:
    """Nightly: the coverage counts of every village with an extract (enrolments, closures and the
    residents turning 16 change them as much as a new extract does)."""
    return coverage.coverage_refresh_everywhere()


@shared_task(acks_late=True, reject_on_worker_lost=True)
def weekly_reports() -> list[int]:
    """Monday morning: last week's report of every county; a report already made is left alone."""
    return [report.pk for report in reports.weekly_reports_make_all()]
