"""What the person page costs: a fixed number of queries whatever the length of the person's
history, with every app's panel on it (bench/person_page.py measures the time)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from insured import selectors
from insured.models import Role
from tests.factories import PolicyYearFactory, make_user, region_tree
from tests.rich_person import rich_person

pytestmark = pytest.mark.django_db

# The page of a county clerk (every panel) on a person with years of history, logged in as staff
# are (insured.auth.StaffBackend reads each request's user with the profile and its region); the
# session was written by the request before (insured.middleware.IdleSessionMiddleware).
MAX_QUERIES = 20
LOGIN_BACKEND = "insured.auth.StaffBackend"


@pytest.fixture
def tree():
    tree = region_tree()
    this_year = timezone.localdate().year
    for year in range(this_year - 4, this_year + 1):
        PolicyYearFactory(region=tree["county"], year=year)
    return tree


def _queries(client, person) -> int:
    url = reverse("insured:person-detail", args=[person.pk])
    client.get(url)  # the session and the caches, as a clerk's second page
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def test_person_page_queries_do_not_grow_with_the_history(client, tree):
    this_year = timezone.localdate().year
    short = rich_person(tree["village11"], [this_year - 1, this_year], tag="SHORT")
    long = rich_person(tree["village12"], list(range(this_year - 4, this_year + 1)), tag="LONG")
    client.force_login(make_user(Role.CLERK, tree["county"]), backend=LOGIN_BACKEND)
    counts = _queries(client, short), _queries(client, long)
    assert counts[0] == counts[1]
    assert counts[1] <= MAX_QUERIES, counts


def test_the_page_read_once_shows_what_each_read_showed(client, tree):
    """The figures made from the ledger read once are those the separate reads gave."""
    this_year = timezone.localdate().year
    person = rich_person(tree["village11"], [this_year - 1, this_year])
    client.force_login(make_user(Role.CLERK, tree["county"]), backend=LOGIN_BACKEND)
    response = client.get(reverse("insured:person-detail", args=[person.pk]))
    context = response.context
    assert context["balance"] == selectors.account_balance(person)
    assert context["standing"] == selectors.standing_in(person, this_year)
    assert context["contribution"] == selectors.year_contribution(person, this_year)
    assert context["window"] == selectors.collection_window_status(person.village.code, timezone.localdate())
    panels = dict(context["panels"])
    groups = panels["collection/person_panel.html"]["group_memberships"]
    assert groups == list(person.memberships.order_by("group", "-valid_from"))
    content = response.content.decode()
    assert person.village.full_name in content
