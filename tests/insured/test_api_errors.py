"""The API's answers when it refuses (issue 17): one error shape (insured.api_errors), 401 with
its challenge for a missing or bad credential, 403 for a role that may not, 404 out of scope,
400 for a filter or a page that is not one, and a NUL in a search refused, never a 500."""

from __future__ import annotations

import pytest
from django.conf import settings
from knox.models import AuthToken

from insured.models import Role
from tests.factories import InsuredPersonFactory, make_user, region_tree

pytestmark = pytest.mark.django_db

LIST = "/api/v1/persons/"


@pytest.fixture
def tree():
    return region_tree()


@pytest.fixture
def clerk(tree):
    return make_user(Role.CLERK, tree["county"])


def _token(user) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Token {AuthToken.objects.create(user)[1]}"}


def _shape(response, code: str) -> dict:
    body = response.json()
    assert response["Content-Type"].startswith("application/json")
    assert body["code"] == code and isinstance(body["detail"], str) and body["detail"]
    return body


def test_no_credential_is_401_with_the_token_challenge(client):
    response = client.get(LIST)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    _shape(response, "not_authenticated")


def test_a_bad_token_is_401_with_the_challenge(client):
    response = client.get(LIST, HTTP_AUTHORIZATION="Token not-a-token")
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"
    _shape(response, "authentication_failed")


def test_a_signed_in_session_works_and_a_role_that_may_not_is_403(client, tree):
    client.force_login(make_user(Role.CLERK, tree["county"]))
    assert client.get(LIST).status_code == 200
    township = make_user(Role.TOWNSHIP_OFFICE, tree["township1"])
    response = client.get("/api/v1/sponsorships/", **_token(township))
    assert response.status_code == 403
    _shape(response, "permission_denied")


def test_out_of_scope_is_404_in_the_shape(client, tree):
    other = region_tree("622901", "别县")
    outsider = InsuredPersonFactory(village=other["village11"])
    response = client.get(f"{LIST}{outsider.pk}/", **_token(make_user(Role.CLERK, tree["county"])))
    assert response.status_code == 404
    _shape(response, "not_found")


def test_a_url_under_the_api_that_no_view_answers_is_404_json(client, clerk):
    response = client.get(f"{LIST}not-a-number/", **_token(clerk))
    assert response.status_code == 404
    _shape(response, "not_found")


@pytest.mark.parametrize("query", ["q=%00", "q=王%00", "q=%0A", "status=%00"])
def test_a_control_character_in_a_filter_is_400_not_500(client, clerk, query):
    response = client.get(f"{LIST}?{query}", **_token(clerk))
    assert response.status_code == 400
    _shape(response, "control_character")


@pytest.mark.parametrize("query", ["status=bogus", "status="])
def test_a_filter_value_outside_its_enum_is_400(client, clerk, query):
    response = client.get(f"/api/v1/refunds/?{query}", **_token(clerk))
    assert response.status_code == 400
    assert "status" in _shape(response, "invalid")["errors"]


@pytest.mark.parametrize("page", ["", "0", "last", "x", "999"])
def test_a_page_that_is_not_there_is_404(client, clerk, page):
    response = client.get(f"{LIST}?page={page}", **_token(clerk))
    assert response.status_code == 404
    _shape(response, "not_found")


def test_text_sent_as_a_number_is_refused(client, clerk):
    response = client.post("/api/v1/persons/lookup/", {"q": 0}, content_type="application/json", **_token(clerk))
    assert response.status_code == 400
    assert "q" in _shape(response, "invalid")["errors"]


def test_a_locked_out_token_request_answers_in_the_shape(client, clerk):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"username": clerk.username, "password": "wrong"}, REMOTE_ADDR="10.0.0.4")
    response = client.post(
        "/api/v1/auth/token/", {"username": clerk.username, "password": "pw-test-123"}, REMOTE_ADDR="10.0.0.4"
    )
    assert response.status_code == settings.AXES_HTTP_RESPONSE_CODE
    _shape(response, "locked_out")
    # The login page keeps its own page.
    page = client.post("/login/", {"username": clerk.username, "password": "pw-test-123"}, REMOTE_ADDR="10.0.0.4")
    assert page.status_code == settings.AXES_HTTP_RESPONSE_CODE and "锁定" in page.content.decode()


def test_a_wrong_password_for_a_token_is_401_with_the_challenge(client, clerk):
    response = client.post("/api/v1/auth/token/", {"username": clerk.username, "password": "wrong"})
    assert response.status_code == 401 and response["WWW-Authenticate"] == 'Token realm="api"'
    _shape(response, "authentication_failed")
