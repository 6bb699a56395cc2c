"""The README's demo walk-through, followed as a new colleague would: a fresh demo on SQLite,
served by `manage.py runserver` with the demo's own settings (DEBUG off, static files by
WhiteNoise), clicked through in Chromium, with the README's shell commands run as written there.

Then every page of every role is opened and saved as a screenshot (tests/browser.py says
where), and the main pages are checked with axe-core: no serious or critical violation.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.browser import HAS_CHROMIUM, axe_violations, chromium, describe, log_in, log_out, new_page, shot

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
SPONSOR_ID = "211370198506013215"  # the README's example sponsor
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Debian's chromium (make test installs it)"),
]


def _password(username: str) -> str:
    return f"demo-{username}-2026"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, f"{args}: {result.stdout[-2000:]}{result.stderr[-3000:]}"
    return result.stdout


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`make run`'s steps (migrate, load_demo, runserver) on a fresh SQLite file: (base URL, env, tmp)."""
    tmp = tmp_path_factory.mktemp("demo")
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL", "DEBUG")}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.dev", "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}"}
    _manage(env, "migrate", "--noinput", "-v0")
    _manage(env, "load_demo")
    host = f"127.0.0.1:{_free_port()}"
    log = (tmp / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", host, "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(f"http://{host}/login/")
        yield f"http://{host}", env | {"HOST": host}, tmp
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def browser():
    with chromium() as browser:
        yield browser


def _readme_block(after: str) -> str:
    """The first ```sh block after the given text in the README."""
    start = README.index(after)
    match = re.search(r"```sh\n(.*?)```", README[start:], re.S)
    assert match, f"no shell block after {after!r}"
    return "\n".join(line.strip() for line in match.group(1).splitlines())


def _go(page, selector: str) -> None:
    """Click and wait for the page it opens."""
    with page.expect_navigation():
        page.click(selector)


def _click_text(page, text: str, within: str = "main", role: str = "link") -> None:
    """Click the link or button the README names, by the words it uses."""
    assert text in README, f"the README no longer names {text!r}"
    with page.expect_navigation():
        page.locator(within).get_by_role(role, name=re.compile(re.escape(text))).first.click()


def test_the_readmes_walkthrough_holds(demo, browser):
    base, env, tmp = demo
    page = new_page(browser)

    # 2. The clerk finds a person who has paid this year and reads the account.
    log_in(page, base, "clerk", _password("clerk"))
    _click_text(page, "参保人", within="header.top nav")
    page.select_option("#id_payment", "own")
    _go(page, "#person-filters button[type=submit]")
    page.wait_for_selector("#persons tbody a")
    shot(page, "clerk", "persons-paid")
    _go(page, "#persons tbody a")
    page.wait_for_selector("#standing")
    assert "电子税票号码" in page.inner_text("main")
    id_no = page.inner_text("dl.facts dd").strip()
    assert re.fullmatch(r"[0-9]{17}[0-9X]", id_no)
    name = page.inner_text("h1").split()[0]
    room = page.inner_text("#standing .stat:nth-child(4) .n")

    # 3. The counter: the ID typed and Enter, then the sponsor, a check and the entry.
    _click_text(page, "个人资助", within="header.top nav")
    _click_text(page, "窗口受理新申请")
    page.wait_for_selector("#id_id_no:focus")  # the cursor starts in the ID field
    page.keyboard.type(id_no)
    page.keyboard.press("Enter")
    page.wait_for_selector("#beneficiary")
    assert name in page.inner_text("#beneficiary")
    page.wait_for_selector("#id_sponsor_name:focus")  # and moves to the sponsor's name
    page.keyboard.type("王大军")
    page.fill("#id_sponsor_id_no", SPONSOR_ID)
    page.fill("#id_sponsor_phone", "13800000000")
    page.select_option("#id_relation", "child")
    page.fill("#id_amount", "1000.00")
    _click_text(page, "规则校验", role="button")
    page.wait_for_selector("#check-result")
    shot(page, "clerk", "counter-checked")
    assert room != "—"
    _click_text(page, "受理申请", role="button")
    page.wait_for_selector("#steps")
    number = page.inner_text("h1").split()[0].removeprefix("个人资助申请")
    log_out(page)

    # 4. The reviewer sees the cap and what approving leaves, and approves.
    log_in(page, base, "reviewer", _password("reviewer"))
    _click_text(page, "个人资助", within="header.top nav")
    assert "待我审核" in README and "待我审核" in page.inner_text("#tabs")
    with page.expect_navigation():
        page.get_by_role("link", name=number).click()
    page.wait_for_selector("#standing-after")
    assert "1,000.00" in page.inner_text("#standing-after")
    shot(page, "reviewer", "sponsorship-review")
    _click_text(page, "审核通过", role="button")
    page.wait_for_selector("#print-form")
    log_out(page)

    # 5. The clerk prints the form and records the signatures.
    log_in(page, base, "clerk", _password("clerk"))
    _click_text(page, "个人资助", within="header.top nav")
    _go(page, "#tabs a:has-text('全部')")
    with page.expect_navigation():
        page.get_by_role("link", name=number).click()
    assert "打印申请表" in page.inner_text("#actions")
    pdf = page.request.get(base + page.get_attribute("#print-form", "href"))
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF")
    _click_text(page, "登记签字确认", role="button")
    page.wait_for_selector("ul.messages li.success")
    application_url = page.url

    # 6. The README's commands, as written (the file in this test's own folder).
    script = _readme_block("Only now make the demo's notice batch").replace("/tmp/batch.json", str(tmp / "batch.json"))
    pushed = subprocess.run(["bash", "-ec", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert pushed.returncode == 0, pushed.stderr
    assert '"status"' in pushed.stdout and "unmatched" in pushed.stdout, pushed.stdout

    # 7. Paid and credited; the batch and its unmatched notice where the README says.
    page.goto(application_url)
    assert "已到账记入个人账户" in page.inner_text("h1")
    _go(page, "#beneficiary-link")
    page.wait_for_selector("details.year")
    account = page.inner_text("details.year[open]")
    assert number in account and "电子税票号码" in account
    shot(page, "clerk", "person-after-credit")
    _click_text(page, "到账信息", within="header.top nav")
    assert page.locator("table tbody tr").count() >= 1
    _click_text(page, "手工划账", within="header.top nav")
    queue = page.inner_text("#queue")
    assert "不是该年度的缴费档次" in queue
    shot(page, "clerk", "queue-after-push")
    log_out(page)

    # 8. The village accountant: paid and unpaid in 南关村, no balances; elsewhere is not found.
    log_in(page, base, "village", _password("village"))
    assert "南关村" in page.inner_text("header.top")
    _go(page, "#stat-unpaid")
    page.wait_for_selector("#persons")
    assert "未缴费" in page.inner_text("#persons")
    assert "储存额" not in page.inner_text("main")
    shot(page, "village", "unpaid")
    response = page.goto(f"{base}/persons/999999/")
    assert response.status == 404
    assert "未找到" in page.inner_text("main") and "URLconf" not in page.content()
    page.close()


# --- Every page of every role, as a screenshot; the main pages checked with axe-core ------------

# Besides every entry of each role's own menu (followed from the page itself), the pages of one
# record of each kind; `{person}` and the like are filled from the demo's own database. The flag
# says whether axe-core checks the page too (the main pages of each role's daily work).
DETAILS: dict[str, list[tuple[str, str, bool]]] = {
    "clerk": [
        ("person", "/persons/{person}/", True),
        ("person-edit", "/persons/{person}/edit/", True),
        ("assign", "/payments/queue/{notice}/assign/", False),
        ("batch", "/payments/batches/{batch}/", False),
        ("counter", "/sponsorship/new/", True),
        ("application", "/sponsorship/{application}/", True),
        ("sponsorship-verify", "/sponsorship/verify/", False),
        ("reconciliation-month", "/reconciliation/?period=month&date={today}", False),
        ("roster", "/collective/rosters/{roster}/", False),
        ("refund", "/refunds/{refund}/", False),
    ],
    "reviewer": [
        ("application", "/sponsorship/{application}/", False),
        ("roster", "/collective/rosters/{roster}/", True),
    ],
    "finance": [("refund", "/refunds/{refund}/", True)],
    "auditor": [("person", "/persons/{person}/", False), ("filing", "/collective/filings/{filing}/", False)],
    "township": [("person", "/persons/{person}/", False), ("refund", "/refunds/{refund}/", True)],
    "village": [
        ("person", "/persons/{person}/", True),
        ("organisation", "/collective/organisations/{organisation}/", False),
        ("filing", "/collective/filings/{filing}/", True),
        ("not-found", "/persons/{elsewhere}/", True),
        ("refused", "/payments/queue/", True),
    ],
}
# Menu pages axe-core checks (by their path), whoever opens them.
CHECKED_MENU = {"/", "/persons/", "/payments/queue/", "/payments/receivables/", "/sponsorship/", "/reconciliation/"}


def _ids(tmp: Path) -> dict[str, object]:
    """Records to open, read from the demo's database: a person of 南关村 (the village user's),
    one elsewhere, a batch, the unmatched notice, the walk-through's application, 南关村's
    organisation and plan, a roster, a refund of 城关镇."""
    import datetime as dt
    import sqlite3

    db = sqlite3.connect(tmp / "demo.sqlite3")
    try:
        one = lambda sql: db.execute(sql).fetchone()[0]  # noqa: E731
        village = "SELECT id FROM insured_region WHERE code = '211370100200'"
        return {
            "person": one(f"SELECT min(id) FROM insured_insuredperson WHERE village_id = ({village})"),
            "elsewhere": one(
                "SELECT min(p.id) FROM insured_insuredperson p JOIN insured_region r ON r.id = p.village_id "
                "WHERE r.code LIKE '211370200%'"
            ),
            "batch": one("SELECT max(id) FROM payments_noticebatch"),
            "notice": one("SELECT min(id) FROM payments_arrivalnotice WHERE state = 'unmatched'"),
            "application": one("SELECT max(id) FROM subsidy_sponsorshipapplication"),
            "organisation": one(f"SELECT min(id) FROM collective_organisation WHERE village_id = ({village})"),
            "filing": one(
                "SELECT min(f.id) FROM collective_filing f JOIN collective_organisation o ON o.id = f.organisation_id "
                f"WHERE o.village_id = ({village})"
            ),
            "roster": one("SELECT max(id) FROM collective_roster"),
            "refund": one("SELECT max(id) FROM refunds_refundapplication"),
            "today": dt.date.today().isoformat(),
        }
    finally:
        db.close()


def test_every_page_of_every_role_is_saved_and_the_main_pages_pass_axe(demo, browser):
    base, _env, tmp = demo
    ids = _ids(tmp)
    failures: dict[str, str] = {}
    page = new_page(browser)

    checked: set[str] = set()  # each page's markup is checked once, by the first role that opens it

    def visit(role: str, name: str, path: str, check: bool) -> None:
        response = page.goto(base + path)
        assert response.status in (200, 403, 404), f"{role} {path}: {response.status}"
        shot(page, role, name)
        if check and path not in checked and (found := axe_violations(page)):
            failures[f"{role} {name}"] = describe(found)
        checked.add(path)

    visit("anonymous", "login", "/login/", True)
    for role in ("clerk", "reviewer", "finance", "auditor", "township", "village", "admin"):
        log_in(page, base, role, _password(role))
        menu = page.eval_on_selector_all("header.top nav a", "links => links.map(a => a.getAttribute('href'))")
        for path in menu:
            if not path.startswith("/api/"):  # Swagger's own page, not ours
                visit(role, path.strip("/").replace("/", "-") or "home", path, path in CHECKED_MENU)
        for name, path, check in DETAILS.get(role, []):
            visit(role, name, path.format(**ids), check)
        page.goto(f"{base}/")
        log_out(page)
    page.close()
    assert failures == {}
