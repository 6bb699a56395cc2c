"""What the browser tests share: Debian's Chromium driven by Playwright, the folder every page's
screenshot goes to, and the accessibility check with axe-core served from the project's own
static files (static/vendor/axe-core; no CDN).

Screenshots go to `tests/screenshots/` (ignored by git), or to the folder `SCREENSHOTS` names;
one PNG a page, named `<role>--<page>.png`, so a run leaves every page of every role in one place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
HAS_CHROMIUM = os.path.exists(CHROMIUM)
ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = Path(os.environ.get("SCREENSHOTS") or ROOT / "tests" / "screenshots")
AXE_URL = "/static/vendor/axe-core/axe.min.js"
# What the check refuses; moderate and minor findings are reported in the message, not failed.
BLOCKING_IMPACTS = {"serious", "critical"}
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Any]:
    """A browser for the test's duration. Playwright's sync API runs an event loop in this thread,
    so Django's async-safety check is lifted while it runs."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def new_page(browser: Any) -> Any:
    return browser.new_page(locale="zh-CN", viewport={"width": 1280, "height": 900})


def log_in(page: Any, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_selector("header.top")


def log_out(page: Any) -> None:
    page.click("header.top .who button")
    page.wait_for_selector("#id_username")


def shot(page: Any, role: str, name: str) -> Path:
    """Save the whole page as `<role>--<name>.png` in the screenshot folder."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{role}--{re.sub(r'[^0-9A-Za-z_.-]+', '-', name).strip('-')}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it stands; the serious and critical violations."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_URL)
    results = page.evaluate("async () => await window.axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    return "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}" for v in violations
    )
