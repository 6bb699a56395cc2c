"""The refund cases in the Django admin: a superuser maintains them with ticked kinds and rule 9
checked; a county administrator reads them and sees only the applications of the county."""

import pytest
from django.contrib.auth import get_user_model

from insured import services as insured_services
from insured.models import Role
from refunds.models import RefundCase
from tests.factories import make_user
from tests.refunds.conftest import take

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser():
    return get_user_model().objects.create_superuser("root", password="pw-test-123")


@pytest.fixture
def county_admin(tree):
    user = make_user(Role.ADMINISTRATOR, tree["county"], username="admin-here", is_staff=True)
    user.groups.add(insured_services.administrator_group_sync())
    return user


def _case_form(**overrides):
    data = {
        "code": "migrant",
        "name": "测试情形",
        "basis": "测试依据",
        "description": "",
        "payee": "person",
        "kinds_to_payee": ["own", "collective"],
        "kinds_to_fund": ["government_subsidy"],
        "queue_reasons": ["own_already_paid"],
        "evidence": "",
        "is_active": "on",
        "order": "70",
    }
    return data | overrides


def test_superuser_adds_a_case_with_ticked_kinds(client, superuser):
    client.force_login(superuser)
    response = client.post("/admin/refunds/refundcase/add/", _case_form())
    assert response.status_code == 302
    case = RefundCase.objects.get(code="migrant")
    assert (case.kinds_to_payee, case.kinds_to_fund, case.queue_reasons) == (
        ["own", "collective"],
        ["government_subsidy"],
        ["own_already_paid"],
    )


def test_a_case_sending_collective_money_to_the_fund_is_refused(client, superuser):
    """Rule 9 (000 三(三)): sponsorship and collective money goes to the person or heir only."""
    client.force_login(superuser)
    response = client.post("/admin/refunds/refundcase/add/", _case_form(kinds_to_fund=["collective"]))
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not RefundCase.objects.filter(code="migrant").exists()


def test_county_administrator_reads_cases_but_does_not_change_them(client, county_admin):
    client.force_login(county_admin)
    assert client.get("/admin/refunds/refundcase/").status_code == 200
    assert client.post("/admin/refunds/refundcase/add/", _case_form()).status_code == 403
    assert not RefundCase.objects.filter(code="migrant").exists()


def test_county_administrator_sees_only_the_applications_of_the_county(client, county_admin, person, staff):
    from tests.factories import RefundApplicationFactory, region_tree

    here = take(person, staff)
    elsewhere = RefundApplicationFactory(person__village=region_tree("622901", "别县")["village11"])
    client.force_login(county_admin)
    listing = client.get("/admin/refunds/refundapplication/").content.decode()
    assert here.number in listing and elsewhere.number not in listing
    assert client.get(f"/admin/refunds/refundapplication/{elsewhere.pk}/change/").status_code in (302, 404)
