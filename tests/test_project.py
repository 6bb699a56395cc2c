"""Project-wide checks: migrations match the models, production settings pass --deploy,
the reference fixtures load as the notices print them."""

import datetime as dt
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from insured.models import PolicyYear

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_no_missing_migrations():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


def test_check_deploy_with_production_settings_is_clean():
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 20 + "a-long-random-production-secret-0123456789",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/pension",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "FIELD_ENCRYPTION_KEY": "q2uKC_Dk2mR9mO6fXhqSk8l7rbJY3wCSEzMbnt9hRAQ=",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_compiled_catalogue_is_committed_beside_its_source():
    po = ROOT / "locale/zh_Hans/LC_MESSAGES/django.po"
    mo = ROOT / "locale/zh_Hans/LC_MESSAGES/django.mo"
    assert po.exists() and mo.exists()
    untranslated = [
        block
        for block in po.read_text().split("\n\n")[1:]
        if 'msgstr ""' in block and "msgstr[" not in block and block.rstrip().endswith('msgstr ""')
    ]
    assert untranslated == []


def _tiers(region_code: str, year: int, scheme: str = "basic") -> list[tuple[Decimal, Decimal | None, bool]]:
    policy = PolicyYear.objects.get(region__code=region_code, year=year)
    return [
        (t.amount, t.government_subsidy, t.is_hardship_only)
        for t in policy.tiers.filter(scheme=scheme).order_by("amount")
    ]


@pytest.mark.django_db
def test_reference_fixture_fei_county_2020_as_printed():
    call_command("loaddata", "reference", verbosity=0)
    tiers = _tiers("371325000000", 2020)
    printed = ["100", "300", "500", "600", "800", "1000", "1500", "2000", "2500", "3000", "4000", "5000"]
    assert [a for a, _, _ in tiers] == [Decimal(x) for x in printed]
    assert [a for a, _, hardship in tiers if hardship] == [Decimal("100")]  # 002 二
    assert all(subsidy is None for _, subsidy, _ in tiers)  # not printed in the notice


@pytest.mark.django_db
def test_reference_fixture_linxia_2023_as_printed():
    call_command("loaddata", "reference", verbosity=0)
    tiers = _tiers("622901000000", 2023)
    assert len(tiers) == 14
    assert tiers[0][0] == Decimal("300") and tiers[-1][0] == Decimal("5000")
    policy = PolicyYear.objects.get(region__code="622901000000", year=2023)
    assert policy.gov_paid_amount == Decimal("100.00")  # 003 四(二)
    assert len(policy.gov_paid_groups) == 5
    assert policy.gov_paid_deadline == dt.date(2023, 5, 31)  # 003 二(二): 5月31日前完成政府代缴
    assert policy.top_tier == Decimal("5000")


@pytest.mark.django_db
def test_reference_fixture_anze_2021_as_printed():
    call_command("loaddata", "reference", verbosity=0)
    basic = [(a, s) for a, s, _ in _tiers("141026000000", 2021)]
    assert basic == [
        (Decimal(a), Decimal(s))
        for a, s in [
            ("200", "35"),
            ("300", "40"),
            ("500", "60"),
            ("700", "80"),
            ("1000", "100"),
            ("1500", "140"),
            ("2000", "180"),
            ("3000", "220"),
            ("4000", "260"),
            ("5000", "300"),
        ]
    ]
    supplementary = [(a, s) for a, s, _ in _tiers("141026000000", 2021, "supplementary")]
    assert supplementary == [
        (Decimal(a), Decimal(s))
        for a, s in [("200", "70"), ("500", "120"), ("1000", "200"), ("2000", "360"), ("5000", "600")]
    ]
    policy = PolicyYear.objects.get(region__code="141026000000", year=2021)
    assert (policy.collection_day_from, policy.collection_day_to) == (1, 25)


@pytest.mark.django_db
def test_reference_fixture_leaves_unprinted_tiers_to_the_administrator():
    call_command("loaddata", "reference", verbosity=0)
    for code, year in (("211300000000", 2026), ("150000000000", 2025)):
        policy = PolicyYear.objects.get(region__code=code, year=year)
        assert policy.top_tier is None
        assert policy.notes


@pytest.mark.django_db
def test_reference_fixture_loads_twice_without_change():
    call_command("loaddata", "reference", verbosity=0)
    before = PolicyYear.objects.count()
    call_command("loaddata", "reference", verbosity=0)
    assert PolicyYear.objects.count() == before == 5


@pytest.mark.django_db
def test_pages_carry_a_content_security_policy_and_no_inline_script(client):
    from insured.models import Role
    from tests.factories import PolicyYearFactory, make_user

    policy = PolicyYearFactory()
    client.force_login(make_user(Role.CLERK, policy.region))
    for url in ("/", "/persons/", "/sponsorship/", "/sponsorship/new/", "/payments/queue/", "/login/"):
        response = client.get(url)
        policy_header = response.headers.get("Content-Security-Policy", "")
        assert (
            "script-src 'self'" in policy_header
            and "unsafe-inline" not in policy_header.split("script-src")[1].split(";")[0]
        )
        page = response.content.decode()
        assert "<script>" not in page and " onclick=" not in page, url


def test_hsts_preload_comes_from_the_environment():
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 60,
        "FIELD_ENCRYPTION_KEY": "q2uKC_Dk2mR9mO6fXhqSk8l7rbJY3wCSEzMbnt9hRAQ=",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/pension",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "SECURE_HSTS_PRELOAD": "false",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; print(settings.SECURE_HSTS_PRELOAD)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_a_celery_worker_process_freezes_what_it_has_loaded_once_started():
    """The crediting worker's import-time objects are kept out of the cycle collector's way
    (config.celery, worker_process_init); a child process, so the test's own heap is untouched."""
    code = (
        "import gc, django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings.test'; django.setup();"
        "from celery.signals import worker_process_init; import config.celery;"
        "assert gc.get_freeze_count() == 0; worker_process_init.send(sender=None);"
        "assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, env=os.environ | {"PYTHONPATH": str(ROOT)})
