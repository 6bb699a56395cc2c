"""Batch printing in a real browser (Debian's Chromium driven by Playwright): the auditor opens 批量打印
from the menu, sees how many of this month's application forms the filters select, prints them and
downloads one file from the job's page; the print log then lists them."""

from __future__ import annotations

import io
import os

import pytest
from django.utils import timezone
from pypdf import PdfReader

from insured.models import Role
from tests.factories import InsuredPersonFactory, SponsorshipApplicationFactory, make_user, region_tree

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-test-123"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test installs it)"),
]


@pytest.fixture
def window(transactional_db):
    # Set up before the browser starts: ORM calls made while Playwright's greenlet is running
    # get a connection of their own that nothing closes.
    tree = region_tree()
    clerk = make_user(Role.CLERK, tree["county"], username="clerk-w")
    reviewer = make_user(Role.REVIEWER, tree["county"], username="reviewer-w")
    make_user(Role.AUDITOR, tree["county"], username="auditor-w", last_name="周", first_name="审计")
    numbers = []
    for n, status in enumerate(["submitted", "approved", "approved", "rejected"]):
        person = InsuredPersonFactory(village=tree["village11"], name=f"受助人{n}")
        reviewed = {"reviewed_by": reviewer, "reviewed_at": timezone.now()} if status != "submitted" else {}
        numbers.append(
            SponsorshipApplicationFactory(beneficiary=person, submitted_by=clerk, status=status, **reviewed).number
        )
    return numbers


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


def test_the_auditor_prints_a_month_of_applications_as_one_file(live_server, window, page):
    base = live_server.url
    page.goto(f"{base}/login/")
    page.fill("#id_username", "auditor-w")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("header.top")

    page.click("header.top nav a[href='/printing/batch/']")
    page.click("#batch-filters button[type=submit]")
    page.wait_for_selector("#batch-count")
    preview = page.inner_text("#batch-preview")
    assert all(number in preview for number in window)
    page.screenshot(path="/tmp/print_batch.png", full_page=True)

    page.click("#batch-print")
    page.wait_for_selector("#job-download")  # Celery runs in process: the job is done when the page opens
    assert page.get_attribute("#job-progress", "value") == page.get_attribute("#job-progress", "max") == "5"
    page.screenshot(path="/tmp/print_batch_job.png", full_page=True)
    response = page.request.get(f"{base}{page.get_attribute('#job-download', 'href')}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.body()))
    assert len(reader.pages) == len(window)
    assert "不得作为签字确认和缴费依据" in reader.pages[0].extract_text()

    page.click("header.top nav a[href='/printing/log/']")
    log = page.inner_text("#print-log")
    assert all(number in log for number in window) and "周审计" in log
    page.screenshot(path="/tmp/print_log.png", full_page=True)
