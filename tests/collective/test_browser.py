"""Collective subsidy in a real browser (Debian's Chromium driven by Playwright): the village
accountant uploads a roster with errors, downloads the error sheet, uploads the corrected file and
submits it; one reviewer does the first review, another approves, and the payment notice prints."""

from __future__ import annotations

import io
import os

import openpyxl
import pytest
from django.utils import timezone

from tests.collective.conftest import TODAY, paid_member, rows_of, xlsx_file
from tests.factories import FilingFactory, OrganisationFactory, PolicyYearFactory, first_village, make_user

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-test-123"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test installs it)"),
]


@pytest.fixture
def village_files(transactional_db, monkeypatch, tmp_path):
    # Set up before the browser starts: ORM calls made while Playwright's greenlet is running get a
    # connection of their own that nothing closes.
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)  # the live server's thread too
    policy = PolicyYearFactory()
    village = first_village(policy.region)
    accountant = make_user("village_accountant", village, username="village1", last_name="刘", first_name="春生")
    make_user("reviewer", policy.region, username="reviewer1", last_name="王", first_name="建国")
    make_user("reviewer", policy.region, username="reviewer2", last_name="赵", first_name="丽华")
    organisation = OrganisationFactory(village=village, name="测试一村股份经济合作社", created_by=accountant)
    FilingFactory(organisation=organisation, region=village, created_by=accountant)
    members = [paid_member(village) for _ in range(3)]
    rows = rows_of(members)
    wrong = [list(r) for r in rows]
    wrong[1][3] = "2.11370E+17"
    wrong[2][4] = "200.005"
    files = {"wrong": tmp_path / "名单-有错.xlsx", "right": tmp_path / "名单.xlsx"}
    files["wrong"].write_bytes(xlsx_file(wrong))
    files["right"].write_bytes(xlsx_file(rows))
    return files


@pytest.fixture
def page(village_files):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True)
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


def test_village_uploads_fixes_submits_reviewers_approve_and_the_payment_notice_prints(
    live_server, village_files, page, tmp_path
):
    base = live_server.url
    _log_in(page, base, "village1")
    page.click("header.top nav a[href='/collective/']")
    page.click("#filings a")
    page.set_input_files("#id_file", str(village_files["wrong"]))
    page.click("#upload")
    page.wait_for_selector("#upload-errors")
    errors = page.inner_text("#error-table")
    assert "2.11370E+17" in errors and "补助金（资助）金额" in errors
    page.screenshot(path="/tmp/collective_upload_errors.png", full_page=True)

    with page.expect_download() as download:
        page.click("#error-sheet")
    sheet_path = tmp_path / download.value.suggested_filename
    download.value.save_as(sheet_path)
    sheet = openpyxl.load_workbook(sheet_path).worksheets[0]
    assert sheet.cell(row=3, column=7).value.startswith("公民身份号码")
    assert sheet.cell(row=4, column=7).value.startswith("补助金（资助）金额")

    page.set_input_files("#id_file", str(village_files["right"]))
    page.click("#upload")
    page.wait_for_selector("#submit")
    assert "600.00" in page.inner_text("#roster-total")
    page.screenshot(path="/tmp/collective_roster_draft.png", full_page=True)
    page.click("#submit")
    page.wait_for_selector("ul.messages li.success")
    roster_url = page.url
    _log_out(page)

    _log_in(page, base, "reviewer1")
    page.goto(f"{base}/collective/")
    assert roster_url.rstrip("/").rsplit("/", 1)[-1] in page.inner_html("#queue")
    page.goto(roster_url)
    page.click("#review")
    page.wait_for_selector("#first-reviewer")
    _log_out(page)

    _log_in(page, base, "reviewer2")
    page.goto(roster_url)
    page.click("#approve")
    page.wait_for_selector("#print-notice")
    page.screenshot(path="/tmp/collective_roster_approved.png", full_page=True)
    steps = page.inner_text("#steps")
    assert "刘春生" in steps and "王建国" in steps and "赵丽华" in steps

    href = page.get_attribute("#print-notice", "href")
    response = page.request.get(f"{base}{href}")
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    assert io.BytesIO(response.body()).getbuffer().nbytes > 1000
