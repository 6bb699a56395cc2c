"""Logging in (issue 12): password guessing is locked out, sessions end when idle or when the
browser closes, tokens are hashed and expire, and every such event is logged for the operator."""

from __future__ import annotations

import datetime as dt
import json
import logging
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken

from insured.middleware import IdleSessionMiddleware
from insured.models import Role
from tests.factories import make_user, region_tree

pytestmark = pytest.mark.django_db
PASSWORD = "pw-test-123"


@pytest.fixture
def clerk():
    return make_user(Role.CLERK, region_tree()["county"], username="clerk1")


def _login(client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_thirty_wrong_passwords_then_the_right_one_is_still_refused(client, clerk):
    for _ in range(30):
        _login(client, clerk.username, "wrong-password")
    response = _login(client, clerk.username, PASSWORD)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (403, 429)
    assert "锁定" in response.content.decode()


def test_the_lockout_is_for_that_user_from_that_address_only(client, clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, clerk.username, "wrong-password", address="10.0.0.9")
    assert _login(client, clerk.username, PASSWORD, address="10.0.0.2").status_code == 302
    assert client.session["_auth_user_id"] == str(clerk.pk)


def test_a_few_mistakes_then_the_right_password_logs_in(client, clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login(client, clerk.username, "wrong-password")
    assert _login(client, clerk.username, PASSWORD).status_code == 302


def test_the_token_endpoint_is_guarded_as_well(client, clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": clerk.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.3")
    response = client.post(
        "/api/v1/auth/token/", {"username": clerk.username, "password": PASSWORD}, REMOTE_ADDR="10.0.0.3"
    )
    assert response.status_code in (401, 403, 429)
    assert not AuthToken.objects.filter(user=clerk).exists()


def test_sessions_end_after_thirty_idle_minutes_and_with_the_browser():
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_TOUCH_SECONDS == 60
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def _session_writes(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("insured:home")).status_code == 200
    return sum(q["sql"].startswith(("UPDATE", "INSERT")) and "django_session" in q["sql"] for q in captured)


def test_a_request_moves_the_sessions_end_but_writes_it_at_most_once_a_minute(client, clerk):
    _login(client, clerk.username, PASSWORD)
    _session_writes(client)
    assert _session_writes(client) == 0  # touched a moment ago
    end = Session.objects.get(session_key=client.session.session_key).expire_date
    session = client.session
    session[IdleSessionMiddleware.KEY] = int(time.time()) - settings.SESSION_TOUCH_SECONDS
    session.save()
    assert _session_writes(client) == 1
    moved = Session.objects.get(session_key=client.session.session_key).expire_date
    assert moved >= end
    assert moved >= timezone.now() + dt.timedelta(seconds=settings.SESSION_COOKIE_AGE - 5)


def test_an_idle_session_ends_and_a_visitor_is_given_none(client, clerk):
    _login(client, clerk.username, PASSWORD)
    Session.objects.filter(session_key=client.session.session_key).update(expire_date=timezone.now())
    response = client.get(reverse("insured:home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]
    client.cookies.clear()
    count = Session.objects.count()
    client.get(reverse("login"))
    assert Session.objects.count() == count


def test_the_login_page_says_so(client):
    page = client.get(reverse("login")).content.decode()
    assert "30" in page and "关闭浏览器" in page


def test_tokens_expire_and_can_be_revoked(client, clerk):
    key = client.post("/api/v1/auth/token/", {"username": clerk.username, "password": PASSWORD}).json()["token"]
    token = AuthToken.objects.get(user=clerk)
    assert token.expiry is not None
    assert client.get("/api/v1/persons/?q=王", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert client.post("/api/v1/auth/logout/", HTTP_AUTHORIZATION=f"Token {key}").status_code == 204
    assert client.get("/api/v1/persons/?q=王", HTTP_AUTHORIZATION=f"Token {key}").status_code in (401, 403)


def test_failures_and_logins_are_logged_as_json(client, clerk, caplog):
    handler = logging.getLogger("security").handlers[0]
    with caplog.at_level(logging.INFO, logger="security"):
        _login(client, clerk.username, "wrong-password")
        _login(client, clerk.username, PASSWORD)
    events = [json.loads(handler.format(r)) for r in caplog.records if r.name == "security"]
    assert [e["event"] for e in events] == ["login_failed", "login"]
    assert events[0]["username"] == clerk.username and events[0]["ip"] == "10.0.0.1"


def test_each_request_reads_the_user_with_the_profile_and_region_once(client, clerk, django_assert_num_queries):
    """A password login's session names insured.auth.StaffBackend, which reads the user with the
    staff profile and its region in one query: the role and the scope cost no more queries."""
    _login(client, clerk.username, PASSWORD)
    assert client.session["_auth_user_backend"] == "insured.auth.StaffBackend"
    request = client.get(reverse("insured:home")).wsgi_request
    user = request.user
    with django_assert_num_queries(0):
        assert (user.staff.role, user.staff.region.code) == (Role.CLERK, clerk.staff.region.code)


def test_a_session_ends_when_its_user_is_deactivated_or_is_a_machine(client, clerk):
    _login(client, clerk.username, PASSWORD)
    assert client.get(reverse("insured:home")).wsgi_request.user.is_authenticated
    clerk.is_active = False
    clerk.save()
    assert not client.get(reverse("insured:home")).wsgi_request.user.is_authenticated
    clerk.is_active = True
    clerk.save()
    _login(client, clerk.username, PASSWORD)
    clerk.staff.role = Role.TAX_CLIENT
    clerk.staff.save()
    assert not client.get(reverse("insured:home")).wsgi_request.user.is_authenticated
