"""Shared fixtures. The suite runs on real PostgreSQL and Redis; it stops at once with the
command to run when either is unreachable."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import pytest


def _check_services() -> None:
    import psycopg
    import redis
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit("The test suite runs on PostgreSQL only; set TEST_DATABASE_URL.", returncode=3)
    try:
        psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname="postgres",
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError as exc:
        pytest.exit(
            f"PostgreSQL is not reachable at {db['HOST']}:{db['PORT'] or 5432} ({exc}).\n"
            "Start it with: docker compose up -d db redis   (or set TEST_DATABASE_URL)",
            returncode=3,
        )
    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.exit(
            f"Redis is not reachable at {settings.REDIS_URL} ({exc}).\n"
            "Start it with: docker compose up -d db redis   (or set REDIS_URL)",
            returncode=3,
        )


def pytest_sessionstart(session: pytest.Session) -> None:
    if not os.environ.get("SKIP_SERVICE_CHECK"):
        _check_services()


@pytest.fixture
def today() -> dt.date:
    return dt.date(2026, 11, 22)


@pytest.fixture
def policy(db):
    """The county's policy year 2026: demo tiers 200–5000 with subsidies (top tier, the cap, 5000.00),
    the 100 hardship tier for every special group, 100.00 government-paid."""
    from tests.factories import PolicyYearFactory

    return PolicyYearFactory()


@pytest.fixture
def person(db, policy):
    from tests.factories import InsuredPersonFactory, first_village

    return InsuredPersonFactory(village=first_village(policy.region))


@pytest.fixture
def money():
    return Decimal
