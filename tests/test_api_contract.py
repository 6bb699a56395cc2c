"""The API keeps the promise its schema makes (issue 17), checked by Schemathesis.

Every operation of the served schema (/api/schema/) is called with generated requests, valid
and invalid, against the project's WSGI application over the demo county's data, with all of
Schemathesis's checks: no server error, status codes, content types, headers and bodies as
documented, invalid input refused, valid input accepted, authentication enforced. Then the
stateful run follows the schema's links from lists and created objects to the operations on
them, so requests reach real applications, refunds and rosters.

Each operation is called as a role that may call it (the schema's `x-roles`) with a knox token;
the tax push is signed as payments.signing says, with the demo tax client's secret. A new
endpoint joins by being in the schema.

One check is sharpened rather than taken as it comes: a 400 is how this API answers both
input that does not match the schema (`code: invalid`) and a policy rule that refuses valid input
(the rule's code, e.g. `sponsor_under_18`). Schemathesis's `positive_data_acceptance` cannot tell
them apart, so it is told that 400 is an answer valid data may get, and `schema_valid_input_accepted`
below fails whenever schema-valid input is answered as malformed.

SCHEMATHESIS_EXAMPLES (default 10) bounds the examples per operation and phase; set it higher to
look harder on a workstation.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import time
from decimal import Decimal
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.db import close_old_connections, transaction
from django.test import TestCase
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.core import NotSet

# Each test runs in its own transaction inside the module's, which holds the demo county.
pytestmark = pytest.mark.django_db
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
STATEFUL_SCENARIOS = int(os.environ.get("SCHEMATHESIS_SCENARIOS", "20"))
# Who calls an operation that several roles may call: the county's own staff first.
ROLE_ORDER = ("clerk", "reviewer", "finance", "auditor", "administrator", "township_office", "village_accountant")
DEMO_USERS = {
    "clerk": "clerk",
    "reviewer": "reviewer",
    "finance": "finance",
    "auditor": "auditor",
    "administrator": "admin",
    "township_office": "township",
    "village_accountant": "village",
}
TAX_PUSH = "/api/v1/tax/notice-batches/"
TAX_STATUS = "/api/v1/tax/notice-batches/{batch_id}/"
LOGOUT = "/api/v1/auth/logout/"
SIGNED = ("X-Client-Id", "X-Timestamp", "X-Signature")
_BATCH_SEQ = itertools.count(1)
pushed: list[int] = []  # what the signed, valid pushes got: test_signed_pushes_were_stored checks it
# 400 codes that say "this request does not match the schema": valid input must never get them.
MALFORMED = frozenset({"invalid", "parse_error", "bad_request", "control_character", "batch_invalid"})


@schemathesis.check
def schema_valid_input_accepted(ctx: Any, response: Any, case: Any) -> bool | None:
    """Input the schema allows is never refused as malformed (a rule may still refuse it, by its code)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 400:
        return None
    try:
        code = json.loads(response.content).get("code")
    except (ValueError, AttributeError):
        code = None
    if code in MALFORMED or code is None:
        raise AssertionError(
            f"Schema-valid input was refused as malformed: {response.status_code} {response.content[:500]!r}"
        )
    return None


def _config() -> SchemathesisConfig:
    return SchemathesisConfig.from_dict(
        {
            "generation": {"max-examples": EXAMPLES},
            "checks": {
                "positive_data_acceptance": {
                    "expected-statuses": ["2xx", "3xx", "400", "401", "403", "404", "409", "429", "5xx"]
                },
            },
        }
    )


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo county, loaded once for this module and rolled back after it."""
    from knox.models import AuthToken

    from insured.models import StaffProfile
    from payments.demo import DEMO_SECRET
    from payments.models import TaxClient

    # The application is called in-process, as Django's test client calls it: a request must not
    # close the connection that holds the module's transaction.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with TestCase.captureOnCommitCallbacks(execute=True):
                call_command("load_demo", verbosity=0)
            tokens = {}
            for role, username in DEMO_USERS.items():
                profile = StaffProfile.objects.select_related("user").get(user__username=username)
                assert profile.role == role, (username, profile.role)
                tokens[role] = AuthToken.objects.create(profile.user)[1]
            client = TaxClient.objects.get()
            yield {"tokens": tokens, "tax": (client.client_id, DEMO_SECRET), "users": DEMO_USERS}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


def served_schema() -> dict[str, Any]:
    """The schema /api/schema/ serves, built as its view builds it (test_openapi_file checks that the
    view and docs/openapi.yaml say the same)."""
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))


def _load() -> Any:
    from config.wsgi import application

    loaded = schemathesis.openapi.from_dict(served_schema(), config=_config())
    loaded.app = application
    return loaded


schema = _load()


@pytest.fixture(scope="module")
def api_schema():
    return schema


def _signed(client_id: str, secret: str, content: bytes) -> dict[str, str]:
    from payments import signing

    timestamp = str(int(time.time()))
    return {"X-Client-Id": client_id, "X-Timestamp": timestamp, "X-Signature": signing.sign(secret, timestamp, content)}


def _id_no(seed: str) -> str:
    """A resident ID with a valid check character, derived from any 17 digits."""
    from tests.factories import make_id_no

    digits = "".join(ch for ch in seed if ch.isdigit()).ljust(8, "0")
    birth = dt.date(1950 + int(digits[:2]) % 50, 1 + int(digits[2:4]) % 12, 1 + int(digits[4:6]) % 28)
    return make_id_no(birth, int(digits[6:8]) + 1)


def _repair_batch(body: Any) -> Any:
    """What the schema cannot say about a valid batch: check characters, and count and total
    agreeing with the notices (the strict parser, payments.intake, checks both)."""
    if not isinstance(body, dict) or not isinstance(body.get("notices"), list):
        return body
    for notice in body["notices"]:
        if isinstance(notice, dict):
            notice["insured_id_number"] = _id_no(str(notice.get("insured_id_number", "")))
            notice["payer_id"] = _id_no(str(notice.get("payer_id", "")))
    # Each valid batch a batch of its own: the same batch_id with another body is a 409.
    body["batch_id"] = f"{str(body.get('batch_id', ''))[:40].strip() or 'B'}-{next(_BATCH_SEQ)}"
    body["count"] = len(body["notices"])
    amounts = [n.get("amount") for n in body["notices"] if isinstance(n, dict)]
    body["total_amount"] = f"{sum((Decimal(a) for a in amounts), Decimal('0')):.2f}"
    return body


def _wire(body: Any) -> bytes:
    if isinstance(body, NotSet):
        return b""
    return body if isinstance(body, bytes) else json.dumps(body).encode()


def _headers(case: Any, demo: dict[str, Any]) -> dict[str, str]:
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    path = case.operation.path
    if path == TAX_PUSH:
        if case.meta is not None and case.meta.generation.mode.is_positive:
            case.body = _repair_batch(case.body)
        # What the WSGI client sends for a JSON body: json.dumps of it, as werkzeug's EnvironBuilder does.
        content = _wire(case.body)
        return _signed(*demo["tax"], content)
    if path == TAX_STATUS:
        return _signed(*demo["tax"], f"/api/v1/tax/notice-batches/{case.path_parameters['batch_id']}/".encode())
    if path == LOGOUT:
        # Logging out ends the token it is called with: a fresh one each time.
        user = get_user_model().objects.get(username=demo["users"]["clerk"])
        return {"Authorization": f"Token {AuthToken.objects.create(user)[1]}"}
    roles = case.operation.definition.raw.get("x-roles")
    if not roles:
        return {}
    role = next(r for r in ROLE_ORDER if r in roles)
    return {"Authorization": f"Token {demo['tokens'][role]}"}


@pytest.fixture
def no_throttle(monkeypatch):
    # Throttling is tested on its own (tests/insured/test_authentication.py); here it would
    # only turn the generated requests into 429s.
    from rest_framework.throttling import SimpleRateThrottle

    monkeypatch.setattr(SimpleRateThrottle, "allow_request", lambda self, request, view: True)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case, demo, db, no_throttle):
    headers = _headers(case, demo)
    extra = {}
    if case.operation.path == TAX_PUSH and case.meta is not None and case.meta.generation.mode.is_positive:
        # A valid batch is sent as the very bytes that were signed.
        extra["data"] = _wire(case.body)
        headers["Content-Type"] = "application/json"
    response = case.call_and_validate(headers=headers, additional_checks=[schema_valid_input_accepted], **extra)
    sent = response.request.headers
    signed = case.operation.path == TAX_PUSH and all(h in sent for h in SIGNED)
    if signed:
        # The signing hook signs what is sent, or every other answer would be a vacuous 401
        # (test_signed_pushes_were_stored); a valid, signed batch is stored or is a repeat.
        pushed.append(response.status_code)
        if case.meta is not None and case.meta.generation.mode.is_positive:
            assert response.status_code in (200, 202, 409), response.text


def test_signed_pushes_were_stored():
    """Runs after the operations (pytest keeps file order): the push was not tested vacuously."""
    assert 202 in pushed, pushed


def test_the_schema_covers_every_api_route(api_schema):
    from django.urls import get_resolver

    documented = set(api_schema.raw_schema["paths"])
    served = set()
    for pattern, prefix in _api_routes(get_resolver()):
        served.add(prefix + pattern)
    assert served and served <= documented, served - documented


def _api_routes(resolver: Any, prefix: str = "/") -> list[tuple[str, str]]:
    import re

    from django.urls import URLPattern, URLResolver

    routes = []
    for entry in resolver.url_patterns:
        text = str(entry.pattern)
        if isinstance(entry, URLResolver):
            routes += _api_routes(entry, prefix + text)
        elif isinstance(entry, URLPattern) and (prefix + text).startswith("/api/v1/"):
            # drf-spectacular names a primary key `id` (SCHEMA_COERCE_PATH_PK).
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", text).replace("{pk}", "{id}")
            routes.append((path, prefix))
    return routes


def test_stateful_links_reach_real_objects(demo, db, no_throttle):
    """The schema's links (insured.api_schema.postprocess_links) walked as a client would: a list
    or a created object, then the operations on the objects it returned, with every check."""
    base = schema.as_state_machine()
    links = sum(
        len(response.get("links", {}))
        for item in schema.raw_schema["paths"].values()
        for operation in item.values()
        if isinstance(operation, dict)
        for response in operation.get("responses", {}).values()
    )
    assert links >= 30, links  # lists and created objects lead somewhere

    reached: list[tuple[str, int]] = []

    class Walk(base):  # type: ignore[misc, valid-type]
        def after_call(self, response: Any, case: Any) -> None:
            super().after_call(response, case)
            reached.append((case.operation.path, response.status_code))

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            # A walk starts from the first page: a drawn page number is mostly past the last (404),
            # and the walk would stop there. Leaving out an optional parameter keeps a case valid.
            if case.meta is not None and case.meta.generation.mode.is_positive and case.query:
                case.query.pop("page", None)
            return {"headers": _headers(case, demo)}

        def validate_response(self, response: Any, case: Any, additional_checks: Any = None, **kwargs: Any) -> None:
            case.validate_response(
                response,
                additional_checks=[schema_valid_input_accepted],
                headers=kwargs.get("headers"),
                transport_kwargs=kwargs,
                recorder=self.recorder,
            )

    Walk.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    # The walk got past the lists: operations on one object found it (an answer other than 404:
    # the object itself, or a rule refusing the step it was in no state to take).
    found = {path for path, code in reached if "{" in path and code != 404}
    assert len(found) >= 3, sorted(set(reached))
