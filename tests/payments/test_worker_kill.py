"""A real Celery worker on Redis, killed with SIGKILL in the middle of the work and started
again, leaves every notice credited exactly once (acks_late + reject_on_worker_lost, one
transaction per part of a batch)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from insured.models import AccountEntry, InsuredPerson, PersonYear
from payments import intake, services, tasks
from payments.models import NoticeBatch, TaxClient
from tests.factories import PolicyYearFactory, first_village, make_id_no

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
BATCHES = 6
PER_BATCH = 2500


def _persons(village, count: int) -> list[InsuredPerson]:
    people = []
    for i in range(count):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=i % 9000)
        people.append(
            InsuredPerson(
                id_no=make_id_no(birth, i // 9000 * 7 + 1, village.code[:6]),
                name=f"杀{i}",
                sex="M",
                birth_date=birth,
                village=village,
                person_no=f"K{i:09d}",
                enrolled_on=dt.date(2015, 1, 1),
            )
        )
    return InsuredPerson.objects.bulk_create(people, batch_size=2000)


def _store_batches(client: TaxClient, persons: list[InsuredPerson]) -> None:
    for b in range(BATCHES):
        rows = []
        for i, person in enumerate(persons[b * PER_BATCH : (b + 1) * PER_BATCH]):
            rows.append(
                (
                    f"K{b:02d}{i:06d}",
                    1,
                    "own",
                    person.id_no,
                    person.name,
                    person.name,
                    person.id_no,
                    2026,
                    Decimal("500.00"),
                    dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC),
                    "wechat",
                    "",
                    "",
                    None,
                    "",
                    "",
                )
            )
        parsed = intake.ParsedBatch(
            batch_id=f"KILL-{b}",
            sent_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
            count=len(rows),
            total_amount=Decimal("500.00") * len(rows),
            rows=rows,
        )
        stored = services.batch_store(client=client, parsed=parsed, fingerprint=f"kill-{b}")
        tasks.batch_dispatch(stored.batch.pk)  # as the push endpoint does


def _worker(queue: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}",
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_QUEUE": queue,
        # Hand an unacknowledged task out again after 3 s instead of the production 15 minutes.
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "CELERY_RESTORE_INTERVAL": "1",
        "CELERY_RESTORE_THROTTLE": "1",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "-c",
            "1",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _processed() -> int:
    return NoticeBatch.objects.filter(status=NoticeBatch.Status.PROCESSED).count()


def _wait(predicate, seconds: float, worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        if worker.poll() is not None:
            pytest.fail(f"worker exited: {worker.stderr.read().decode()[-2000:]}")
        time.sleep(0.05)
    pytest.fail("timed out waiting for the worker")


@pytest.mark.django_db(transaction=True)
def test_worker_killed_mid_batch_credits_every_notice_exactly_once():
    policy = PolicyYearFactory()
    persons = _persons(first_village(policy.region), BATCHES * PER_BATCH)
    client = TaxClient.objects.create(client_id="kill", name="kill", secret="k" * 40, region=policy.region)
    queue = f"test-kill-{uuid.uuid4().hex[:8]}"
    saved = celery_app.conf.task_always_eager, celery_app.conf.task_default_queue
    celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = False, queue
    try:
        _store_batches(client, persons)  # each commit publishes its task to Redis
        worker = _worker(queue)
        _wait(lambda: _processed() >= 1, 120, worker)
        os.killpg(worker.pid, signal.SIGKILL)  # mid-way through the next batch
        worker.wait(timeout=10)
        killed_at = _processed()
        assert killed_at < BATCHES, "the worker finished before it could be killed; make the batches bigger"

        worker = _worker(queue)
        try:
            _wait(lambda: _processed() == BATCHES, 180, worker)
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
    finally:
        celery_app.conf.task_always_eager, celery_app.conf.task_default_queue = saved

    total = BATCHES * PER_BATCH
    assert AccountEntry.objects.filter(kind="own").count() == total
    assert AccountEntry.objects.filter(kind="government_subsidy").count() == total
    assert PersonYear.objects.filter(year=2026, own_amount=Decimal("500.00")).count() == total
    assert sum(NoticeBatch.objects.values_list("credited_count", flat=True)) == total
