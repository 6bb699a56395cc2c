"""The administrator enters a policy year's special groups by ticking them, not as JSON."""

import pytest

from insured.admin import PolicyYearForm
from insured.models import PolicyYear
from tests.factories import region_tree

pytestmark = pytest.mark.django_db


def _data(county, **extra):
    return {
        "region": county.pk,
        "year": 2026,
        "title": "朝阳市2026年缴费标准",
        "source": "朝人社发〔2026〕7号",
        "gov_paid_amount": "100.00",
        "outside_window": "credit",
        "notes": "",
    } | extra


def test_ticked_groups_are_stored_as_codes():
    county = region_tree()["county"]
    form = PolicyYearForm(
        data=_data(
            county, hardship_groups=["severely_disabled", "dibao_recipient"], gov_paid_groups=["poverty_alleviated"]
        )
    )
    assert form.is_valid(), form.errors
    policy = form.save()
    policy.refresh_from_db()
    assert sorted(policy.hardship_groups) == ["dibao_recipient", "severely_disabled"]
    assert policy.gov_paid_groups == ["poverty_alleviated"]


def test_an_unknown_group_is_refused():
    county = region_tree()["county"]
    form = PolicyYearForm(data=_data(county, hardship_groups=["vip"]))
    assert not form.is_valid()
    assert "hardship_groups" in form.errors
    assert not PolicyYear.objects.exists()


def test_the_payer_of_the_government_paid_contributions_is_a_valid_credit_code():
    county = region_tree()["county"]
    form = PolicyYearForm(data=_data(county, gov_paid_payer_name="县财政局", gov_paid_payer_id="11211370012345671A"))
    assert not form.is_valid() and "gov_paid_payer_id" in form.errors
    form = PolicyYearForm(data=_data(county, gov_paid_payer_name="县财政局", gov_paid_payer_id="11211370012345671B"))
    assert form.is_valid(), form.errors
