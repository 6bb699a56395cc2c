"""Back payment in a real browser (Debian's Chromium driven by Playwright): the township office
finds the person by ID (posted), enters 2025 at the 500 tier, checks and submits; a county reviewer
approves it, and the 2025 payment that was waiting in the queue is credited at once, without
subsidy. Screenshots of each page go to the suite's screenshot folder."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.accounts import credit
from tests.browser import HAS_CHROMIUM, axe_violations, chromium, describe, log_in, log_out, new_page, shot
from tests.collection.backpay_fixtures import TODAY
from tests.factories import InsuredPersonFactory, PolicyYearFactory, first_village, make_user

PASSWORD = "pw-test-123"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Debian's chromium (make test installs it)"),
]


@pytest.fixture
def window(transactional_db, monkeypatch):
    # Set up before the browser starts: ORM calls made while Playwright runs get a connection of
    # their own that nothing closes.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)  # the live server's thread too
    policy = PolicyYearFactory()
    PolicyYearFactory(region=policy.region, year=2025)
    person = InsuredPersonFactory(village=first_village(policy.region), name="刘桂芳", enrolled_on=dt.date(2024, 1, 1))
    credit(person, year=2026, amount="300.00", paid_on=dt.date(2026, 3, 2))
    waiting = credit(person, year=2025, amount="500.00", paid_on=dt.date(2026, 4, 10))  # a past year: it waits
    assert waiting.reason == "back_payment_required"
    make_user("township_office", person.village.parent, username="town1", last_name="陈", first_name="海燕")
    make_user("reviewer", policy.region, username="reviewer1", last_name="王", first_name="建国")
    return person


def test_township_enters_reviewer_approves_and_the_waiting_payment_is_credited(live_server, window):
    base = live_server.url
    with chromium() as browser:
        page = new_page(browser)
        log_in(page, base, "town1", PASSWORD)
        page.goto(f"{base}/backpay/")
        page.click("#new-backpay")
        page.fill("#id_id_no", window.id_no)
        page.press("#id_id_no", "Enter")
        page.wait_for_selector("#intake")
        assert window.id_no not in page.url
        assert "2025" in page.inner_text("#waiting-payments")
        page.check("#intake input[name=years][value='2025']")
        page.select_option("#id_tier", "500.00")
        page.click("button[value=check]")
        page.wait_for_selector("#assessment")
        assert "500.00" in page.inner_text("#assessment")
        shot(page, "township", "backpay-intake")
        assert not axe_violations(page), describe(axe_violations(page))
        page.click("button[value=submit]")
        page.wait_for_selector("#steps")
        assert "陈海燕" in page.inner_text("#steps")
        assert not page.is_visible("#approve")
        shot(page, "township", "backpay-detail")
        log_out(page)

        log_in(page, base, "reviewer1", PASSWORD)
        page.goto(f"{base}/backpay/")
        page.wait_for_selector("#applications a[href^='/backpay/']")
        shot(page, "reviewer", "backpay-list")
        page.click("#applications a[href^='/backpay/']")
        page.click("#approve")
        page.wait_for_selector("ul.messages li.success")
        years = page.inner_text("#years")
        assert "已缴费到账" in years and "YS" in years  # credited against its receivable
        assert "王建国" in page.inner_text("#steps")
        shot(page, "reviewer", "backpay-approved")
        assert not axe_violations(page), describe(axe_violations(page))

        href = page.get_attribute("#print-form", "href")
        response = page.request.get(f"{base}{href}")
        assert response.status == 200 and response.body().startswith(b"%PDF")

        page.click("#person-link")
        page.wait_for_selector("#person-back-payments")
        account = page.inner_text("main")
        assert "补缴" in account
        shot(page, "reviewer", "backpay-person")
