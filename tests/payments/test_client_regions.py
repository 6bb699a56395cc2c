"""Each tax client serves a region (issue 12, item 3): it credits persons there only, it reverses
only its own payments, and a county sees a wider client's batch only for its own notices."""

from __future__ import annotations

import pytest
from django.urls import reverse

from insured.models import AccountEntry, Role
from payments.models import ArrivalNotice, TaxClient
from tests.factories import InsuredPersonFactory, PolicyYearFactory, make_user, region_tree
from tests.payments.conftest import notice
from tests.payments.helpers import process

pytestmark = pytest.mark.django_db
Reason = ArrivalNotice.Reason


@pytest.fixture
def two_counties():
    here, there = region_tree("211370", "本县"), region_tree("211371", "邻县")
    PolicyYearFactory(region=here["county"])
    PolicyYearFactory(region=there["county"])
    return here, there


def _client(client_id: str, region) -> TaxClient:
    return TaxClient.objects.create(client_id=client_id, name=client_id, secret="s" * 64, region=region)


def test_a_client_does_not_credit_a_person_outside_its_region(two_counties):
    here, there = two_counties
    neighbour = InsuredPersonFactory(village=there["village11"])
    processed = process(_client("tax-here", here["county"]), [notice(neighbour, voucher="X1")])
    row = ArrivalNotice.objects.get(voucher_no="X1")
    assert (row.state, row.reason) == ("unmatched", Reason.OUTSIDE_CLIENT_REGION)
    assert processed.unmatched_count == 1 and not AccountEntry.objects.filter(person=neighbour).exists()


def test_a_city_wide_client_credits_every_county_of_its_city(two_counties):
    here, there = two_counties
    city_client = _client("tax-city", here["city"])
    a, b = InsuredPersonFactory(village=here["village11"]), InsuredPersonFactory(village=there["village21"])
    process(city_client, [notice(a, voucher="C1"), notice(b, voucher="C2")])
    assert set(ArrivalNotice.objects.values_list("state", flat=True)) == {"credited"}


def test_a_reversal_matches_only_the_same_clients_payment(two_counties):
    here, _there = two_counties
    person = InsuredPersonFactory(village=here["village11"])
    process(_client("tax-a", here["county"]), [notice(person, voucher="P1")], batch_id="A1")
    other = _client("tax-b", here["county"])
    process(other, [notice(person, voucher="R1", reverses={"voucher_no": "P1", "line_no": 1})], batch_id="B1")
    reversal = ArrivalNotice.objects.get(voucher_no="R1")
    assert (reversal.state, reversal.reason) == ("unmatched", Reason.REVERSAL_UNKNOWN)
    assert ArrivalNotice.objects.get(voucher_no="P1").state == "credited"


def test_a_county_sees_a_city_clients_batch_only_for_its_own_notices(client, two_counties):
    here, there = two_counties
    city_client = _client("tax-city", here["city"])
    mine = InsuredPersonFactory(village=here["village11"], name="本县人")
    theirs = InsuredPersonFactory(village=there["village11"], name="邻县人")
    batch = process(city_client, [notice(mine, voucher="C1"), notice(theirs, voucher="C2", amount="1000.00")])
    clerk = make_user(Role.CLERK, here["county"])
    client.force_login(clerk)
    listing = client.get(reverse("payments:batch-list"))
    (_b, figures) = listing.context["rows"][0]
    assert figures.is_partial and figures.notices == 1 and str(figures.total) == "500.00"
    detail = client.get(reverse("payments:batch-detail", args=[batch.pk])).content.decode()
    assert "本县人" in detail and "邻县人" not in detail and "1,500.00" not in detail
