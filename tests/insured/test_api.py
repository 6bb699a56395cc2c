"""The registry API: authentication, search, a person's account, and the schema."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from knox.models import AuthToken

from insured import ledger
from insured.models import InsuredPerson, Region, Role
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, PolicyYearFactory, make_id_no, make_user, region_tree

pytestmark = pytest.mark.django_db

PASSWORD = "pw-test-123"  # what make_user sets
LIST = "/api/v1/persons/"
LOOKUP = "/api/v1/persons/lookup/"


def _detail(person: InsuredPerson) -> str:
    return f"/api/v1/persons/{person.pk}/"


@pytest.fixture
def tree() -> dict[str, Region]:
    return region_tree()


@pytest.fixture
def other_county() -> dict[str, Region]:
    return region_tree("622901", "别县")


@pytest.fixture
def clerk(tree):
    return make_user(Role.CLERK, tree["county"])


@pytest.fixture
def person(tree):
    return InsuredPersonFactory(
        village=tree["village11"],
        name="李春华",
        birth_date=dt.date(1968, 2, 3),
        id_no=make_id_no(dt.date(1968, 2, 3), 7),
    )


@pytest.fixture
def funded(tree, person):
    """Own contribution in two years (300 + 40 subsidy, 500 + 60), 1000 support reserved now."""
    year = timezone.localdate().year
    PolicyYearFactory(region=tree["county"], year=year - 1)
    PolicyYearFactory(region=tree["county"], year=year)
    credit(person, year=year - 1, amount="300.00", paid_on=dt.date(year - 1, 4, 1), voucher="LAST")
    credit(person, year=year, amount="500.00", paid_on=dt.date(year, 4, 1), voucher="THIS")
    ledger.support_reserve(person=person, year=year, amount=Decimal("1000.00"))
    return person


def _token(client, username: str, password: str = PASSWORD):
    return client.post("/api/v1/auth/token/", {"username": username, "password": password})


# --- Authentication ------------------------------------------------------------------------------


def test_token_is_issued_for_username_and_password(client, clerk):
    response = _token(client, clerk.username)
    assert response.status_code == 200
    token = AuthToken.objects.get(user=clerk)
    # Stored hashed, never in clear; it expires.
    assert response.json()["token"] not in (token.digest, token.token_key) and token.expiry is not None


def test_token_is_refused_for_a_wrong_password(client, clerk):
    response = _token(client, clerk.username, "wrong")
    assert response.status_code == 401
    assert "token" not in response.json()
    assert not AuthToken.objects.filter(user=clerk).exists()


def test_token_authenticates_the_api(client, clerk, person):
    key = _token(client, clerk.username).json()["token"]
    response = client.get(f"{LIST}?q=李", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert [row["name"] for row in response.json()["results"]] == ["李春华"]


def test_wrong_token_is_refused(client, clerk, person):
    response = client.get(f"{LIST}?q=李", HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert response.status_code in (401, 403)
    assert "李春华" not in response.content.decode()


def test_no_credentials_is_refused(client, person):
    response = client.get(_detail(person))
    assert response.status_code in (401, 403)
    assert "李春华" not in response.content.decode()


def test_session_authenticates_the_api(client, clerk, person):
    client.force_login(clerk)
    response = client.get(f"{LIST}?q=李")
    assert response.status_code == 200
    assert [row["id_no"] for row in response.json()["results"]] == [person.masked_id_no]  # a list masks IDs


def test_the_tax_bureaus_machine_account_gets_no_token(client, tree, person):
    """Machine clients authenticate by signature only (issue 12): no password login, no token."""
    tax = make_user(Role.TAX_CLIENT, tree["county"])
    response = _token(client, tax.username)
    assert response.status_code == 401
    assert not AuthToken.objects.filter(user=tax).exists()


def test_a_role_that_does_not_use_the_api_gets_no_token(client, tree, person):
    village = make_user(Role.VILLAGE_ACCOUNTANT, tree["village11"])
    response = _token(client, village.username)
    assert response.status_code == 403
    assert not AuthToken.objects.filter(user=village).exists()


# --- Search --------------------------------------------------------------------------------------


def test_search_by_id_prefix(client, clerk, tree, person):
    InsuredPersonFactory(
        village=tree["village12"],
        name="李春明",
        birth_date=dt.date(1990, 1, 1),
        id_no=make_id_no(dt.date(1990, 1, 1), 8),
    )
    client.force_login(clerk)
    response = client.post(LOOKUP, {"q": person.id_no[:12]}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == person.pk
    assert row["village"] == tree["village11"].name
    assert row["village_code"] == tree["village11"].code
    assert row["township"] == tree["township1"].name
    assert row["birth_date"] == "1968-02-03"


def test_search_by_full_id_in_lower_case_x(client, clerk, tree):
    id_no = next(
        make_id_no(dt.date(1970, 1, 1), n) for n in range(1000) if make_id_no(dt.date(1970, 1, 1), n).endswith("X")
    )
    person = InsuredPersonFactory(village=tree["village11"], birth_date=dt.date(1970, 1, 1), id_no=id_no)
    client.force_login(clerk)
    response = client.post(LOOKUP, {"q": id_no.lower()}, content_type="application/json")
    assert [row["id"] for row in response.json()["results"]] == [person.pk]


def test_a_resident_id_in_the_url_is_refused_and_not_searched(client, clerk, person):
    """个人信息保护法: an ID in a URL lands in access logs and browser history; the API says where to send it."""
    client.force_login(clerk)
    response = client.get(f"{LIST}?q={person.id_no}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "id_in_url" and "lookup" in body["errors"]["q"][0]
    assert person.name not in response.content.decode()


def test_search_by_name_prefix(client, clerk, tree, person):
    InsuredPersonFactory(village=tree["village21"], name="李春明")
    InsuredPersonFactory(village=tree["village21"], name="王李")
    client.force_login(clerk)
    response = client.get(f"{LIST}?q=李春")
    assert {row["name"] for row in response.json()["results"]} == {"李春明", "李春华"}


def test_search_by_person_number(client, clerk, person):
    client.force_login(clerk)
    response = client.get(f"{LIST}?q={person.person_no}")
    assert [row["id"] for row in response.json()["results"]] == [person.pk]


def test_empty_search_returns_nobody(client, clerk, person):
    client.force_login(clerk)
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_search_leaves_out_persons_outside_scope(client, clerk, other_county, person):
    InsuredPersonFactory(village=other_county["village11"], name="李春明")
    client.force_login(clerk)
    response = client.get(f"{LIST}?q=李")
    assert [row["name"] for row in response.json()["results"]] == ["李春华"]


# --- Detail --------------------------------------------------------------------------------------


def test_detail_shows_account_years_and_entries(client, clerk, funded):
    year = timezone.localdate().year
    client.force_login(clerk)
    response = client.get(_detail(funded))
    assert response.status_code == 200
    years = response.json()["years"]
    assert [(y["year"], y["total"]) for y in years] == [(year, "560.00"), (year - 1, "340.00")]
    this_year = years[0]
    assert [(e["kind"], e["amount"], e["source_key"]) for e in this_year["entries"]] == [
        ("own", "500.00", "notice:THIS:1"),
        ("government_subsidy", "60.00", "notice:THIS:1:subsidy"),
    ]
    assert this_year["person_year"]["own_amount"] == "500.00"
    assert this_year["person_year"]["support_reserved"] == "1000.00"
    assert this_year["person_year"]["own_arrived_on"] == f"{year}-04-01"


def test_detail_shows_balance_and_standing(client, clerk, funded):
    client.force_login(clerk)
    body = client.get(_detail(funded)).json()
    assert body["balance"] == "900.00"
    assert body["standing"] == {
        "year": timezone.localdate().year,
        "has_own_contribution": True,
        "cap": "5000.00",
        "used": "1000.00",
        "room": "4000.00",
    }


def test_detail_serialises_decimals_as_strings(client, clerk, funded):
    client.force_login(clerk)
    raw = client.get(_detail(funded)).content.decode()
    assert '"balance":"900.00"' in raw.replace(" ", "")
    body = json.loads(raw)
    amounts = [body["balance"], body["standing"]["cap"], body["standing"]["room"]]
    amounts += [e["amount"] for y in body["years"] for e in y["entries"]]
    assert all(isinstance(a, str) for a in amounts)
    assert all(Decimal(a) == Decimal(a).quantize(Decimal("0.01")) for a in amounts)


def test_detail_of_a_person_without_account(client, clerk, person):
    client.force_login(clerk)
    body = client.get(_detail(person)).json()
    assert body["balance"] == "0.00"
    assert body["years"] == []
    assert body["standing"]["has_own_contribution"] is False


def test_detail_outside_scope_is_not_found(client, clerk, other_county):
    outside = InsuredPersonFactory(village=other_county["village11"], name="赵远方")
    client.force_login(clerk)
    response = client.get(_detail(outside))
    assert response.status_code == 404
    assert "赵远方" not in response.content.decode()


def test_detail_outside_township_is_not_found(client, tree):
    outside = InsuredPersonFactory(village=tree["village21"], name="赵远方")
    client.force_login(make_user(Role.TOWNSHIP_OFFICE, tree["township1"]))
    response = client.get(_detail(outside))
    assert response.status_code == 404
    assert "赵远方" not in response.content.decode()


def test_api_is_read_only(client, clerk, person):
    client.force_login(clerk)
    response = client.patch(_detail(person), data={"name": "改名"}, content_type="application/json")
    assert response.status_code == 405
    person.refresh_from_db()
    assert person.name == "李春华"


# --- Schema and docs -----------------------------------------------------------------------------


def test_schema_is_an_openapi_document_with_the_person_paths(client, clerk):
    client.force_login(clerk)
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/persons/" in schema["paths"]
    assert any(p.startswith("/api/v1/persons/{") for p in schema["paths"])
    assert "get" in schema["paths"]["/api/v1/persons/"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/persons/"]["get"]["parameters"]}
    assert "q" in parameters


def test_schema_default_format_is_yaml(client, clerk):
    client.force_login(clerk)
    response = client.get("/api/schema/")
    assert response.status_code == 200
    text = response.content.decode()
    assert text.startswith("openapi:")
    assert "/api/v1/persons/:" in text


def test_docs_render(client, clerk):
    client.force_login(clerk)
    response = client.get("/api/docs/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "swagger-ui" in content
    # No inline script (the Content-Security-Policy forbids it): the start-up script is a file.
    assert "<script>" not in content
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', content).group(1)
    assert "/api/schema/" in client.get(html.unescape(script_url)).content.decode()


def test_schema_is_refused_without_login(client):
    assert client.get("/api/schema/").status_code in (401, 403)
