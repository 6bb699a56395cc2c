"""A batch whose task was lost is processed by the sweep (beat every five minutes, or the
command): the database, not the broker, records what is left to do."""

import io
import json

import pytest
from django.core.management import call_command

from payments import intake, services, tasks
from payments.models import NoticeBatch
from tests.payments.conftest import batch, notice

pytestmark = pytest.mark.django_db


def test_waiting_batch_is_processed_by_the_sweep(tax_client, insured):
    raw = json.dumps(batch([notice(insured)])).encode()
    # Inside a test transaction on_commit never fires: the batch is stored and its task "lost".
    stored = services.batch_store(
        client=tax_client, parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    ).batch
    assert NoticeBatch.objects.get(pk=stored.pk).status == NoticeBatch.Status.RECEIVED

    out = io.StringIO()
    call_command("process_waiting_batches", stdout=out)

    assert "1 waiting batches queued" in out.getvalue()
    refreshed = NoticeBatch.objects.get(pk=stored.pk)
    assert refreshed.status == NoticeBatch.Status.PROCESSED and refreshed.credited_count == 1


def test_sweep_leaves_recent_batches_to_their_own_task(tax_client, insured):
    raw = json.dumps(batch([notice(insured)])).encode()
    services.batch_store(
        client=tax_client, parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    )
    assert tasks.batches_requeue() == 0  # younger than five minutes
