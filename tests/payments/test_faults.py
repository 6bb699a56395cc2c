"""Faults replayed against a real Celery worker with beat, on a Redis of the test's own (issue 16):
batches stored and never queued, the worker killed mid-batch, Redis stopped and restarted empty,
the worker's database connections terminated mid-batch. With no person acting, every notice is
credited exactly once, within 60 s of the last fault.

The shared PostgreSQL and Redis are never stopped: the test starts its own redis-server on a free
port and terminates only the worker's own database connections (by application name)."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection

from insured.models import AccountEntry, InsuredPerson, PersonYear
from payments import intake, services
from payments.models import NoticeBatch, TaxClient
from tests.factories import PolicyYearFactory, first_village, make_id_no

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
BATCHES = 8
PER_BATCH = 1500
RECOVERY_SECONDS = 60
WORKER_APP = "pension-fault-worker"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis(port: int) -> subprocess.Popen:
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    pytest.fail("the test's redis-server did not start")


def _worker(redis_port: int, schedule: Path) -> subprocess.Popen:
    db = connection.settings_dict
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "TEST_DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}?application_name={WORKER_APP}"
        ),
        "TEST_DATABASE_NAME": db["NAME"],
        "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
        "CELERY_TASKS_IN_PROCESS": "0",
        "BATCH_SWEEP_SECONDS": "1",
        "BATCH_REDISPATCH_AFTER_SECONDS": "2",
        "CELERY_VISIBILITY_TIMEOUT": "300",
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--beat",
            "--schedule",
            str(schedule),
            "-P",
            "solo",
            "-c",
            "1",
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


def _stop(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """The worker and its embedded beat: their whole process group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
    process.wait(timeout=30)


def _persons(village, count: int) -> list[InsuredPerson]:
    people = []
    for i in range(count):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=i % 9000)
        people.append(
            InsuredPerson(
                id_no=make_id_no(birth, i // 9000 * 7 + 3, village.code[:6]),
                name=f"故障{i}",
                sex="M",
                birth_date=birth,
                village=village,
                person_no=f"F{i:09d}",
                enrolled_on=dt.date(2015, 1, 1),
            )
        )
    return InsuredPerson.objects.bulk_create(people, batch_size=2000)


def _store(client: TaxClient, persons: list[InsuredPerson]) -> None:
    """Stored as the push stores them, and never handed to a worker: the web worker "died"
    between COMMIT and the enqueue. Only the sweep can find them."""
    for b in range(BATCHES):
        rows = [
            (
                f"F{b:02d}{i:06d}",
                1,
                "own",
                p.id_no,
                p.name,
                p.name,
                p.id_no,
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
            for i, p in enumerate(persons[b * PER_BATCH : (b + 1) * PER_BATCH])
        ]
        parsed = intake.ParsedBatch(
            batch_id=f"FAULT-{b}",
            sent_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC),
            count=len(rows),
            total_amount=Decimal("500.00") * len(rows),
            rows=rows,
        )
        services.batch_store(client=client, parsed=parsed, fingerprint=f"fault-{b}")


def _processed() -> int:
    return NoticeBatch.objects.filter(status=NoticeBatch.Status.PROCESSED).count()


def _wait(predicate, seconds: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.1)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def _terminate_worker_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
            [WORKER_APP],
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_every_notice_is_credited_once_within_a_minute_of_each_fault(tmp_path):
    policy = PolicyYearFactory()
    persons = _persons(first_village(policy.region), BATCHES * PER_BATCH)
    client = TaxClient.objects.create(client_id="fault", name="fault", secret="f" * 64, region=policy.region)
    _store(client, persons)
    port = _free_port()
    redis_server = _redis(port)
    worker = _worker(port, tmp_path / "beat-schedule")
    try:
        # Fault 1: stored and never queued. The sweep finds them within seconds.
        found = _wait(lambda: _processed() >= 1, RECOVERY_SECONDS, "the sweep to hand over the first batch")

        # Fault 2: the whole worker killed in the middle of a batch; and fault 3: Redis stopped
        # and started again empty (no persistence: every queued message is gone).
        _stop(worker)
        redis_server.kill()
        redis_server.wait(timeout=10)
        killed_at = _processed()
        assert killed_at < BATCHES, "everything was done before the faults: make the batches bigger"
        redis_server = _redis(port)
        worker = _worker(port, tmp_path / "beat-schedule-2")
        back = _wait(
            lambda: _processed() > killed_at, RECOVERY_SECONDS, "recovery after the worker and Redis came back"
        )

        # Fault 4: the database refuses the worker mid-batch (its connections terminated).
        if _processed() < BATCHES:
            _wait(lambda: _terminate_worker_connections() > 0 or _processed() == BATCHES, 20, "a worker connection")
        recovered = _wait(lambda: _processed() == BATCHES, RECOVERY_SECONDS, "every batch after the database fault")
        print(f"\nrecovery: never queued {found:.1f} s; worker and Redis {back:.1f} s; database {recovered:.1f} s")
    finally:
        _stop(worker, signal.SIGTERM)
        redis_server.kill()
        redis_server.wait(timeout=10)

    total = BATCHES * PER_BATCH
    assert AccountEntry.objects.filter(kind="own").count() == total
    assert AccountEntry.objects.filter(kind="government_subsidy").count() == total
    assert PersonYear.objects.filter(year=2026, own_amount=Decimal("500.00")).count() == total
    assert sum(NoticeBatch.objects.values_list("credited_count", flat=True)) == total
