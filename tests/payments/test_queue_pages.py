"""The unmatched queue page 手工划账: who sees it, overdue flags after 3 working days (notice
001 附件1 四(七)), and the maker-checker through the pages."""

import datetime as dt

import pytest
from django.utils import timezone

from insured.models import AccountEntry
from payments.models import ArrivalNotice, ManualAssignment
from tests.factories import make_user, region_tree
from tests.payments.conftest import notice
from tests.payments.helpers import process, stranger

pytestmark = pytest.mark.django_db


@pytest.fixture
def waiting(tax_client, insured):
    """A payment for an unregistered ID number, made on Friday 20 November 2026."""
    unknown = stranger(insured.village)
    process(tax_client, [notice(unknown, voucher="Q1", paid_at="2026-11-20T09:00:00+08:00")])
    return ArrivalNotice.objects.get(voucher_no="Q1")


def test_queue_lists_the_waiting_payment_with_its_reason(client, waiting, policy):
    client.force_login(make_user("clerk", policy.region))
    page = client.get("/payments/queue/").content.decode()
    assert "Q1/1" in page
    assert waiting.get_reason_display() in page


def test_overdue_after_three_working_days(client, waiting, policy, monkeypatch):
    client.force_login(make_user("clerk", policy.region))
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 11, 25))  # Wed: due day
    assert client.get("/payments/queue/").context["overdue"] == 0
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 11, 26))
    assert client.get("/payments/queue/").context["overdue"] == 1


def test_village_accountant_may_not_open_the_queue(client, waiting, policy):
    village = policy.region.children.first().children.first()
    client.force_login(make_user("village_accountant", village))
    assert client.get("/payments/queue/").status_code == 403


def test_other_county_does_not_see_the_payment(client, waiting):
    other = region_tree("622901", "别县")["county"]
    client.force_login(make_user("clerk", other))
    assert client.get("/payments/queue/").context["items"] == []
    assert client.get(f"/payments/queue/{waiting.pk}/assign/").status_code == 404
    assert client.get(f"/payments/batches/{waiting.batch_id}/").status_code == 404


def test_assign_then_confirm_by_another_credits_the_payment(client, waiting, insured, policy):
    clerk = make_user("clerk", policy.region, username="c1")
    reviewer = make_user("reviewer", policy.region, username="r1")
    client.force_login(clerk)
    response = client.post(f"/payments/queue/{waiting.pk}/assign/", {"id_no": insured.id_no, "note": "核实为本人"})
    assert response.status_code == 302
    assignment = ManualAssignment.objects.get()
    page = client.get("/payments/queue/").content.decode()
    assert f"/payments/assignments/{assignment.pk}/decide/" not in page  # the maker cannot check

    client.force_login(reviewer)
    client.post(f"/payments/assignments/{assignment.pk}/decide/", {"decision": "confirm"})
    waiting.refresh_from_db()
    assert waiting.state == ArrivalNotice.State.CREDITED and waiting.person_id == insured.pk
    assert AccountEntry.objects.filter(person=insured, source_key="notice:Q1:1").exists()


def test_assign_to_someone_outside_the_region_is_refused(client, waiting, policy):
    from tests.factories import InsuredPersonFactory, first_village

    elsewhere = InsuredPersonFactory(village=first_village(region_tree("622901", "别县")["county"]))
    client.force_login(make_user("clerk", policy.region))
    response = client.post(f"/payments/queue/{waiting.pk}/assign/", {"id_no": elsewhere.id_no})
    assert response.status_code == 200
    assert response.context["form"].errors["id_no"]
    assert not ManualAssignment.objects.exists()
