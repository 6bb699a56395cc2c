"""The Django admin is cut to the administrator's region, and keeps secrets secret (issue 12)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import connection
from knox.models import AuthToken

from insured import services
from insured.models import Role
from payments.models import TaxClient
from tests.factories import InsuredPersonFactory, ReceivableFactory, make_user, region_tree

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def counties():
    return region_tree("211370", "本县"), region_tree("622901", "别县")


@pytest.fixture
def county_admin(counties):
    user = make_user(Role.ADMINISTRATOR, counties[0]["county"], username="admin-here", is_staff=True)
    user.groups.add(services.administrator_group_sync())
    return user


def test_an_administrator_sees_only_the_users_of_their_county(client, counties, county_admin):
    here = make_user(Role.CLERK, counties[0]["county"], username="clerk-here")
    there = make_user(Role.CLERK, counties[1]["county"], username="clerk-there")
    client.force_login(county_admin)
    listing = client.get("/admin/auth/user/").content.decode()
    assert "clerk-here" in listing and "clerk-there" not in listing
    assert client.get(f"/admin/auth/user/{here.pk}/change/").status_code == 200
    response = client.get(f"/admin/auth/user/{there.pk}/change/")
    assert response.status_code in (302, 404) and "clerk-there" not in response.content.decode()


def test_an_administrator_sees_only_the_receivables_and_tax_clients_of_their_county(client, counties, county_admin):
    mine = ReceivableFactory(person=InsuredPersonFactory(village=counties[0]["village11"]), number="YS-HERE")
    other = ReceivableFactory(person=InsuredPersonFactory(village=counties[1]["village11"]), number="YS-THERE")
    TaxClient.objects.create(client_id="tax-here", name="本县税务", secret="x" * 64, region=counties[0]["county"])
    far = TaxClient.objects.create(
        client_id="tax-there", name="别县税务", secret="x" * 64, region=counties[1]["county"]
    )
    client.force_login(county_admin)
    receivables = client.get("/admin/payments/receivable/").content.decode()
    assert mine.number in receivables and other.number not in receivables
    clients = client.get("/admin/payments/taxclient/").content.decode()
    assert "tax-here" in clients and "tax-there" not in clients
    assert client.get(f"/admin/payments/taxclient/{far.pk}/change/").status_code in (302, 404)


def test_an_administrator_cannot_make_anyone_a_superuser(client, counties, county_admin):
    client.force_login(county_admin)
    page = client.get("/admin/auth/user/add/").content.decode()
    assert "is_superuser" not in page


def test_a_new_tax_clients_secret_is_made_by_the_server_shown_once_and_stored_encrypted(client, counties, county_admin):
    client.force_login(county_admin)
    response = client.post(
        "/admin/payments/taxclient/add/",
        {"client_id": "tax-new", "name": "新税务", "region": counties[0]["county"].pk, "is_active": "on"},
        follow=True,
    )
    assert response.status_code == 200
    tax = TaxClient.objects.get(client_id="tax-new")
    secret = tax.secret
    assert len(secret) == 64 and int(secret, 16) >= 0  # 32 random bytes, hex
    shown = [str(m) for m in response.context["messages"]]
    assert any(secret in m for m in shown)
    # Never again: not on its page, not in the database in clear.
    assert secret not in client.get(f"/admin/payments/taxclient/{tax.pk}/change/").content.decode()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret_sealed FROM payments_taxclient WHERE client_id = 'tax-new'")
        (stored,) = cursor.fetchone()
    assert secret not in stored


def test_renewing_a_secret_shows_the_new_one_once(client, counties, county_admin):
    tax = TaxClient.objects.create(client_id="tax-old", name="税务", secret="a" * 64, region=counties[0]["county"])
    client.force_login(county_admin)
    response = client.post(
        "/admin/payments/taxclient/", {"action": "renew_secret", "_selected_action": [tax.pk]}, follow=True
    )
    tax.refresh_from_db()
    assert tax.secret != "a" * 64
    assert any(tax.secret in str(m) for m in response.context["messages"])


def test_api_tokens_are_not_listed_in_the_admin(counties):
    assert AuthToken not in admin.site._registry


def test_the_demo_commands_refuse_to_run_under_production_settings():
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-0123456789",
        "FIELD_ENCRYPTION_KEY": "q2uKC_Dk2mR9mO6fXhqSk8l7rbJY3wCSEzMbnt9hRAQ=",
        "DATABASE_URL": "sqlite:///" + str(ROOT / "never-created.sqlite3"),
        "REDIS_URL": "redis://127.0.0.1:6379/0",
    }
    for command in (["load_demo"], ["demo_notice_batch", "--out", "/tmp/never.json"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode != 0
        assert "refuses to run" in result.stderr
    assert not (ROOT / "never-created.sqlite3").exists()
