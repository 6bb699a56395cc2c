"""Personal sponsorship in a real browser (Debian's Chromium driven by Playwright): the clerk
enters an application at the counter, the reviewer approves it and opens the printed form."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from django.utils import timezone

from tests.accounts import credit
from tests.factories import InsuredPersonFactory, PolicyYearFactory, first_village, make_user
from tests.subsidy.conftest import SPONSOR_ID, TODAY

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-test-123"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test installs it)"),
]


@pytest.fixture
def window(transactional_db, monkeypatch):
    # Set up before the browser starts: ORM calls made while Playwright's greenlet is running
    # get a connection of their own that nothing closes.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)  # the live server's thread too
    policy = PolicyYearFactory()
    person = InsuredPersonFactory(village=first_village(policy.region), name="王秀兰")
    credit(person, year=TODAY.year, amount="500.00", paid_on=dt.date(TODAY.year, 3, 2))
    make_user("clerk", policy.region, username="clerk1", last_name="李", first_name="春梅")
    make_user("reviewer", policy.region, username="reviewer1", last_name="赵", first_name="建国")
    return person


@pytest.fixture
def page(window):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # ordinary synchronous ones.
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


def test_clerk_enters_reviewer_approves_and_prints_the_form(live_server, window, page):
    base = live_server.url
    _log_in(page, base, "clerk1")
    page.click("header.top nav a[href='/sponsorship/']")
    page.click("a[href='/sponsorship/new/']")
    page.fill("#id_id_no", window.id_no)
    page.press("#id_id_no", "Enter")
    page.wait_for_selector("#standing")
    assert "王秀兰" in page.inner_text("#beneficiary")
    assert "5,000.00" in page.inner_text("#standing") and "2026年3月2日" in page.inner_text("#standing")

    page.fill("#id_sponsor_name", "王大军")
    page.fill("#id_sponsor_id_no", SPONSOR_ID)
    page.fill("#id_sponsor_phone", "13800000000")
    page.select_option("#id_relation", "child")
    page.fill("#id_amount", "6000.00")
    page.click("button[value=check]")
    page.wait_for_selector("#sponsorship-form .errorlist")
    assert "5,000.00" in page.inner_text("#sponsorship-form .errorlist")  # rule 1: the cap
    page.screenshot(path="/tmp/sponsorship_counter_error.png", full_page=True)
    page.fill("#id_amount", "1200.00")
    page.click("button[value=check]")
    page.wait_for_selector("#check-result")
    assert "3,800.00" in page.inner_text("#check-result")
    page.screenshot(path="/tmp/sponsorship_counter.png", full_page=True)
    page.click("button[value=submit]")
    page.wait_for_selector("#steps")
    page.click("header.top .who button")

    _log_in(page, base, "reviewer1")
    page.goto(f"{base}/sponsorship/")
    page.wait_for_selector("table a[href^='/sponsorship/']")
    page.screenshot(path="/tmp/sponsorship_list.png", full_page=True)
    page.click("table a[href^='/sponsorship/']")
    page.click("#approve")
    page.wait_for_selector("#print-form")
    assert page.is_visible("ul.messages li.success")
    page.screenshot(path="/tmp/sponsorship_detail.png", full_page=True)

    href = page.get_attribute("#print-form", "href")
    response = page.request.get(f"{base}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")

    # Read back from the page, not the ORM: a query made while Playwright runs would open a
    # connection that nothing closes.
    steps = page.inner_text("#steps")
    assert "李春梅" in steps and "赵建国" in steps
    assert "1,200.00" in page.inner_text("main")
    assert re.fullmatch(r"/sponsorship/\d+/form\.pdf", href)
