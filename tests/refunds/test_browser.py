"""A refund in a real browser (Debian's Chromium driven by Playwright): the township enters it
with its copies and a colleague signs and sends it, the county approves, finance requests the
month's money and records the payment, and the person's account shows the refund."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.utils import timezone

from insured.models import Region
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, PolicyYearFactory, make_user
from tests.refunds.conftest import CARD, PDF, PNG

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-test-123"
HANDED_OVER_ON = dt.date(2026, 11, 20)
PAID_ON = dt.date(2026, 12, 2)
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test installs it)"),
]


@pytest.fixture
def window(transactional_db, monkeypatch, tmp_path, settings):
    # Set up before the browser starts: ORM calls made while Playwright's greenlet is running
    # get a connection of their own that nothing closes.
    from django.core.management import call_command

    call_command("loaddata", "refund_cases", verbosity=0)  # a transactional test may have flushed them
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: HANDED_OVER_ON)
    policy = PolicyYearFactory()
    township = Region.objects.filter(parent=policy.region).order_by("code").first()
    village = township.children.order_by("code").first()
    person = InsuredPersonFactory(village=village, name="李秀英")
    credit(person, year=2026, amount="500.00", paid_on=dt.date(2026, 3, 2))
    make_user("township_office", township, username="town1", last_name="陈", first_name="海燕")
    make_user("township_office", township, username="town2", last_name="吴", first_name="桂兰")
    make_user("reviewer", policy.region, username="reviewer1", last_name="王", first_name="建国")
    make_user("finance", policy.region, username="finance1", last_name="孙", first_name="秀英")
    for name, content in (("id.png", PNG), ("card.png", PNG), ("proof.pdf", PDF), ("evidence.pdf", PDF)):
        (tmp_path / name).write_bytes(content)
    return {"person": person, "files": tmp_path}


@pytest.fixture
def page(window):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("header.top")


def _log_out(page) -> None:
    page.click("header.top .who button")
    page.wait_for_selector("#id_username")


def test_township_enters_county_approves_finance_pays_and_the_account_shows_it(live_server, window, page, monkeypatch):
    base, person, files = live_server.url, window["person"], window["files"]

    _log_in(page, base, "town1")
    page.click("header.top nav a[href='/refunds/']")
    page.click("#new-refund")
    page.fill("#id_id_no", person.id_no)
    page.click("#find")
    page.wait_for_selector("#account")
    page.select_option("#id_case", label="参加职工养老保险重复缴费")
    page.check("#account input[name=entries]")
    page.fill("#id_applicant_id_no", person.id_no)
    page.fill("#id_applicant_phone", "13800000000")
    page.fill("#id_bank_name", "中国农业银行演示县支行")
    page.fill("#id_account_no", CARD[:-1] + str((int(CARD[-1]) + 1) % 10))  # a digit mistyped
    page.click("#check")
    page.wait_for_selector(".errorlist")
    assert "校验位" in page.inner_text("main")  # the Luhn check, in Chinese
    page.screenshot(path="/tmp/refund_intake_error.png", full_page=True)
    page.fill("#id_account_no", CARD)
    page.click("#check")
    page.wait_for_selector("#plan")
    assert "500.00" in page.inner_text("#plan") and "60.00" in page.inner_text("#plan")
    page.screenshot(path="/tmp/refund_intake.png", full_page=True)
    for field, name in (
        ("id_card_copy", "id.png"),
        ("bank_card_copy", "card.png"),
        ("payment_proof", "proof.pdf"),
        ("evidence_copy", "evidence.pdf"),
    ):
        page.set_input_files(f"#id_{field}", str(files / name))
    page.click("#submit")
    page.wait_for_selector("#steps")
    assert page.is_visible("#own-intake")
    page.screenshot(path="/tmp/refund_detail_received.png", full_page=True)
    _log_out(page)

    _log_in(page, base, "town2")
    page.goto(f"{base}/refunds/")
    page.click("#applications a[href^='/refunds/']")
    page.click("#first-review")
    page.wait_for_selector("ul.messages li.success")
    page.click("#go-hand-over")
    assert "2026-11" in page.inner_text("#deadline")
    page.screenshot(path="/tmp/refund_hand_over.png", full_page=True)
    page.click("#send")
    page.wait_for_selector("ul.messages li.success")
    _log_out(page)

    _log_in(page, base, "reviewer1")
    page.goto(f"{base}/refunds/")
    page.click("#applications a[href^='/refunds/']")
    page.click("#approve")
    page.wait_for_selector("ul.messages li.success")
    _log_out(page)

    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: PAID_ON)  # early the next month
    _log_in(page, base, "finance1")
    page.goto(f"{base}/refunds/requests/")
    page.select_option("#id_month", "2026-11-01")
    page.click("#make-request")
    page.wait_for_selector("#request-applications")
    page.screenshot(path="/tmp/refund_request.png", full_page=True)
    summary = page.request.get(f"{base}{page.get_attribute('#summary-pdf', 'href')}")
    assert summary.status == 200 and summary.body().startswith(b"%PDF")
    page.click("#request-applications a[href^='/refunds/']")
    page.fill("#id_bank_reference", "NB20261202001")
    page.click("#record-payment")
    page.wait_for_selector("ul.messages li.success")
    assert "已退费" in page.inner_text("h1")
    page.screenshot(path="/tmp/refund_detail_paid.png", full_page=True)
    form = page.request.get(f"{base}{page.get_attribute('#print-form', 'href')}")
    assert form.status == 200 and form.body().startswith(b"%PDF")
    steps = page.inner_text("#steps")
    assert all(name in steps for name in ("陈海燕", "吴桂兰", "王建国", "孙秀英"))

    page.click("main a[href^='/persons/']")
    page.wait_for_selector("#person-refunds")
    assert "已退费" in page.inner_text("#person-refunds")
    account = page.inner_text("main")
    assert "退费" in account and "-500.00" in account and "-60.00" in account
    page.screenshot(path="/tmp/refund_person.png", full_page=True)
