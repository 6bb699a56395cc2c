"""A clerk in a real browser (Debian's Chromium driven by Playwright): log in, find a person
by ID, open the account."""

import datetime as dt
import os

import pytest

from tests.accounts import credit
from tests.factories import InsuredPersonFactory, PolicyYearFactory, first_village, make_user

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test installs it)"),
]


@pytest.fixture
def browser_page():
    # Playwright's sync API runs an event loop in this thread; the test's own ORM calls are
    # ordinary synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        page = browser.new_page(locale="en-US")
        yield page
        browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


@pytest.fixture
def person_with_account(transactional_db):
    # Set up before the browser starts: ORM calls made while Playwright's greenlet is running
    # get a connection of their own that nothing closes.
    policy = PolicyYearFactory()
    person = InsuredPersonFactory(village=first_village(policy.region), name="张桂兰")
    credit(person, year=2026, amount="1000.00", paid_on=dt.date(2026, 3, 2))
    make_user("clerk", policy.region, username="clerk1")
    return person


def test_clerk_finds_a_person_and_sees_the_account(live_server, person_with_account, browser_page):
    person = person_with_account
    page = browser_page
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", "clerk1")
    page.fill("#id_password", "pw-test-123")
    page.click("main button[type=submit]")
    page.fill("input[name=q]", person.id_no)
    page.click("main button[type=submit]")

    page.wait_for_selector("text=个人账户")
    body = page.inner_text("main")
    assert "张桂兰" in body
    assert person.id_no in body
    assert "1,000.00" in body and "100.00" in body  # own contribution and its tier's subsidy
    assert "储存额1,100.00元" in body
