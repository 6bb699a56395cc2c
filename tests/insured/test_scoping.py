"""Who may open what, and where: every role against every staff page and API endpoint.

One county (two townships, two villages each) and a second county; two persons in several
villages of both. Each role is scoped at its proper level: the village accountant at village
1-1, the township office at township 1, the county roles at the first county.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import include, path, reverse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from insured.models import InsuredPerson, PersonYear, Region, Role
from tests.factories import InsuredPersonFactory, make_id_no, make_user, region_tree

pytestmark = pytest.mark.django_db


# --- A URLconf with views that declare nothing (used through override_settings) ---------------


def undeclared_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("registry secrets")


class UndeclaredApi(APIView):
    def get(self, request: Request) -> Response:
        return Response({"secret": True})


urlpatterns = [
    path("undeclared/", undeclared_view),
    path("api/v1/undeclared/", UndeclaredApi.as_view()),
    path("", include("config.urls")),
]

THIS_URLCONF = __name__


# --- The expected matrix, written out here rather than read from insured.access ---------------

HOME, VIEW, EDIT, SCHEMA = "home", "person.view", "person.edit", "schema"

ALLOWED: dict[str, set[str]] = {
    Role.CLERK: {HOME, VIEW, EDIT, SCHEMA},
    Role.REVIEWER: {HOME, VIEW, SCHEMA},
    Role.FINANCE: {HOME, VIEW, SCHEMA},
    Role.AUDITOR: {HOME, VIEW, SCHEMA},
    # The schema and its docs are for the roles whose systems use the API (issue 12).
    Role.VILLAGE_ACCOUNTANT: {HOME, VIEW},
    Role.TOWNSHIP_OFFICE: {HOME, VIEW, EDIT},
    Role.ADMINISTRATOR: {HOME, VIEW, SCHEMA},
    # A machine client: it signs its requests and cannot log in at all (see its own test).
    Role.TAX_CLIENT: set(),
}
# The field groups of a person in the API, by role, as the pages show them: the account to those
# who may see accounts, the whole resident ID to those who need it (elsewhere masked).
SEES_ACCOUNT = {Role.CLERK, Role.REVIEWER, Role.FINANCE, Role.AUDITOR, Role.TOWNSHIP_OFFICE, Role.ADMINISTRATOR}
SEES_FULL_ID = {Role.CLERK, Role.REVIEWER, Role.AUDITOR, Role.TOWNSHIP_OFFICE}

# The region each role's user is scoped to (a key of the first county's region_tree).
SCOPE_KEY = {
    Role.VILLAGE_ACCOUNTANT: "village11",
    Role.TOWNSHIP_OFFICE: "township1",
}

# Villages holding persons: (county, village key). Two persons in each.
PERSON_VILLAGES = [("a", "village11"), ("a", "village12"), ("a", "village21"), ("b", "village11"), ("b", "village22")]

VISIBLE_VILLAGES = {
    "county": {"a-village11", "a-village12", "a-village21"},
    "township1": {"a-village11", "a-village12"},
    "village11": {"a-village11"},
}

ID_PREFIX = "21137019800101"  # every person's ID starts so, whatever county they live in
NAME_PREFIX = "钱"

# name: (capability needed, is API, kind)
ENDPOINTS: dict[str, tuple[str, bool, str]] = {
    "home": (HOME, False, "home"),
    "person-search?name": (VIEW, False, "search"),
    "person-search?id": (VIEW, False, "search"),
    "person-detail": (VIEW, False, "person"),
    "person-create": (EDIT, False, "create"),
    "person-edit": (EDIT, False, "person"),
    "api-persons?name": (VIEW, True, "search"),
    "api-persons?id": (VIEW, True, "search"),
    "api-person-detail": (VIEW, True, "person"),
    "api-schema": (SCHEMA, True, "schema"),
    "api-docs": (SCHEMA, True, "schema"),
}

ROLES = list(Role)
PAGES = [e for e, (_, is_api, _) in ENDPOINTS.items() if not is_api]
APIS = [e for e, (_, is_api, _) in ENDPOINTS.items() if is_api]


def _pairs(*, allowed: bool, kinds: set[str] | None = None) -> list[tuple[str, str]]:
    return [
        pytest.param(role, endpoint, id=f"{role.value}-{endpoint}")
        for role in ROLES
        if role != Role.TAX_CLIENT
        for endpoint, (need, _, kind) in ENDPOINTS.items()
        if (need in ALLOWED[role]) is allowed and (kinds is None or kind in kinds)
    ]


def _roles_with(need: str) -> list[str]:
    return [pytest.param(role, id=role.value) for role in ROLES if need in ALLOWED[role]]


@dataclass
class World:
    a: dict[str, Region]
    b: dict[str, Region]
    persons: dict[str, InsuredPerson]  # "a-village11-1"
    users: dict[str, object]  # by role

    def scope_key(self, role: str) -> str:
        return SCOPE_KEY.get(role, "county")

    def visible(self, role: str) -> list[InsuredPerson]:
        villages = VISIBLE_VILLAGES[self.scope_key(role)]
        return [p for key, p in self.persons.items() if key.rsplit("-", 1)[0] in villages]

    def invisible(self, role: str) -> list[InsuredPerson]:
        seen = {p.pk for p in self.visible(role)}
        return [p for p in self.persons.values() if p.pk not in seen]

    @property
    def inside(self) -> InsuredPerson:
        """A person every scoped role can see."""
        return self.persons["a-village11-1"]


@pytest.fixture
def world() -> World:
    a = region_tree()
    b = region_tree("622901", "别县")
    trees = {"a": a, "b": b}
    persons: dict[str, InsuredPerson] = {}
    seq = 0
    for county, village_key in PERSON_VILLAGES:
        for i in (1, 2):
            seq += 1
            persons[f"{county}-{village_key}-{i}"] = InsuredPersonFactory(
                village=trees[county][village_key],
                name=f"{NAME_PREFIX}{county}{village_key[-2:]}号{i}",
                birth_date=dt.date(1980, 1, 1),
                id_no=make_id_no(dt.date(1980, 1, 1), seq, "211370"),
                status=InsuredPerson.Status.ENROLLED if i == 1 else InsuredPerson.Status.RECEIVING,
            )
    users = {role: make_user(role, a[SCOPE_KEY.get(role, "county")]) for role in ROLES}
    return World(a=a, b=b, persons=persons, users=users)


def _url(endpoint: str, person: InsuredPerson | None = None) -> str:
    name, _, query = endpoint.partition("?")
    urls = {
        "home": lambda: reverse("insured:home"),
        "person-search": lambda: reverse("insured:person-search"),
        "person-detail": lambda: reverse("insured:person-detail", args=[person.pk]),
        "person-create": lambda: reverse("insured:person-create"),
        "person-edit": lambda: reverse("insured:person-edit", args=[person.pk]),
        "api-persons": lambda: "/api/v1/persons/" if query == "id" else f"/api/v1/persons/?q={NAME_PREFIX}",
        "api-person-detail": lambda: f"/api/v1/persons/{person.pk}/",
        "api-schema": lambda: "/api/schema/",
        "api-docs": lambda: "/api/docs/",
    }
    return urls[name]()


def _open(client, endpoint: str, person: InsuredPerson | None = None):
    """Open an endpoint as its user would: a search sends its query by POST (a resident ID never
    goes in a URL) and the page then shows the results; everything else is a GET."""
    name, _, query = endpoint.partition("?")
    q = {"name": NAME_PREFIX, "id": ID_PREFIX}.get(query)
    if name == "person-search":
        response = client.post(_url(endpoint), {"q": q})
        if response.status_code == 302 and response.url == _url(endpoint):
            return client.get(response.url)
        return response
    if endpoint == "api-persons?id":
        return client.post("/api/v1/persons/lookup/", {"q": q}, content_type="application/json")
    return client.get(_url(endpoint, person))


def _names_in_search(response, is_api: bool) -> set[str]:
    if is_api:
        return {row["name"] for row in response.json()["results"]}
    return {p.name for p in response.context["page"].object_list}


def test_matrix_names_every_role():
    assert set(ALLOWED) == set(Role)


# --- Anonymous ---------------------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", PAGES)
def test_anonymous_page_redirects_to_login(client, world, endpoint):
    response = _open(client, endpoint, world.inside)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login") + "?next=")


@pytest.mark.parametrize("endpoint", APIS)
def test_anonymous_api_is_refused(client, world, endpoint):
    response = _open(client, endpoint, world.inside)
    assert response.status_code in (401, 403)
    assert world.inside.name not in response.content.decode()


# --- Capability ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "endpoint"), _pairs(allowed=False))
def test_role_lacking_capability_is_refused(client, world, role, endpoint):
    client.force_login(world.users[role])
    response = _open(client, endpoint, world.inside)
    assert response.status_code == 403
    assert world.inside.name not in response.content.decode()


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_user_without_staff_profile_is_refused(client, world, endpoint):
    user = get_user_model().objects.create_user(username="no-profile", password="pw-test-123")
    client.force_login(user)
    response = _open(client, endpoint, world.inside)
    assert response.status_code == 403
    assert world.inside.name not in response.content.decode()


@pytest.mark.parametrize("endpoint", PAGES + APIS)
def test_the_tax_bureaus_machine_account_is_never_logged_in(client, world, endpoint):
    """Even with a session forced on it, the machine account is treated as nobody: it signs its
    requests to the push endpoint and has no business with the pages or the API (issue 12)."""
    client.force_login(world.users[Role.TAX_CLIENT])
    response = _open(client, endpoint, world.inside)
    if endpoint in PAGES:
        assert response.status_code == 302 and response.url.startswith(reverse("login"))
    else:
        assert response.status_code in (401, 403)
    assert world.inside.name not in response.content.decode()


def test_the_tax_bureaus_machine_account_cannot_log_in_with_its_password(client, world):
    user = world.users[Role.TAX_CLIENT]
    response = client.post(reverse("login"), {"username": user.username, "password": "pw-test-123"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


# --- API fields: the same capabilities as the pages ------------------------------------------------


@pytest.mark.parametrize("role", [r for r in ROLES if VIEW in ALLOWED[r]], ids=lambda r: r.value)
def test_person_api_fields_follow_the_roles_capabilities(client, world, role):
    client.force_login(world.users[role])
    body = client.get(_url("api-person-detail", world.inside)).json()
    has_account = {"balance", "standing", "years"} <= set(body)
    assert has_account is (role in SEES_ACCOUNT)
    if role not in SEES_ACCOUNT:
        assert not {"balance", "standing", "years"} & set(body)
    expected_id = world.inside.id_no if role in SEES_FULL_ID else world.inside.masked_id_no
    assert body["id_no"] == expected_id


@pytest.mark.parametrize("role", [r for r in ROLES if VIEW in ALLOWED[r]], ids=lambda r: r.value)
def test_person_api_lists_always_mask_the_resident_id(client, world, role):
    client.force_login(world.users[role])
    rows = _open(client, "api-persons?name").json()["results"]
    assert rows and all("*" in row["id_no"] for row in rows)


@pytest.mark.parametrize("role", [r for r in ROLES if VIEW in ALLOWED[r]], ids=lambda r: r.value)
def test_person_page_shows_the_whole_id_only_to_the_roles_that_need_it(client, world, role):
    client.force_login(world.users[role])
    page = client.get(_url("person-detail", world.inside)).content.decode()
    assert (world.inside.id_no in page) is (role in SEES_FULL_ID)
    assert world.inside.masked_id_no in page or world.inside.id_no in page


@pytest.mark.parametrize("role", [r for r in ROLES if r != Role.TAX_CLIENT], ids=lambda r: r.value)
@pytest.mark.parametrize("endpoint", ["api-schema", "api-docs"])
def test_schema_and_docs_only_for_the_roles_that_use_the_api(client, world, role, endpoint):
    client.force_login(world.users[role])
    expected = 200 if SCHEMA in ALLOWED[role] else 403
    assert client.get(_url(endpoint)).status_code == expected


# --- Scope ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("role", "endpoint"), _pairs(allowed=True, kinds={"person"}))
def test_person_inside_scope_is_shown(client, world, role, endpoint):
    client.force_login(world.users[role])
    response = _open(client, endpoint, world.inside)
    assert response.status_code == 200
    if endpoint.startswith("api-"):
        assert response.json()["name"] == world.inside.name
    else:
        assert world.inside.name in response.content.decode()


@pytest.mark.parametrize(("role", "endpoint"), _pairs(allowed=True, kinds={"person"}))
def test_person_outside_scope_is_not_found(client, world, role, endpoint):
    client.force_login(world.users[role])
    outside = world.invisible(role)
    assert outside  # both counties hold persons outside every scope
    for person in outside:
        response = _open(client, endpoint, person)
        assert response.status_code == 404, person.name
        assert person.name not in response.content.decode()


@pytest.mark.parametrize(("role", "endpoint"), _pairs(allowed=True, kinds={"search"}))
def test_search_finds_only_persons_in_scope(client, world, role, endpoint):
    client.force_login(world.users[role])
    response = _open(client, endpoint)
    assert response.status_code == 200
    assert _names_in_search(response, endpoint.startswith("api-")) == {p.name for p in world.visible(role)}
    content = response.content.decode()
    for person in world.invisible(role):
        assert person.name not in content


@pytest.mark.parametrize("role", _roles_with(HOME))
def test_home_counts_only_persons_in_scope(client, world, role):
    client.force_login(world.users[role])
    response = client.get(reverse("insured:home"))
    assert response.status_code == 200
    visible = world.visible(role)
    counts = response.context["counts"]
    assert counts["total"] == len(visible)
    assert counts["enrolled"] == sum(p.status == InsuredPerson.Status.ENROLLED for p in visible)
    assert counts["receiving"] == sum(p.status == InsuredPerson.Status.RECEIVING for p in visible)


@pytest.mark.parametrize("role", _roles_with(HOME))
def test_home_counts_each_person_once(client, world, role):
    """A person with several person-year rows is still one person."""
    year = timezone.localdate().year
    person = world.inside
    PersonYear.objects.create(person=person, year=year - 2)
    PersonYear.objects.create(person=person, year=year - 1, own_arrived_on=dt.date(year - 1, 3, 1))
    PersonYear.objects.create(person=person, year=year, own_arrived_on=dt.date(year, 3, 1))
    client.force_login(world.users[role])
    counts = client.get(reverse("insured:home")).context["counts"]
    visible = world.visible(role)
    assert counts["total"] == len(visible)
    assert counts["enrolled"] == sum(p.status == InsuredPerson.Status.ENROLLED for p in visible)
    assert counts["paid"] == 1


@pytest.mark.parametrize("role", _roles_with(EDIT))
def test_create_form_offers_only_villages_in_scope(client, world, role):
    client.force_login(world.users[role])
    response = client.get(reverse("insured:person-create"))
    assert response.status_code == 200
    offered = set(response.context["form"].fields["village"].queryset)
    scope = world.a[world.scope_key(role)]
    expected = set(Region.objects.filter(level="village", code__startswith=scope.prefix))
    assert offered == expected
    assert world.b["village11"] not in offered


# --- Views that declare nothing ------------------------------------------------------------------


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_page_without_access_declaration_is_refused(client, world):
    client.force_login(world.users[Role.CLERK])
    assert client.get(reverse("insured:home")).status_code == 200  # the URLconf itself works
    response = client.get("/undeclared/")
    assert response.status_code == 403
    assert "registry secrets" not in response.content.decode()


@override_settings(ROOT_URLCONF=THIS_URLCONF)
def test_api_view_without_permission_classes_is_refused(client, world):
    client.force_login(world.users[Role.CLERK])
    response = client.get("/api/v1/undeclared/")
    assert response.status_code == 403
    assert "secret" not in response.json()
