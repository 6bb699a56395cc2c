"""The pages as a clerk, a reviewer and a village accountant meet them (issue 13), in Chromium on
PostgreSQL: a record saves as loaded (item 1), the reviewer sees the cap (6), the person list
filters, sorts by pinyin and pages with numbers (7), the village sees who has paid (8), the
counter is a keyboard job (11), refused and missing pages are the product's own (12)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from insured.models import InsuredPerson
from subsidy import services
from tests.accounts import credit
from tests.browser import HAS_CHROMIUM, chromium, log_in, log_out, new_page, shot
from tests.factories import InsuredPersonFactory, PolicyYearFactory, make_id_no, make_user, region_tree

TODAY = dt.date(2026, 11, 22)
PASSWORD = "pw-test-123"
SPONSOR_ID = make_id_no(dt.date(1985, 6, 1), 321)
pytestmark = [
    pytest.mark.integration,
    # For the test database to be set up; the data itself is the module's (see `county`).
    pytest.mark.django_db,
    pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Debian's chromium (make test installs it)"),
]


@pytest.fixture
def browser():
    # One a test, started after the test's database set-up: while Playwright's event loop runs,
    # Django opens connections of its own for that context, which nothing would close.
    with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
def county(django_db_setup, django_db_blocker):
    """One county for the whole module, committed so the server sees it, and flushed after. The
    tests only drive the browser (an ORM call made while Playwright's loop runs would get a
    connection of its own that nothing closes). Names chosen so that pinyin order (a, chen,
    wang, zhang) differs from code-point order (张 王 阿 陈)."""
    with pytest.MonkeyPatch.context() as patch, django_db_blocker.unblock():
        patch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)  # the server's thread too
        try:
            yield _county()
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def server(county):
    """The module's own server: pytest-django's would empty the database after every test."""
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1:0")
    try:
        yield server
    finally:
        server.stop()


def _county():
    tree = region_tree()
    PolicyYearFactory(region=tree["county"])
    seq = iter(range(1, 500))

    def person(village: str, name: str, **extra) -> InsuredPerson:
        return InsuredPersonFactory(
            village=tree[village], name=name, id_no=make_id_no(dt.date(1970, 1, 1), next(seq)), **extra
        )

    people = {
        "张": person("village11", "张三丰", enrolled_on=dt.date(2019, 7, 4)),
        "王": person("village11", "王秀兰"),
        "阿": person("village21", "阿依古丽"),
        "陈": person("village12", "陈丽"),
    }
    credit(people["王"], year=2026, amount="500.00", paid_on=dt.date(2026, 3, 2))
    credit(people["陈"], year=2026, amount="1000.00", paid_on=dt.date(2026, 4, 9))
    for i in range(26):  # a second page for the county's staff
        person("village22", f"赵{i:02d}")
    users = {
        "clerk": make_user("clerk", tree["county"], username="clerk1", last_name="李", first_name="春梅"),
        "reviewer": make_user("reviewer", tree["county"], username="reviewer1", last_name="赵", first_name="建国"),
        "village": make_user(
            "village_accountant", tree["village11"], username="village1", last_name="刘", first_name="春生"
        ),
    }
    data = services.SponsorshipInput(
        "王大军", SPONSOR_ID, "13800000000", "child", people["陈"], 2026, Decimal("1500.00")
    )
    application = services.application_submit(data, user=users["clerk"], agency_region=tree["county"], today=TODAY)
    return tree, people, users, application


@pytest.fixture
def page(browser):
    page = new_page(browser)
    yield page
    page.close()


def test_a_person_saves_as_loaded_and_registration_keeps_its_default_date(server, county, page):
    """Item 1: the enrolment date renders as the browser's date input expects, so 保存 without
    touching it saves; the register form's default date is today, and registering takes it."""
    _tree, people, _users, _application = county
    base = server.url
    log_in(page, base, "clerk1", PASSWORD)
    page.goto(f"{base}/persons/{people['张'].pk}/edit/")
    assert page.input_value("#id_enrolled_on") == "2019-07-04"
    page.fill("#id_phone", "13912345678")
    shot(page, "clerk", "item1-person-edit")
    page.click("main button[type=submit]")
    page.wait_for_selector("ul.messages li.success")
    assert "修改已保存" in page.inner_text("ul.messages")
    assert "2019年7月4日" in page.inner_text("dl.facts")

    page.goto(f"{base}/persons/new/")
    assert page.input_value("#id_enrolled_on") == TODAY.isoformat()
    page.fill("#id_id_no", make_id_no(dt.date(1980, 5, 5), 401))
    page.fill("#id_name", "钱新民")
    page.select_option("#id_village", label="测试县第2镇 测试县第2镇2村")
    shot(page, "clerk", "item1-person-register")
    page.click("main button[type=submit]")
    page.wait_for_selector("ul.messages li.success")
    assert "钱新民已完成参保登记" in page.inner_text("ul.messages")
    assert "2026年11月22日" in page.inner_text("dl.facts")


def test_the_reviewer_sees_the_cap_and_what_approving_leaves(server, county, page):
    """Item 6."""
    *_rest, application = county
    base = server.url
    log_in(page, base, "reviewer1", PASSWORD)
    page.click("header.top nav a[href='/sponsorship/']")
    page.get_by_role("link", name=application.number).click()
    standing = page.inner_text("#standing")
    assert "5,000.00" in standing and "1,000.00" in standing  # the cap; the own contribution that arrived
    after = page.inner_text("#standing-after")
    assert "审核通过后" in after and "3,500.00" in after and "1,500.00" in after
    shot(page, "reviewer", "item6-before-approval")
    page.click("#approve")
    page.wait_for_selector("#counted")
    assert "1,500.00" in page.inner_text("#standing")


def _listed(page) -> list[str]:
    return [name.strip() for name in page.locator("#persons tbody tr td:first-child").all_inner_texts()]


def test_the_person_list_filters_sorts_by_pinyin_pages_and_exports(server, county, page):
    """Item 7."""
    tree, _people, _users, _application = county
    base = server.url
    log_in(page, base, "clerk1", PASSWORD)
    page.click("header.top nav a[href='/persons/']")
    assert page.locator("#persons tbody tr").count() == 25  # the list before any search
    page.select_option("#id_township", tree["township1"].code)
    page.click("#person-filters button[type=submit]")
    page.wait_for_url(re.compile(r"township="))
    assert _listed(page) == ["陈丽", "王秀兰", "张三丰"]  # chen, wang, zhang
    shot(page, "clerk", "item7-persons-township")
    page.click("text=显示全部")
    page.wait_for_selector("nav.pager")
    assert _listed(page)[0] == "阿依古丽"
    total = int(re.search(r"共(\d+)名", page.inner_text("#list-count")).group(1))
    assert total >= 30
    page.click("nav.pager a:text-is('2')")
    page.wait_for_selector("nav.pager strong[aria-current=page]:text-is('2')")
    assert page.locator("#persons tbody tr").count() == total - 25
    with page.expect_download() as download:
        page.click("#export")
    assert download.value.suggested_filename.startswith("persons-")


def test_the_village_accountant_sees_who_has_paid_and_the_tier_without_balances(server, county, page):
    """Item 8."""
    _tree, _people, _users, _application = county
    base = server.url
    log_in(page, base, "village1", PASSWORD)
    assert page.inner_text("#stat-unpaid .n") == "1"
    shot(page, "village", "item8-home")
    page.click("#stat-unpaid")
    page.wait_for_selector("#persons")
    assert _listed(page) == ["张三丰"]
    page.goto(f"{base}/persons/")
    rows = page.inner_text("#persons")
    assert "王秀兰" in rows and "已缴费" in rows and "500.00" in rows and "未缴费" in rows
    assert "陈丽" not in rows  # another village
    shot(page, "village", "item8-persons")
    page.click("text=王秀兰")
    page.wait_for_selector("#contribution")
    assert "缴费档次500.00元" in page.inner_text("#contribution")
    main = page.inner_text("main")
    assert "储存额" not in main and "个人账户" not in main and "剩余额度" not in main


def test_the_counter_is_a_keyboard_job(server, county, page):
    """Item 11: the cursor starts in the ID field; a card reader types the ID and Enter; the
    cursor then goes to the sponsor, and Tab follows the form."""
    _tree, people, _users, _application = county
    base = server.url
    log_in(page, base, "clerk1", PASSWORD)
    page.goto(f"{base}/sponsorship/new/")
    assert page.evaluate("document.activeElement.id") == "id_id_no"
    page.keyboard.type(people["王"].id_no.lower())  # a reader may send a lower-case x: it is read alike
    page.keyboard.press("Enter")
    page.wait_for_selector("#beneficiary")
    assert "王秀兰" in page.inner_text("#beneficiary")
    assert page.evaluate("document.activeElement.id") == "id_sponsor_name"
    order = []
    for _ in range(7):
        order.append(page.evaluate("document.activeElement.id || document.activeElement.value"))
        page.keyboard.press("Tab")
    assert order == [
        "id_sponsor_name",
        "id_sponsor_id_no",
        "id_sponsor_phone",
        "id_relation",
        "id_amount",
        "id_year",
        "check",
    ]
    page.fill("#id_sponsor_name", "王大军")
    page.fill("#id_sponsor_id_no", SPONSOR_ID)
    page.fill("#id_sponsor_phone", "13800000000")
    page.fill("#id_amount", "1000")
    page.click("button[value=check]")
    page.wait_for_selector("#check-result")
    assert page.evaluate("document.activeElement.id") == "enter-application"  # Enter now enters it
    shot(page, "clerk", "item11-counter")
    page.keyboard.press("Enter")
    page.wait_for_selector("#steps")


def test_refused_and_missing_pages_are_the_products_own_and_the_api_is_not_in_the_village_menu(server, county, page):
    """Item 12."""
    _tree, people, _users, _application = county
    base = server.url
    log_in(page, base, "village1", PASSWORD)
    menu = page.inner_text("header.top nav")
    assert "API" not in menu and page.locator("header.top a[href='/api/docs/']").count() == 0
    missing = page.goto(f"{base}/persons/{people['阿'].pk}/")  # another village's person
    assert missing.status == 404
    assert "未找到" in page.inner_text("main") and "阿依古丽" not in page.content()
    shot(page, "village", "item12-not-found")
    refused = page.goto(f"{base}/payments/queue/")
    assert refused.status == 403
    assert "无权访问" in page.inner_text("main")
    shot(page, "village", "item12-refused")
    page.goto(f"{base}/")
    log_out(page)
    log_in(page, base, "clerk1", PASSWORD)
    assert page.locator("header.top a[href='/api/docs/']").count() == 1  # the roles that use the API
