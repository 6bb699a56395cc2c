"""The progress pages and their API: what they show, the drill-down links, and who sees what
(anonymous to the login, a role without the capability 403, another region 404)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from insured import plugins
from insured.models import Role
from oversight.plugin import PROGRESS_VIEW
from tests.factories import make_user, region_tree
from tests.oversight.conftest import AS_OF

pytestmark = pytest.mark.django_db

URL = reverse("oversight:progress")
API = "/api/v1/oversight/progress/"
QUERY = {"year": "2026", "date": AS_OF.isoformat()}


@pytest.fixture
def clerk(world):
    return make_user(Role.CLERK, world.county)


def test_county_page_shows_townships_with_links_and_the_week_table(client, clerk, world):
    client.force_login(clerk)
    response = client.get(URL, QUERY)
    assert response.status_code == 200
    body = response.content.decode()
    t1 = world.tree["township1"]
    assert f"region={t1.code}&amp;year=2026&amp;date=2026-03-31" in body
    assert 'data-rate="60.0"' in body and 'data-last-rate="40.0"' in body
    assert 'id="progress-weeks"' in body and 'data-paid="5"' in body
    assert "3,100.00" in body and "62.5%" in body
    assert "chart.umd.min.js" in body and "<script>" not in body


def test_drill_down_to_a_village(client, clerk, world):
    client.force_login(clerk)
    township = client.get(URL, {**QUERY, "region": world.tree["township1"].code})
    assert township.status_code == 200
    assert [line.name for line in township.context["progress"].lines] == [
        world.tree["village11"].name,
        world.tree["village12"].name,
    ]
    village = client.get(URL, {**QUERY, "region": world.tree["village11"].code})
    assert village.status_code == 200
    assert village.context["progress"].lines == []
    assert village.context["progress"].total.now.paid == 3
    names = [r.name for r, _query in village.context["trail"]]
    assert names == [world.county.name, world.tree["township1"].name, world.tree["village11"].name]


def test_defaults_to_this_year_and_refuses_a_day_outside_it(client, clerk, world):
    client.force_login(clerk)
    assert client.get(URL).status_code == 200
    response = client.get(URL, {"year": "2026", "date": "2025-12-31"})
    assert response.status_code == 200 and response.context["progress"] is None
    assert "date" in response.context["form"].errors
    assert client.get(URL, {"year": "1999"}).context["progress"] is None
    assert client.get(URL, {"year": "abc"}).status_code == 200


def test_anonymous_goes_to_the_login(client, world):
    response = client.get(URL, QUERY)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_a_role_without_the_capability_is_refused(client, world, monkeypatch):
    # Every office watches its progress; a role stripped of the capability is refused.
    stripped = plugins.capabilities_of(Role.AUDITOR) - {PROGRESS_VIEW}
    monkeypatch.setitem(plugins._capabilities, Role.AUDITOR, stripped)
    client.force_login(make_user(Role.AUDITOR, world.county))
    assert client.get(URL, QUERY).status_code == 403


def test_a_township_sees_its_township_only(client, world):
    client.force_login(make_user(Role.TOWNSHIP_OFFICE, world.tree["township1"]))
    own = client.get(URL, QUERY)
    assert own.status_code == 200 and own.context["region"] == world.tree["township1"]
    assert own.context["progress"].total.now.paid == 3
    assert client.get(URL, {**QUERY, "region": world.tree["township2"].code}).status_code == 404
    assert client.get(URL, {**QUERY, "region": world.county.code}).status_code == 404
    assert client.get(URL, {**QUERY, "region": world.tree["village12"].code}).status_code == 200


def test_a_village_sees_its_village_only(client, world):
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, world.tree["village21"]))
    own = client.get(URL, QUERY)
    assert own.status_code == 200 and own.context["progress"].total.now.paid == 2
    assert client.get(URL, {**QUERY, "region": world.tree["village22"].code}).status_code == 404
    assert client.get(URL, {**QUERY, "region": "not-a-code"}).status_code == 404


def test_another_county_is_not_found(client, world):
    other = region_tree("622901", "别县")
    client.force_login(make_user(Role.CLERK, other["county"]))
    assert client.get(URL, {**QUERY, "region": world.county.code}).status_code == 404
    own = client.get(URL, QUERY)
    assert own.status_code == 200 and own.context["progress"].total.now.liable == 0


def test_api_answers_the_page_figures(world, clerk):
    api = APIClient()
    api.force_authenticate(clerk)
    response = api.get(API, QUERY)
    assert response.status_code == 200
    data = response.json()
    assert data["total"]["now"]["paid"] == 5 and data["total"]["now"]["paid_rate"] == "62.5"
    assert data["total"]["now"]["own"] == {"count": 4, "amount": "1300.00"}
    assert data["total"]["last_year"]["paid_rate"] == "25.0"
    assert [line["code"] for line in data["lines"]] == [world.tree["township1"].code, world.tree["township2"].code]
    assert data["weeks"][0]["start"] == "2025-12-29"


def test_api_refuses_and_cuts_like_the_page(world):
    api = APIClient()
    assert api.get(API, QUERY).status_code in (401, 403)
    api.force_authenticate(make_user(Role.TOWNSHIP_OFFICE, world.tree["township2"]))
    assert api.get(API, {**QUERY, "region": world.tree["township1"].code}).status_code == 404
    assert api.get(API, {"year": "2026", "date": "2027-01-01"}).status_code == 400
    api.force_authenticate(make_user(Role.TAX_CLIENT, world.county))  # a machine client has no capability here
    assert api.get(API, QUERY).status_code == 403


def test_the_table_exports_to_excel(client, clerk, world):
    import io

    import openpyxl

    client.force_login(clerk)
    response = client.get(reverse("oversight:progress-export"), QUERY)
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[0][:4] == ("地区", "应缴费人数", "已缴费人数", "缴费率（%）")
    assert rows[1][:4] == (world.tree["township1"].name, 5, 3, 60)
    assert rows[-1][:4] == ("合计", 8, 5, 62.5)
    office = make_user(Role.TOWNSHIP_OFFICE, world.tree["township2"])
    client.force_login(office)
    assert client.get(reverse("oversight:progress-export"), {**QUERY, "region": world.county.code}).status_code == 404
