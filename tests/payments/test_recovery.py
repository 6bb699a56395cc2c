"""No batch left waiting (issue 16): a lost hand-over is found by the sweep within seconds, a
resent batch that still waits is handed over again, passing faults are retried, a batch that keeps
failing is shown with its error, and operators see the waiting work (/healthz, check_ledger)."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from config.celery import app as celery_app
from insured.models import Role
from payments import intake, processing, selectors, services, tasks
from payments.models import NoticeBatch
from tests.factories import make_user
from tests.payments.conftest import batch, notice

pytestmark = pytest.mark.django_db


def _stored(tax_client, insured, batch_id: str = "B0001", **ages) -> NoticeBatch:
    """A batch stored as the push stores it, its hand-over to a worker never made (the web worker
    died between COMMIT and the enqueue)."""
    voucher = "V0001" if batch_id == "B0001" else f"V-{batch_id}"
    raw = json.dumps(batch([notice(insured, voucher=voucher)], batch_id), ensure_ascii=False).encode()
    stored = services.batch_store(
        client=tax_client, parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    ).batch
    if ages:
        now = timezone.now()
        NoticeBatch.objects.filter(pk=stored.pk).update(**{k: now - v for k, v in ages.items()})
    return stored


def _status(pk: int) -> str:
    return NoticeBatch.objects.get(pk=pk).status


def test_a_resent_batch_that_still_waits_is_handed_over_again(signed, insured, django_capture_on_commit_callbacks):
    body = batch([notice(insured)])
    stored = _stored(signed_client_of(signed), insured)  # the first push: stored, never queued
    assert _status(stored.pk) == "received"
    with django_capture_on_commit_callbacks(execute=True):
        response = signed.push(body)  # tax saw its connection drop and resends the same batch
    assert response.status_code == 200
    assert _status(stored.pk) == "processed"


def signed_client_of(signed):
    from payments.models import TaxClient

    return TaxClient.objects.get(client_id=signed.client_id)


def test_the_sweep_hands_over_a_batch_whose_hand_over_was_lost(tax_client, insured):
    lost = _stored(tax_client, insured, "LOST", received_at=dt.timedelta(seconds=45))
    fresh = _stored(tax_client, insured, "FRESH", received_at=dt.timedelta(seconds=5))
    just_sent = _stored(
        tax_client, insured, "SENT", received_at=dt.timedelta(minutes=2), dispatched_at=dt.timedelta(seconds=10)
    )
    assert selectors.batches_to_redispatch() == [lost.pk]
    assert tasks.batches_redispatch() == 1
    assert (_status(lost.pk), _status(fresh.pk), _status(just_sent.pk)) == ("processed", "received", "received")


def test_a_batch_that_keeps_failing_is_retried_only_now_and_then(tax_client, insured):
    failing = _stored(tax_client, insured, "BAD", received_at=dt.timedelta(hours=1))
    NoticeBatch.objects.filter(pk=failing.pk).update(
        attempts=NoticeBatch.FAILING_AFTER, last_error="RuntimeError: boom", last_error_at=timezone.now()
    )
    assert selectors.batches_to_redispatch() == []
    NoticeBatch.objects.filter(pk=failing.pk).update(last_error_at=timezone.now() - dt.timedelta(minutes=11))
    assert selectors.batches_to_redispatch() == [failing.pk]


@pytest.mark.django_db(transaction=True)
def test_the_sweep_leaves_alone_a_batch_being_processed_and_waits_while_the_queue_moves(tax_client, insured):
    in_hand = _stored(tax_client, insured, "IN-HAND", received_at=dt.timedelta(minutes=2))
    queued = _stored(
        tax_client, insured, "QUEUED", received_at=dt.timedelta(minutes=2), dispatched_at=dt.timedelta(minutes=1)
    )
    db = connection.settings_dict
    holder = psycopg.connect(host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], dbname=db["NAME"])
    try:
        # Another worker is processing IN-HAND: it holds that batch's lock.
        holder.execute("SELECT pg_advisory_lock(%s::int, %s::int)", [processing.BATCH_LOCK_CLASS, in_hand.pk])
        assert selectors.batches_to_redispatch() == []  # QUEUED waits behind it, IN-HAND is in hand
        NoticeBatch.objects.filter(pk=queued.pk).update(dispatched_at=timezone.now() - dt.timedelta(minutes=11))
        assert selectors.batches_to_redispatch() == [queued.pk]
        # The worker dies: its connection, and with it its locks, are gone.
        holder.execute("SELECT pg_advisory_unlock_all()")
        assert set(selectors.batches_to_redispatch()) == {in_hand.pk, queued.pk}
    finally:
        holder.close()


def test_a_push_while_the_broker_is_down_still_answers_202_and_the_sweep_picks_it_up(
    signed, insured, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to redis")

    monkeypatch.setattr(tasks.process_batch, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = signed.push(batch([notice(insured)]))
    assert response.status_code == 202
    stored = NoticeBatch.objects.get()
    assert stored.status == "received" and stored.dispatched_at is None
    monkeypatch.undo()  # the broker is back
    NoticeBatch.objects.filter(pk=stored.pk).update(received_at=timezone.now() - dt.timedelta(seconds=31))
    assert tasks.batches_redispatch() == 1
    assert _status(stored.pk) == "processed"


def test_a_passing_database_fault_is_retried_and_the_batch_credited(tax_client, insured, monkeypatch):
    stored = _stored(tax_client, insured)
    real = processing.batch_process
    calls = []

    def flaky(pk, part=None):
        calls.append(pk)
        if len(calls) < 3:
            raise OperationalError("terminating connection due to administrator command")
        return real(pk, part)

    monkeypatch.setattr(processing, "batch_process", flaky)
    # In-process (eager) Celery runs the retries at once, as a worker would after the backoff.
    monkeypatch.setitem(celery_app.conf, "task_eager_propagates", False)
    result = tasks.process_batch.apply(args=[stored.pk])
    assert result.successful() and len(calls) == 3
    refreshed = NoticeBatch.objects.get(pk=stored.pk)
    assert refreshed.status == "processed" and refreshed.attempts == 2 and "terminating" in refreshed.last_error
    options = tasks.process_batch
    assert OperationalError in options.autoretry_for and options.max_retries == 12 and options.retry_jitter


def test_a_batch_that_keeps_failing_is_marked_shown_and_not_dropped(client, tax_client, insured, monkeypatch):
    stored = _stored(tax_client, insured, received_at=dt.timedelta(minutes=5))

    def broken(pk, part=None):
        raise RuntimeError("a bug in the engine")

    monkeypatch.setattr(processing, "batch_process", broken)
    for _ in range(NoticeBatch.FAILING_AFTER):
        assert tasks.process_batch.apply(args=[stored.pk], throw=False).failed()
    refreshed = NoticeBatch.objects.get(pk=stored.pk)
    assert refreshed.is_failing and refreshed.status == "received"
    clerk = make_user(Role.CLERK, tax_client.region)
    client.force_login(clerk)
    page = client.get(reverse("payments:batch-list")).content.decode()
    assert 'id="waiting"' in page and "a bug in the engine" in page
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json()["failing_batches"] == 1


def test_healthz_reports_the_database_the_broker_and_the_waiting_work(client, tax_client, insured):
    healthy = client.get("/healthz")
    assert healthy.status_code == 200
    body = healthy.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["waiting_batches"] == 0
    _stored(tax_client, insured, received_at=dt.timedelta(minutes=10))
    waiting = client.get("/healthz")
    assert waiting.status_code == 503
    assert waiting.json()["waiting_notices"] == 1 and waiting.json()["oldest_waiting_seconds"] >= 600
    assert insured.id_no not in waiting.content.decode() and insured.name not in waiting.content.decode()


def test_check_ledger_fails_while_notices_wait_too_long(tax_client, insured):
    _stored(tax_client, insured, received_at=dt.timedelta(minutes=30))
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("check_ledger", stdout=out)
    assert "1 notices in 1 batches wait to be processed" in out.getvalue()
    call_command("check_ledger", "--waiting-limit", "7200", stdout=io.StringIO())


def test_concurrent_sweeps_hand_a_batch_over_but_it_is_credited_once(tax_client, insured):
    stored = _stored(tax_client, insured, received_at=dt.timedelta(minutes=1))
    for _ in range(3):
        tasks.batches_redispatch()
        NoticeBatch.objects.filter(pk=stored.pk).update(dispatched_at=None)
    refreshed = NoticeBatch.objects.get(pk=stored.pk)
    assert refreshed.status == "processed" and refreshed.credited_count == 1
    assert threading.active_count() >= 1
