"""Who looked at whom (issue 12, item 10): views of a person's page and account, the API, printed
forms and exports are recorded, append-only, and the auditor reads them in their region."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, transaction
from django.urls import reverse

from insured.models import AccessRecord, Role
from tests.factories import InsuredPersonFactory, make_user, region_tree

pytestmark = pytest.mark.django_db
What = AccessRecord.What


@pytest.fixture
def world():
    here, there = region_tree("211370", "本县"), region_tree("622901", "别县")
    return {
        "here": here,
        "person": InsuredPersonFactory(village=here["village11"], name="被查看者"),
        "elsewhere": InsuredPersonFactory(village=there["village11"], name="别县人"),
        "clerk": make_user(Role.CLERK, here["county"]),
        "village": make_user(Role.VILLAGE_ACCOUNTANT, here["village11"]),
        "auditor": make_user(Role.AUDITOR, here["county"]),
        "far_clerk": make_user(Role.CLERK, there["county"], username="far-clerk"),
    }


def test_viewing_a_person_is_recorded_with_what_was_seen(client, world):
    client.force_login(world["clerk"])
    client.get(reverse("insured:person-detail", args=[world["person"].pk]))
    client.force_login(world["village"])
    client.get(reverse("insured:person-detail", args=[world["person"].pk]))
    seen = list(AccessRecord.objects.order_by("id").values_list("user__username", "person_id", "what"))
    assert seen == [
        (world["clerk"].username, world["person"].pk, What.ACCOUNT),
        (world["village"].username, world["person"].pk, What.PAGE),
    ]


def test_the_api_detail_is_recorded(client, world):
    client.force_login(world["clerk"])
    assert client.get(f"/api/v1/persons/{world['person'].pk}/").status_code == 200
    assert AccessRecord.objects.filter(person=world["person"], what=What.API).count() == 1


def test_a_refused_view_records_nothing(client, world):
    client.force_login(world["clerk"])
    assert client.get(reverse("insured:person-detail", args=[world["elsewhere"].pk])).status_code == 404
    assert not AccessRecord.objects.exists()


def test_the_auditor_reads_the_log_of_their_region_only(client, world):
    client.force_login(world["clerk"])
    client.get(reverse("insured:person-detail", args=[world["person"].pk]))
    client.force_login(world["far_clerk"])
    client.get(reverse("insured:person-detail", args=[world["elsewhere"].pk]))
    client.force_login(world["auditor"])
    page = client.get(reverse("insured:access-log"))
    body = page.content.decode()
    assert page.status_code == 200 and "被查看者" in body and "别县人" not in body
    assert world["person"].id_no not in body and world["person"].masked_id_no in body


def test_the_auditor_filters_by_a_resident_id_sent_by_post(client, world):
    other = InsuredPersonFactory(village=world["here"]["village12"], name="另一人")
    client.force_login(world["clerk"])
    for person in (world["person"], other):
        client.get(reverse("insured:person-detail", args=[person.pk]))
    client.force_login(world["auditor"])
    response = client.post(reverse("insured:access-log"), {"q": world["person"].id_no})
    assert response.status_code == 302 and world["person"].id_no not in response.url
    body = client.get(response.url).content.decode()
    assert "被查看者" in body and "另一人" not in body


def test_other_roles_cannot_read_the_log(client, world):
    client.force_login(world["clerk"])
    assert client.get(reverse("insured:access-log")).status_code == 403


def test_the_log_is_append_only_in_the_database(world):
    record = AccessRecord.objects.create(user=world["clerk"], person=world["person"], what=What.PAGE)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessRecord.objects.filter(pk=record.pk).update(what=What.EXPORT)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessRecord.objects.filter(pk=record.pk).delete()


def test_printing_a_form_is_recorded(client, world):
    from tests.factories import PolicyYearFactory, SponsorshipApplicationFactory

    PolicyYearFactory(region=world["here"]["county"])
    application = SponsorshipApplicationFactory(beneficiary=world["person"], submitted_by=world["clerk"])
    client.force_login(world["clerk"])
    assert client.get(reverse("subsidy:pdf", args=[application.pk])).status_code == 200
    record = AccessRecord.objects.get(what=What.FORM)
    assert (record.person_id, record.detail) == (world["person"].pk, application.number)
