"""The list of persons (issue 13, items 7 and 8): everyone in scope without a search, filtered by
township, village, status and this year's contribution, names in pinyin order, numbered pages,
an XLSX export within scope; the village accountant sees who has paid and the tier, no balance."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from insured import exports, jobs
from insured.models import AccessRecord, InsuredPerson, Job, Role
from insured.selectors import PaymentState, pinyin_available
from tests.accounts import credit
from tests.factories import (
    InsuredPersonFactory,
    MembershipFactory,
    PolicyYearFactory,
    make_id_no,
    make_user,
    region_tree,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 22)
LIST = reverse("insured:person-search")
EXPORT = reverse("insured:person-export")


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def tree():
    tree = region_tree()
    PolicyYearFactory(region=tree["county"])
    return tree


@pytest.fixture
def people(tree):
    """Four persons in three villages; 陈 has paid 500, 王 is paid for by the government, 张 has not
    paid, 阿 receives benefits. Another county's person is never shown."""
    seq = iter(range(1, 100))

    def person(village: str, name: str, **extra) -> InsuredPerson:
        return InsuredPersonFactory(
            village=tree[village], name=name, id_no=make_id_no(dt.date(1970, 1, 1), next(seq)), **extra
        )

    made = {
        "张": person("village11", "张三丰"),
        "王": person("village12", "王秀兰"),
        "阿": person("village21", "阿依古丽", status=InsuredPerson.Status.RECEIVING),
        "陈": person("village11", "陈丽"),
    }
    credit(made["陈"], year=2026, amount="500.00", paid_on=dt.date(2026, 3, 2))
    MembershipFactory(person=made["王"])  # rule 10: the government pays for members of its groups
    credit(made["王"], kind="government_paid", year=2026, amount="100.00", paid_on=dt.date(2026, 3, 3))
    other = region_tree("622901", "别县")
    made["别"] = InsuredPersonFactory(
        village=other["village11"], name="别人", id_no=make_id_no(dt.date(1970, 1, 1), 90)
    )
    return made


def _names(response) -> list[str]:
    return [p.name for p in response.context["page"].object_list]


def test_the_list_shows_everyone_in_scope_without_a_search(client, tree, people):
    client.force_login(make_user(Role.CLERK, tree["county"]))
    response = client.get(LIST)
    assert response.status_code == 200
    assert set(_names(response)) == {"张三丰", "王秀兰", "阿依古丽", "陈丽"}
    assert "别人" not in response.content.decode()


def test_names_sort_by_pinyin_not_by_code_point(client, tree, people):
    assert pinyin_available()  # PostgreSQL with ICU: the suite's database
    client.force_login(make_user(Role.CLERK, tree["county"]))
    # Code-point order would be 张 王 阿 陈; pinyin is a, chen, wang, zhang.
    assert _names(client.get(LIST)) == ["阿依古丽", "陈丽", "王秀兰", "张三丰"]
    assert "按姓名拼音排序" in client.get(LIST).content.decode()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("township=211370100000", {"张三丰", "王秀兰", "陈丽"}),
        ("village=211370100202", {"王秀兰"}),
        ("status=receiving", {"阿依古丽"}),
        (f"payment={PaymentState.OWN}", {"陈丽"}),
        (f"payment={PaymentState.GOVERNMENT}", {"王秀兰"}),
        (f"payment={PaymentState.NONE}", {"张三丰", "阿依古丽"}),
        (f"status=enrolled&payment={PaymentState.NONE}", {"张三丰"}),
    ],
)
def test_filters_cut_the_list(client, tree, people, query, expected):
    client.force_login(make_user(Role.CLERK, tree["county"]))
    assert set(_names(client.get(f"{LIST}?{query}"))) == expected


def test_a_village_outside_the_township_chosen_says_so(client, tree, people):
    client.force_login(make_user(Role.CLERK, tree["county"]))
    response = client.get(f"{LIST}?township=211370100000&village=211370200201")
    assert response.status_code == 200
    assert "所选村（社区）不属于所选乡镇（街道）" in response.content.decode()


@pytest.mark.parametrize(
    "query", ["township=999999999999", "village=<script>", "status=nonsense", "payment=x", "page=-1"]
)
def test_a_filter_that_does_not_parse_is_a_message_not_an_error(client, tree, people, query):
    client.force_login(make_user(Role.CLERK, tree["county"]))
    response = client.get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


def test_the_filters_offer_only_regions_in_scope(client, tree, people):
    client.force_login(make_user(Role.TOWNSHIP_OFFICE, tree["township1"]))
    filters = client.get(LIST).context["filters"]
    assert "township" not in filters.fields  # a township office works in one township
    offered = {code for _group, options in filters.fields["village"].choices[1:] for code, _name in options}
    assert offered == {tree["village11"].code, tree["village12"].code}
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, tree["village11"]))
    filters = client.get(LIST).context["filters"]
    assert "township" not in filters.fields and "village" not in filters.fields


def test_a_region_outside_scope_cannot_be_filtered_for(client, tree, people):
    client.force_login(make_user(Role.TOWNSHIP_OFFICE, tree["township1"]))
    response = client.get(f"{LIST}?village={tree['village21'].code}")
    assert "阿依古丽" not in _names(response)
    assert response.context["filters"].errors


def test_pages_are_numbered_and_keep_the_filters(client, tree):
    for i in range(30):
        InsuredPersonFactory(village=tree["village11"], id_no=make_id_no(dt.date(1971, 1, 1), i + 1))
    client.force_login(make_user(Role.CLERK, tree["county"]))
    page = client.get(f"{LIST}?status=enrolled").content.decode()
    assert '<strong aria-current="page">1</strong>' in page
    assert 'href="?status=enrolled&amp;page=2"' in page


def test_a_list_longer_than_the_cap_is_not_counted_to_its_end(client, tree, people, settings):
    """A county's million persons are not counted on every page (docs/benchmarks.md): past the cap
    the list says "more than", pages through the cap's rows, and a narrower list is counted exactly."""
    settings.LIST_COUNT_CAP = 3
    client.force_login(make_user(Role.CLERK, tree["county"]))
    response = client.get(LIST)
    page = response.context["page"]
    assert page.paginator.over_cap and page.paginator.count == 3
    assert page.paginator.num_pages == 1 and len(page.object_list) == 3  # the first three in pinyin order
    assert _names(response) == ["阿依古丽", "陈丽", "王秀兰"]
    assert "超过3名参保人，仅列出前3名" in response.content.decode()
    assert "请按乡镇、村、状态或姓名缩小范围。" in response.content.decode()
    narrower = client.get(f"{LIST}?township=211370100000")
    assert not narrower.context["page"].paginator.over_cap
    assert narrower.context["page"].paginator.count == 3
    assert "共3名参保人" in narrower.content.decode()
    unpaid = client.get(f"{LIST}?payment={PaymentState.NONE}").context["page"].paginator
    assert (unpaid.count, unpaid.over_cap) == (2, False)  # a filter on the year's contribution counts too
    settings.LIST_COUNT_CAP = 1
    with_pages = client.get(f"{LIST}?page=1").content.decode()
    assert "超过1名参保人" in with_pages and "仅列前1条，实际更多" not in with_pages  # one page: no pager


def test_a_search_past_the_cap_says_what_it_matched(client, tree, people, settings):
    InsuredPersonFactory(village=tree["village12"], name="王小明", id_no=make_id_no(dt.date(1970, 1, 1), 91))
    settings.LIST_COUNT_CAP = 1
    client.force_login(make_user(Role.CLERK, tree["county"]))
    response = client.post(LIST, {"q": "王"}, follow=True)
    page = response.context["page"]
    assert page.paginator.over_cap and _names(response) == ["王小明"]  # xiao before xiu
    assert "与“王”相符的参保人超过1名，仅列出前1名" in response.content.decode()


def test_the_pager_says_when_it_reaches_only_the_first_rows(client, tree, settings):
    for i in range(30):
        InsuredPersonFactory(village=tree["village11"], id_no=make_id_no(dt.date(1971, 1, 1), i + 1))
    settings.LIST_COUNT_CAP = 27
    client.force_login(make_user(Role.CLERK, tree["county"]))
    page = client.get(f"{LIST}?page=2").content.decode()
    assert "仅列前27条，实际更多" in page
    assert '<strong aria-current="page">2</strong>' in page
    assert 'href="?page=3"' not in page  # the pages end at the cap's rows


def test_a_search_is_posted_kept_in_the_session_and_combines_with_the_filters(client, tree, people):
    client.force_login(make_user(Role.CLERK, tree["county"]))
    response = client.post(f"{LIST}?status=enrolled", {"q": "2113701970"})
    assert response.status_code == 302
    assert response.url == f"{LIST}?status=enrolled"  # the ID stays out of the URL
    assert set(_names(client.get(response.url))) == {"张三丰", "王秀兰", "陈丽"}
    cleared = client.post(LIST, {"q": ""})
    assert set(_names(client.get(cleared.url))) == {"张三丰", "王秀兰", "阿依古丽", "陈丽"}


def test_a_search_matching_one_person_opens_their_page(client, tree, people):
    client.force_login(make_user(Role.CLERK, tree["county"]))
    response = client.post(LIST, {"q": people["陈"].id_no})
    assert response.url == reverse("insured:person-detail", args=[people["陈"].pk])


def test_the_village_accountant_sees_who_has_paid_and_the_tier_but_no_balance(client, tree, people):
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, tree["village11"]))
    response = client.get(LIST)
    assert set(_names(response)) == {"张三丰", "陈丽"}
    rows = {p.name: p for p in response.context["page"].object_list}
    assert rows["陈丽"].payment_state == PaymentState.OWN and rows["陈丽"].tier == Decimal("500.00")
    assert rows["张三丰"].payment_state == PaymentState.NONE and rows["张三丰"].tier is None
    content = response.content.decode()
    assert "已缴费" in content and "未缴费" in content and "500.00" in content
    person_page = client.get(reverse("insured:person-detail", args=[people["陈"].pk])).content.decode()
    assert "已缴费" in person_page and "缴费档次500.00元" in person_page
    assert "储存额" not in person_page and "个人账户" not in person_page


def test_the_village_home_counts_who_has_not_paid_and_links_to_them(client, tree, people):
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, tree["village11"]))
    response = client.get(reverse("insured:home"))
    assert response.context["counts"]["unpaid"] == 1  # 张三丰; 陈丽 has paid
    unpaid = client.get(response.context["unpaid_url"])
    assert _names(unpaid) == ["张三丰"]


def test_the_export_is_the_filtered_list_with_ids_masked(client, tree, people):
    client.force_login(make_user(Role.CLERK, tree["county"]))
    response = client.get(f"{EXPORT}?township=211370100000")
    assert response.status_code == 200
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"].startswith('attachment; filename="persons-')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("姓名", "公民身份号码", "人员编号")
    assert [r[0] for r in rows[1:]] == ["陈丽", "王秀兰", "张三丰"]
    chen = rows[1]
    assert chen[1] == people["陈"].masked_id_no and people["陈"].id_no not in str(rows)
    assert chen[8] == "已缴费" and chen[9] == "2026年3月2日" and chen[10] == Decimal("500.00")
    assert sheet["K2"].number_format == exports.MONEY_FORMAT
    assert sheet["C2"].number_format == "@"  # person numbers stay text


def test_the_export_escapes_what_a_spreadsheet_would_run(client, tree):
    InsuredPersonFactory(village=tree["village11"], name="=HYPERLINK(1)", id_no=make_id_no(dt.date(1972, 1, 1), 5))
    client.force_login(make_user(Role.CLERK, tree["county"]))
    sheet = load_workbook(io.BytesIO(client.get(EXPORT).content)).active
    assert sheet["A2"].value == "'=HYPERLINK(1)"


def test_the_export_uses_the_session_search(client, tree, people):
    client.force_login(make_user(Role.CLERK, tree["county"]))
    client.post(LIST, {"q": "王"})
    sheet = load_workbook(io.BytesIO(client.get(EXPORT).content)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["王秀兰"]


def test_the_export_names_each_person_in_the_access_log(client, tree, people):
    clerk = make_user(Role.CLERK, tree["county"])
    client.force_login(clerk)
    client.get(f"{EXPORT}?village={tree['village11'].code}")
    logged = AccessRecord.objects.filter(user=clerk, what=AccessRecord.What.EXPORT)
    assert {r.person_id for r in logged} == {people["张"].pk, people["陈"].pk}


def test_a_list_too_long_to_export_at_all_is_refused_with_a_message(client, tree, people, monkeypatch):
    monkeypatch.setattr(exports, "MAX_ROWS", 2)
    client.force_login(make_user(Role.CLERK, tree["county"]))
    response = client.get(f"{EXPORT}?status=enrolled")
    assert response.status_code == 302 and response.url == f"{LIST}?status=enrolled"
    page = client.get(response.url).content.decode()
    assert "一次最多导出2条" in page
    assert not AccessRecord.objects.filter(what=AccessRecord.What.EXPORT).exists()
    assert not Job.objects.exists()


def test_a_long_list_is_exported_by_a_background_job_with_its_progress(client, tree, people, monkeypatch):
    """More than a couple of seconds' work runs in a worker: the job page shows the progress and
    then the file, made for the one who asked, with the same rows, filters and search."""
    monkeypatch.setattr(exports, "SYNC_ROWS", 1)
    clerk = make_user(Role.CLERK, tree["county"])
    client.force_login(clerk)
    client.post(LIST, {"q": "王"})  # the search kept in the session goes with the job
    client.post(LIST, {"q": ""})
    response = client.get(f"{EXPORT}?township=211370100000")
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("insured:job-detail", args=[job.pk])
    assert (job.kind, job.total, job.requested_by) == ("insured.persons", 3, clerk)
    assert "后台" in client.get(response.url).content.decode()
    assert jobs.job_run(job.pk)  # what the worker does
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == (Job.State.DONE, 3, 3)
    with job.result_file.open("rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["陈丽", "王秀兰", "张三丰"]
    assert AccessRecord.objects.filter(user=clerk, what=AccessRecord.What.EXPORT).count() == 3
    download = client.get(reverse("insured:job-download", args=[job.pk]))
    assert download.status_code == 200 and job.result_name.startswith("persons-")


def test_the_export_is_refused_to_the_anonymous_and_to_staff_without_a_role(client, tree, people):
    response = client.get(EXPORT)
    assert response.status_code == 302 and "/login/" in response.url
    client.force_login(get_user_model().objects.create_user(username="no-profile", password="pw-test-123"))
    response = client.get(EXPORT)
    assert response.status_code == 403
    assert "张三丰" not in response.content.decode()


def test_the_village_export_holds_only_the_village(client, tree, people):
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, tree["village12"]))
    sheet = load_workbook(io.BytesIO(client.get(EXPORT).content)).active
    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["王秀兰"]
    assert sheet["I2"].value == "政府代缴"


def test_the_api_gives_the_village_this_years_contribution_and_no_balance(client, tree, people):
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, tree["village11"]))
    rows = {r["name"]: r for r in client.get("/api/v1/persons/?q=陈").json()["results"]}
    assert rows["陈丽"]["this_year"] == {"year": 2026, "state": "own", "paid_on": "2026-03-02", "tier": "500.00"}
    detail = client.get(f"/api/v1/persons/{people['陈'].pk}/").json()
    assert detail["this_year"]["state"] == "own"
    assert not {"balance", "standing", "years"} & set(detail)


def test_the_api_leaves_this_year_out_for_a_caller_without_the_capability(rf, tree, people):
    from insured.selectors import with_contribution
    from insured.serializers import PersonListOutput

    request = rf.get("/")
    request.user = make_user(Role.TAX_CLIENT, tree["county"])  # holds no capability at all
    person = with_contribution(InsuredPerson.objects.filter(pk=people["陈"].pk), 2026).get()
    data = PersonListOutput(person, context={"request": request, "year": 2026}).data
    assert "this_year" not in data


def test_the_home_figures_are_kept_for_a_while_and_say_when_they_were_counted(client, tree, people, settings):
    settings.REGION_COUNTS_SECONDS = 60
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, tree["village11"]))
    first = client.get(reverse("insured:home"))
    assert first.context["counts"]["total"] == 2
    InsuredPersonFactory(village=tree["village11"], name="李新", id_no=make_id_no(dt.date(1971, 1, 1), 7))
    kept = client.get(reverse("insured:home"))
    assert kept.context["counts"]["total"] == 2  # counted a moment ago: not counted again
    assert "统计于" in kept.content.decode()
    settings.REGION_COUNTS_SECONDS = 0
    assert client.get(reverse("insured:home")).context["counts"]["total"] == 3


def test_the_home_figures_of_one_region_are_not_shown_to_another(client, tree, people, settings):
    settings.REGION_COUNTS_SECONDS = 60
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, tree["village11"]))
    assert client.get(reverse("insured:home")).context["counts"]["total"] == 2
    client.force_login(make_user(Role.VILLAGE_ACCOUNTANT, tree["village21"], username="village21"))
    assert client.get(reverse("insured:home")).context["counts"]["total"] == 1


def test_names_are_found_by_their_start_and_listed_in_pinyin_order_from_indexes(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'insured_insuredperson'")
        names = {row[0] for row in cursor.fetchall()}
    assert "person_name_prefix_idx" in names
    assert ("person_pinyin_idx" in names) == pinyin_available()
