"""Celery tasks: they take ids, call one service, and are safe to run twice.

No batch is left waiting (issue 16). The batch row's state `received` is the record that it waits:
it is written in the same transaction as the batch, so nothing can store a batch and lose the
intent to process it. `batch_dispatch` hands it to a worker after the commit; if that hand-over
is lost (the web worker died between COMMIT and the enqueue, the broker was down or lost its
messages, the worker died), the sweep `redispatch_waiting_batches`, run by beat every few
seconds, hands it over again. Passing faults (the database or the broker away) are retried with
backoff; a batch that keeps failing is marked with its error, shown to staff, and retried now and
then, never dropped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.db.models import F
from django.utils import timezone
from kombu.exceptions import KombuError

from payments import processing, reconciliation, selectors
from payments.models import NoticeBatch

logger = logging.getLogger("operations")

# Faults that pass: the database restarting, a dropped connection, the broker away (a deadlock
# between two batches is one too: PostgreSQL aborts one, which is processed again).
PASSING = (OperationalError, InterfaceError, KombuError, ConnectionError)
EARLIER_BATCH_RETRY_SECONDS = 2
EARLIER_BATCH_RETRIES = 150  # five minutes; then it is a failure like any other, retried by the sweep


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=PASSING,
    retry_backoff=2,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=12,
)
def process_batch(self, batch_pk: int, part: int | None = None) -> bool:
    """One part of a batch, or (part None: a message sent before batches had parts) all of it."""
    try:
        return processing.batch_process(batch_pk, part)
    except processing.EarlierBatchWaiting as exc:
        # Not a fault: another worker is about to credit the payment one of its reversals takes back.
        raise self.retry(exc=exc, countdown=EARLIER_BATCH_RETRY_SECONDS, max_retries=EARLIER_BATCH_RETRIES) from None
    except Exception as exc:
        _record_failure(batch_pk, exc, retrying=isinstance(exc, PASSING) and self.request.retries < self.max_retries)
        raise


def _record_failure(batch_pk: int, exc: Exception, *, retrying: bool) -> None:
    """Best effort: while the database is away this cannot be written, and the log line is all."""
    message = f"{type(exc).__name__}: {exc}"[:500]
    fields = {"batch": batch_pk, "error": message, "retrying": retrying}
    logger.warning("batch_retry" if retrying else "batch_failed", extra={"fields": fields})
    try:
        NoticeBatch.objects.filter(pk=batch_pk, status=NoticeBatch.Status.RECEIVED).update(
            attempts=F("attempts") + 1, last_error=message, last_error_at=timezone.now()
        )
    except DatabaseError:
        logger.warning("batch_failure_not_recorded", extra={"fields": {"batch": batch_pk}})


def batch_dispatch(batch_pk: int) -> None:
    """Hand a stored batch to the workers once the transaction that stored it has committed: one
    task a part, so that as many workers as there are parts credit it side by side.

    A broker that is down does not turn the stored batch's 202 into a 500: the failure is logged
    and the sweep hands the batch over once the broker is back.
    """
    transaction.on_commit(lambda: _send(batch_pk))


def _send(batch_pk: int) -> bool:
    try:
        parts = NoticeBatch.objects.filter(pk=batch_pk).values_list("parts", flat=True).first() or 1
        for part in range(parts):
            process_batch.delay(batch_pk, part)
    except Exception as exc:  # in-process tasks (the demo) raise the task's own errors here too
        logger.warning(
            "dispatch_failed", extra={"fields": {"batch": batch_pk, "error": f"{type(exc).__name__}: {exc}"[:300]}}
        )
        return False
    # If this cannot be written the sweep may hand the batch over once more: processing twice changes nothing.
    with contextlib.suppress(DatabaseError):
        NoticeBatch.objects.filter(pk=batch_pk).update(dispatched_at=timezone.now())
    return True


def batches_requeue(older_than: dt.timedelta = dt.timedelta(minutes=5)) -> int:
    """Queue again every batch stored more than `older_than` ago and still waiting (the
    process_waiting_batches command: an operator's hand, whatever the sweep thinks)."""
    pending = selectors.waiting_batch_ids(older_than)
    return sum(_send(pk) for pk in pending)


def batches_redispatch() -> int:
    """The sweep: hand over again the waiting batches whose hand-over looks lost."""
    sent = sum(_send(pk) for pk in selectors.batches_to_redispatch())
    if sent:
        logger.info("batches_redispatched", extra={"fields": {"count": sent}})
    return sent


@shared_task
def redispatch_waiting_batches() -> int:
    return batches_redispatch()


@shared_task
def requeue_waiting_batches() -> int:
    """Kept for beat schedules written before the sweep ran every few seconds."""
    return batches_redispatch()


@shared_task
def reconcile_yesterday() -> list[int]:
    """Nightly: store yesterday's reconciliation of every county and flag its differences."""
    return [run.pk for run in reconciliation.reconcile_yesterday_everywhere()]
