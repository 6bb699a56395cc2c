"""The product's own Chinese error pages (issue 13, item 12), in the demo too, and what the server
log says about a refused page (item 14): one line, no traceback; library chatter below INFO."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from insured import views
from insured.models import Role
from tests.factories import InsuredPersonFactory, make_user, region_tree

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    return region_tree()


@pytest.fixture
def village_user(tree):
    return make_user(Role.VILLAGE_ACCOUNTANT, tree["village11"])


def test_a_record_outside_scope_is_the_products_chinese_404(client, tree, village_user):
    elsewhere = InsuredPersonFactory(village=tree["village21"])
    client.force_login(village_user)
    response = client.get(reverse("insured:person-detail", args=[elsewhere.pk]))
    assert response.status_code == 404
    page = response.content.decode()
    assert "未找到" in page and "记录不存在，或不在您的管辖区域内" in page
    assert elsewhere.name not in page and "URLconf" not in page


def test_a_page_the_role_may_not_open_is_the_products_chinese_403(client, village_user):
    client.force_login(village_user)
    response = client.get(reverse("payments:queue"))
    assert response.status_code == 403
    assert "无权访问" in response.content.decode()


def test_a_server_error_is_the_products_chinese_500(client, tree, village_user, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "person_list", broken)
    client.raise_request_exception = False
    client.force_login(village_user)
    response = client.get(reverse("insured:person-search"))
    assert response.status_code == 500
    page = response.content.decode()
    assert "系统出错" in page and "本次操作未保存任何内容" in page and "boom" not in page


def test_an_expired_form_is_a_chinese_page(tree, village_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(village_user)
    response = strict.post(reverse("insured:person-search"), {"q": "x"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()


def test_the_api_is_not_in_the_village_accountants_menu(client, village_user):
    client.force_login(village_user)
    page = client.get(reverse("insured:home")).content.decode()
    assert 'href="/api/docs/"' not in page
    assert client.get("/api/docs/").status_code == 403


def test_the_demo_runs_with_debug_off():
    env = {k: v for k, v in os.environ.items() if k != "DEBUG"} | {"DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    code = "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def _request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_refused_page_is_one_line_in_the_log(client, village_user, caplog):
    client.force_login(village_user)
    with caplog.at_level(logging.INFO):
        client.get(reverse("payments:queue"))
    [record] = _request_records(caplog)
    assert record.levelno == logging.WARNING and record.exc_info is None
    line = logging.Formatter().format(record)
    assert line == "Forbidden (Permission denied): /payments/queue/"


def test_a_missing_page_is_one_line_in_the_log(client, village_user, caplog):
    client.force_login(village_user)
    with caplog.at_level(logging.INFO):
        client.get("/persons/999999/")
    [record] = _request_records(caplog)
    assert record.exc_info is None and "\n" not in logging.Formatter().format(record)


def test_a_server_error_keeps_its_traceback(client, village_user, caplog, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "person_list", broken)
    client.raise_request_exception = False
    client.force_login(village_user)
    with caplog.at_level(logging.INFO):
        client.get(reverse("insured:person-search"))
    [record] = _request_records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert "RuntimeError: boom" in logging.Formatter().format(record)


def test_printing_a_form_logs_nothing_of_the_libraries_below_warning(tree, caplog):
    import datetime as dt

    from insured.models import Role
    from payments.pdf import reconciliation_pdf
    from payments.reconciliation import Reconciliation
    from payments.reconciliation.figures import Row
    from tests.factories import make_user

    empty = Reconciliation(
        tree["county"], dt.date(2026, 11, 1), dt.date(2026, 11, 1), [], [], Row("", "", "", is_total=True), []
    )
    with caplog.at_level(logging.DEBUG):
        assert reconciliation_pdf(empty, printed_by=make_user(Role.AUDITOR, tree["county"])).startswith(b"%PDF")
    chatter = [r for r in caplog.records if r.name.split(".")[0] in ("weasyprint", "fontTools")]
    assert [r for r in chatter if r.levelno < logging.WARNING] == []
