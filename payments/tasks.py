"""Celery tasks: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from payments import processing, reconciliation, services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def process_batch(batch_pk: int) -> bool:
    return processing.batch_process(batch_pk)


@shared_task
def requeue_waiting_batches() -> int:
    return services.batches_requeue()


@shared_task
def reconcile_yesterday() -> list[int]:
    """Nightly: store yesterday's reconciliation of every county and flag its differences."""
    return [run.pk for run in reconciliation.reconcile_yesterday_everywhere()]
