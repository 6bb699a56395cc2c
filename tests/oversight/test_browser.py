"""The progress page in a real browser (Debian's Chromium driven by Playwright): the charts are drawn
from the page's tables with the vendored Chart.js under the Content-Security-Policy, a bar opens its
township, a row opens its village; with scripts off the same numbers are there."""

from __future__ import annotations

import os

import pytest

from insured.models import Role
from oversight.services.progress import progress_refresh_region
from tests.factories import make_user
from tests.oversight.conftest import build_world

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "pw-test-123"
QUERY = "year=2026&date=2026-03-31"
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium (make test installs it)"),
]


@pytest.fixture
def county(transactional_db):
    # Built before the browser starts: ORM calls made while Playwright's greenlet runs get a
    # connection of their own that nothing closes.
    world = build_world()
    progress_refresh_region(world.county, (2025, 2026))
    make_user(Role.CLERK, world.county, username="clerk1", last_name="李", first_name="晓梅")
    return world


@pytest.fixture
def browser(county):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield launched
        launched.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", "clerk1")
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("header.top")


def _chart(page, box: str) -> dict:
    return page.evaluate(
        "(box) => { const c = Chart.getChart(document.querySelector(box + ' canvas'));"
        " return {labels: c.data.labels, data: c.data.datasets.map(d => d.data)}; }",
        box,
    )


def test_read_the_charts_and_drill_down_to_a_village(live_server, county, browser):
    page = browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    _log_in(page, live_server.url)
    page.click("header.top nav a[href='/oversight/progress/']")
    page.goto(f"{live_server.url}/oversight/progress/?{QUERY}")
    page.wait_for_selector("#rate-chart:not([hidden]) canvas")
    bars = _chart(page, "#rate-chart")
    assert bars["labels"] == [county.tree["township1"].name, county.tree["township2"].name]
    assert bars["data"] == [[60, 66.7], [40, 0]]
    line = _chart(page, "#week-chart")
    weeks = dict(zip(line["labels"], line["data"][0], strict=True))
    assert weeks["3/30"] == 5 and weeks["4/6"] is None
    assert page.inner_text("#total-rate").strip() == "62.5%"

    # Click the first township's bar: its page opens.
    point = page.evaluate(
        "() => { const c = Chart.getChart(document.querySelector('#rate-chart canvas'));"
        " const bar = c.getDatasetMeta(0).data[0]; const r = c.canvas.getBoundingClientRect();"
        " return {x: r.left + bar.x, y: r.top + (bar.y + bar.base) / 2}; }"
    )
    page.mouse.click(point["x"], point["y"])
    page.wait_for_url(f"**region={county.tree['township1'].code}**")
    page.wait_for_selector("#rate-chart:not([hidden]) canvas")
    assert _chart(page, "#rate-chart")["labels"] == [county.tree["village11"].name, county.tree["village12"].name]

    page.click(f"#progress-lines a:text('{county.tree['village11'].name}')")
    page.wait_for_url(f"**region={county.tree['village11'].code}**")
    assert page.inner_text("#total-paid").strip() == "3"
    assert page.locator("#rate-chart").count() == 0  # a village has no regions below
    page.wait_for_selector("#week-chart:not([hidden]) canvas")
    assert county.tree["township1"].name in page.inner_text("#trail")
    assert refused == []


def test_without_scripts_the_numbers_are_there(live_server, county, browser):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    _log_in(page, live_server.url)
    page.goto(f"{live_server.url}/oversight/progress/?{QUERY}")
    assert page.locator("#rate-chart").is_hidden()
    rows = page.locator("#progress-lines tbody tr")
    assert rows.count() == 3
    assert "60.0%" in rows.nth(0).inner_text() and "62.5%" in rows.nth(2).inner_text()
    assert page.locator("#progress-weeks tbody tr").count() == 53
    context.close()
