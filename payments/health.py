"""`/healthz` for operators and load balancers: the database, the broker, and the work waiting
(batches, notices, the oldest one's age, those failing, the queue's depth). No personal data.
200 when all is well, 503 when something needs a person."""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from insured.access import public
from payments import selectors


def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return "down"
    return "ok"


def _broker() -> tuple[str, int | None]:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "in-process", None
    try:
        client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2, socket_timeout=2)
        depth = client.llen(settings.CELERY_TASK_DEFAULT_QUEUE)
    except redis.RedisError:
        return "down", None
    return "ok", int(depth)


@public
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    body: dict[str, Any] = {"database": _database()}
    body["broker"], body["queue_depth"] = _broker()
    healthy = body["database"] == "ok" and body["broker"] in ("ok", "in-process")
    if body["database"] == "ok":
        work = selectors.waiting_work()
        body |= {
            "waiting_batches": work.batches,
            "waiting_notices": work.notices,
            "oldest_waiting_seconds": work.oldest_age_seconds,
            "failing_batches": work.failing,
        }
        age = work.oldest_age_seconds or 0
        healthy = healthy and not work.failing and age <= settings.HEALTH_WAITING_LIMIT_SECONDS
    body["status"] = "ok" if healthy else "attention"
    return JsonResponse(body, status=200 if healthy else 503)
