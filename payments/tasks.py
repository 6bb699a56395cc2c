"""Celery tasks: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import transaction

from payments import processing, reconciliation, selectors


@shared_task(acks_late=True, reject_on_worker_lost=True)
def process_batch(batch_pk: int) -> bool:
    return processing.batch_process(batch_pk)


def batch_dispatch(batch_pk: int) -> None:
    """Hand a stored batch to a worker once the transaction that stored it has committed.

    robust: where tasks run in-process (the demo), a processing error is logged and the batch
    stays waiting for the sweep; it must not turn the stored batch's 202 into a 500.
    """
    transaction.on_commit(lambda: process_batch.delay(batch_pk), robust=True)


def batches_requeue(older_than: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """Queue again any batch still waiting: the database, not the broker, is the record of
    what is left to do (a lost message or a broker restart loses no notice)."""
    pending = selectors.waiting_batch_ids(older_than)
    for pk in pending:
        process_batch.delay(pk)
    return len(pending)


@shared_task
def requeue_waiting_batches() -> int:
    return batches_requeue()


@shared_task
def reconcile_yesterday() -> list[int]:
    """Nightly: store yesterday's reconciliation of every county and flag its differences."""
    return [run.pk for run in reconciliation.reconcile_yesterday_everywhere()]
