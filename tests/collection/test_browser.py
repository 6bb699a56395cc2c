"""A department's list imported in a real browser (Debian's Chromium driven by Playwright): the clerk
uploads a list with an error and sees it row by row, uploads the corrected list and lands on its
difference page, filters it to the persons to follow up; the pages pass the accessibility check."""

from __future__ import annotations

import datetime as dt

import pytest

from insured.models import Role, SpecialGroupMembership
from tests.browser import HAS_CHROMIUM, axe_violations, chromium, describe, log_in, new_page, shot
from tests.collection.conftest import list_csv
from tests.factories import (
    InsuredPersonFactory,
    MembershipFactory,
    PolicyYearFactory,
    make_id_no,
    make_user,
    region_tree,
)

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(not HAS_CHROMIUM, reason="needs Debian's chromium (make test installs it)"),
]


@pytest.fixture
def county(transactional_db, tmp_path):
    # Built before the browser starts: ORM calls made while Playwright's greenlet runs get a
    # connection of their own that nothing closes.
    tree = region_tree()
    PolicyYearFactory(region=tree["county"], year=dt.date.today().year)
    make_user(Role.CLERK, tree["county"], username="clerk1")
    stays, leaves, new = (
        InsuredPersonFactory(village=tree["village11"], id_no=make_id_no(dt.date(1970, 1, 1), n)) for n in (1, 2, 3)
    )
    MembershipFactory(person=stays)
    MembershipFactory(person=leaves)
    rows = [(stays.id_no, stays.name, "低保对象"), (new.id_no, new.name, "低保对象")]
    stranger = (make_id_no(dt.date(1985, 2, 2), 9), "未登记人", "特困人员")
    bad = tmp_path / "民政局-错误.csv"
    bad.write_bytes(list_csv([*rows, (stranger[0], stranger[1], "低收入户")], encoding="gb18030"))
    good = tmp_path / "民政局.csv"
    good.write_bytes(list_csv([*rows, stranger], encoding="gb18030"))
    return {"tree": tree, "stays": stays, "leaves": leaves, "new": new, "bad": bad, "good": good}


def test_import_a_list_and_read_its_difference(live_server, county):
    month = dt.date.today().replace(day=1)
    with chromium() as browser:
        page = new_page(browser)
        log_in(page, live_server.url, "clerk1", "pw-test-123")
        page.goto(f"{live_server.url}/groups/")
        page.fill("#id_department", "县民政局")
        page.fill("#id_list_month", f"{month:%Y-%m}")
        page.set_input_files("#id_file", str(county["bad"]))
        page.click("#group-list-upload button[type=submit]")
        page.wait_for_selector("#upload-errors")
        assert "低收入户" in page.inner_text("#error-table")
        assert not SpecialGroupMembership.objects.filter(person=county["new"]).exists()
        shot(page, "clerk", "groups-list-errors")

        page.fill("#id_department", "县民政局")
        page.fill("#id_list_month", f"{month:%Y-%m}")
        page.set_input_files("#id_file", str(county["good"]))
        page.click("#group-list-upload button[type=submit]")
        page.wait_for_selector("#difference-table")
        counts = {
            key: page.inner_text(f"#count-{key} .n").strip() for key in ("new", "left", "unchanged", "not_enrolled")
        }
        assert counts == {"new": "1", "left": "1", "unchanged": "1", "not_enrolled": "1"}
        table = page.inner_text("#difference-table")
        assert county["new"].name in table and county["leaves"].name in table
        assert county["new"].id_no not in table  # masked
        assert axe_violations(page) == [], describe(axe_violations(page))
        shot(page, "clerk", "groups-list-difference")

        page.click("#count-not_enrolled")
        page.wait_for_selector("#difference-table")
        table = page.inner_text("#difference-table")
        assert "未登记人" in table and county["new"].name not in table

        page.goto(f"{live_server.url}/groups/ledger/?township={county['tree']['township1'].code}")
        page.wait_for_selector("#ledger-table")
        assert county["leaves"].name in page.inner_text("#ledger-people")
        shot(page, "clerk", "groups-ledger")
        page.goto(f"{live_server.url}/gov-paid/")
        page.wait_for_selector("#gov-paid-table")
        assert county["new"].name in page.inner_text("#gov-paid-table")
        assert axe_violations(page) == [], describe(axe_violations(page))
        shot(page, "clerk", "gov-paid")
