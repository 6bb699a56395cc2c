"""The payments lists as a clerk meets them (issue 13): numbered pages, filters, XLSX exports within
scope with masked IDs, a state that reads as a state and a count as a count (item 2), staff by name
(item 4), every entry of an account naming its voucher (item 5)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from payments.models import NoticeBatch, Receivable
from payments.services import export_create
from tests.factories import ReceivableFactory, make_user, region_tree
from tests.payments.conftest import notice
from tests.payments.helpers import process, stranger

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk(policy):
    return make_user("clerk", policy.region, username="c1", last_name="李", first_name="晓梅")


@pytest.fixture
def pushed(tax_client, insured) -> NoticeBatch:
    """A batch of two: one credited, one for nobody known."""
    return process(
        tax_client, [notice(insured, voucher="OK"), notice(stranger(insured.village), voucher="NOBODY")], "B-TWO"
    )


def _sheet(response):
    assert response.status_code == 200, response
    return list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))


def test_a_credited_notice_reads_as_a_state_and_the_batch_figure_as_a_count(client, clerk, pushed, insured):
    client.force_login(clerk)
    detail = client.get(reverse("payments:batch-detail", args=[pushed.pk])).content.decode()
    assert "<dt>已划账笔数</dt><dd>1</dd>" in detail
    assert "<td>已划账</td>" in detail or "已划账<" in detail
    listing = client.get(reverse("payments:batch-list")).content.decode()
    assert "已划账笔数</th>" in listing
    person = client.get(reverse("insured:person-detail", args=[insured.pk])).content.decode()
    panel = person[person.index("税务到账记录") :]
    assert "已划账" in panel and "已划账笔数" not in panel


def test_the_batches_export_with_their_counts(client, clerk, pushed):
    client.force_login(clerk)
    rows = _sheet(client.get(reverse("payments:batch-list-export")))
    header = rows[0]
    assert {"批次", "已划账笔数", "未匹配笔数"} <= set(header)
    [line] = rows[1:]
    assert line[header.index("批次")] == "B-TWO"
    assert line[header.index("已划账笔数")] == 1 and line[header.index("未匹配笔数")] == 1


def test_a_batchs_notices_export_with_ids_masked(client, clerk, pushed, insured):
    client.force_login(clerk)
    rows = _sheet(client.get(reverse("payments:batch-detail-export", args=[pushed.pk])))
    header = rows[0]
    ids = {line[header.index("公民身份号码")] for line in rows[1:]}
    assert insured.masked_id_no in ids and insured.id_no not in ids
    states = {line[header.index("电子税票号码")]: line[header.index("处理状态")] for line in rows[1:]}
    assert states == {"OK": "已划账", "NOBODY": "待手工划账"}


def test_another_countys_batch_cannot_be_exported(client, pushed):
    other = region_tree("622901", "别县")["county"]
    client.force_login(make_user("clerk", other))
    assert client.get(reverse("payments:batch-detail-export", args=[pushed.pk])).status_code == 404
    assert _sheet(client.get(reverse("payments:batch-list-export")))[1:] == []


@pytest.mark.parametrize(
    "url", ["payments:batch-list-export", "payments:receivable-list-export", "payments:queue-export"]
)
def test_exports_are_refused_to_the_anonymous_and_the_village(client, policy, url):
    response = client.get(reverse(url))
    assert response.status_code == 302 and "/login/" in response.url
    client.force_login(make_user("village_accountant", policy.region.children.first().children.first()))
    assert client.get(reverse(url)).status_code == 403


@pytest.fixture
def receivables(insured, clerk):
    return [
        ReceivableFactory(person=insured, kind="sponsorship", year=2026, number="YS-A", created_by=clerk),
        ReceivableFactory(person=insured, kind="back_payment", year=2025, number="YS-B", created_by=clerk),
        ReceivableFactory(person=insured, kind="sponsorship", year=2026, number="YS-C", status=Receivable.Status.PAID),
    ]


@pytest.mark.parametrize(
    ("query", "numbers"),
    [
        ("", {"YS-A", "YS-B", "YS-C"}),
        ("kind=sponsorship", {"YS-A", "YS-C"}),
        ("year=2025", {"YS-B"}),
        ("status=paid&kind=sponsorship", {"YS-C"}),
        ("year=abc", {"YS-A", "YS-B", "YS-C"}),  # a filter that does not parse is left out, with a message
    ],
)
def test_receivables_filter_by_status_kind_and_year(client, clerk, receivables, query, numbers):
    client.force_login(clerk)
    response = client.get(f"{reverse('payments:receivable-list')}?{query}")
    assert response.status_code == 200
    assert {r.number for r in response.context["page"].object_list} == numbers
    exported = _sheet(client.get(f"{reverse('payments:receivable-list-export')}?{query}"))
    assert {line[0] for line in exported[1:]} == numbers


def test_the_receivables_export_names_the_clerk_and_masks_the_id(client, clerk, receivables, insured):
    client.force_login(clerk)
    rows = _sheet(client.get(reverse("payments:receivable-list-export") + "?kind=back_payment"))
    header, line = rows[0], rows[1]
    assert line[header.index("经办人")] == "李晓梅"
    assert line[header.index("公民身份号码")] == insured.masked_id_no


def test_the_files_for_tax_name_who_made_them(client, clerk, insured, policy):
    ReceivableFactory(person=insured, status=Receivable.Status.OPEN, created_by=clerk)
    assert export_create(region=policy.region, user=clerk) is not None
    client.force_login(clerk)
    page = client.get(reverse("payments:receivable-list")).content.decode()
    files = page[page.index("报送税务机关的文件") :]
    assert "李晓梅" in files and ">c1<" not in files
