"""Reconciliation 对账 (notice 003 五(三)): figures on a known data set, the differences and their
causes, the stored nightly run, the page, the exports and the PDF, and who may see what."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from insured import access, plugins
from insured.models import AccountEntry, InsuredPerson, Region, Role
from payments import intake, processing, reconciliation, services
from payments.models import ArrivalNotice, Receivable, ReconciliationRun, TaxClient
from payments.plugin import RECONCILIATION_VIEW
from payments.reconciliation import Cause, Figure
from tests.factories import InsuredPersonFactory, PolicyYearFactory, make_id_no, make_user, region_tree
from tests.payments.conftest import SECRET, batch, notice

pytestmark = pytest.mark.django_db

DAY = dt.date(2026, 3, 2)
EVIL_NAME = '=HYPERLINK("http://x.example/","点我")'
UNKNOWN_ID = make_id_no(dt.date(1960, 1, 1), 999)


def D(value: str) -> Decimal:
    return Decimal(value)


def load(client: TaxClient, notices: list[dict], batch_id: str) -> None:
    """Store and process a batch the way the push endpoint does, without waiting for Celery."""
    raw = json.dumps(batch(notices, batch_id), ensure_ascii=False).encode()
    stored = services.batch_store(
        client=client, parsed=intake.parse_batch_json(raw), fingerprint=intake.body_fingerprint(raw)
    )
    processing.batch_process(stored.batch.pk)


def receivable(person: InsuredPerson, kind: str, amount: str, ref: str) -> Receivable:
    return services.receivable_create(
        person=person,
        kind=kind,
        payer_name="测试村股份经济合作社",
        payer_id=person.id_no,
        year=2026,
        amount=D(amount),
        due_date=dt.date(2026, 6, 30),
        source_type="test",
        source_ref=ref,
    )


@dataclass
class World:
    tree: dict[str, Region]
    other: dict[str, Region]
    persons: dict[str, InsuredPerson]
    receivables: dict[str, Receivable]


@pytest.fixture
def world(db) -> World:
    """Township 1: A and B pay their own contribution on 2 March; H on 3 March just after midnight.
    Township 2: C pays and the payment is reversed the same day; D's collective subsidy pays its
    receivable; D2's collective subsidy is paid and reversed; E pays an amount that is no tier;
    F's sponsorship names a receivable that does not exist. An unknown ID number pays too. In a
    second county, Z pays: never shown to the first county."""
    tree = region_tree()
    policy = PolicyYearFactory(region=tree["county"])
    other = region_tree("622901", "别县")
    PolicyYearFactory(region=other["county"])
    client = TaxClient.objects.create(client_id="tax-test", name="测试税务", secret=SECRET, region=policy.region)
    other_client = TaxClient.objects.create(
        client_id="tax-other", name="别县税务", secret=SECRET, region=other["county"]
    )
    villages = {"A": "village11", "B": "village12", "H": "village11", "C": "village21", "D": "village21"}
    villages |= {"D2": "village22", "E": "village22", "F": "village22"}
    persons = {key: InsuredPersonFactory(village=tree[v], name=f"居民{key}") for key, v in villages.items()}
    persons["Z"] = InsuredPersonFactory(village=other["village11"], name="别县居民")
    rd = receivable(persons["D"], "collective", "200.00", "d")
    rd2 = receivable(persons["D2"], "collective", "200.00", "d2")
    load(
        client,
        [
            notice(persons["A"], voucher="V1", line=1, amount="500.00"),
            notice(persons["B"], voucher="V1", line=2, amount="300.00"),
            notice(persons["C"], voucher="V1", line=3, amount="1000.00"),
            notice(persons["D"], voucher="V1", line=4, kind="collective", amount="200.00", receivable_no=rd.number),
            notice(persons["D2"], voucher="V1", line=5, kind="collective", amount="200.00", receivable_no=rd2.number),
            notice(persons["E"], voucher="V1", line=6, amount="450.00"),
            notice(persons["F"], voucher="V1", line=7, kind="sponsorship", amount="300.00", receivable_no="YS404"),
            notice(
                persons["A"],
                voucher="V1",
                line=8,
                amount="500.00",
                insured_id_number=UNKNOWN_ID,
                insured_name=EVIL_NAME,
            ),
            notice(persons["H"], voucher="V1", line=9, amount="200.00", paid_at="2026-03-03T00:30:00+08:00"),
        ],
        "B1",
    )
    load(
        client,
        [
            notice(persons["C"], voucher="V2", line=1, amount="1000.00", reverses={"voucher_no": "V1", "line_no": 3}),
            notice(
                persons["D2"],
                voucher="V2",
                line=2,
                kind="collective",
                amount="200.00",
                reverses={"voucher_no": "V1", "line_no": 5},
            ),
            # The same voucher line again: a duplicate, left out of every figure.
            notice(persons["B"], voucher="V1", line=2, amount="300.00"),
        ],
        "B2",
    )
    load(other_client, [notice(persons["Z"], voucher="Z1", line=1, amount="500.00")], "Z1")
    return World(tree, other, persons, {"D": rd, "D2": rd2})


def _row(result, township: Region | None, kind: str):
    code = township.code if township else ""
    return next(r for r in result.rows if r.township_code == code and r.kind == kind)


def test_the_data_set_was_processed_as_the_figures_assume(world):
    by_key = {(n.voucher_no, n.line_no): (n.state, n.reason) for n in ArrivalNotice.objects.order_by("id")}
    assert by_key[("V1", 3)] == ("reversed", "")
    assert by_key[("V1", 6)] == ("unmatched", "not_a_tier")
    assert by_key[("V1", 7)] == ("unmatched", "no_receivable")
    assert by_key[("V1", 8)] == ("unmatched", "person_unknown")
    assert by_key[("V2", 2)] == ("credited", "")
    assert Receivable.objects.get(pk=world.receivables["D"].pk).status == "paid"
    assert Receivable.objects.get(pk=world.receivables["D2"].pk).status == "sent"


def test_day_figures_per_township_and_kind(world):
    result = reconciliation.reconcile(world.tree["county"], DAY, DAY)
    t1, t2 = world.tree["township1"], world.tree["township2"]

    own1 = _row(result, t1, "own")
    assert own1.tax == own1.ledger == Figure(2, D("800.00"))
    assert own1.receivables == own1.tax_with_receivable == Figure(0, D("0.00"))
    assert not own1.differs

    # C paid 1000 and was reversed (+1 −1); E's 450 waits in the queue.
    own2 = _row(result, t2, "own")
    assert own2.tax == Figure(1, D("450.00"))
    assert own2.ledger == Figure(0, D("0.00"))
    assert own2.ledger_differs

    # D paid its receivable; D2 paid and was reversed, which reopened its receivable.
    collective = _row(result, t2, "collective")
    assert collective.tax == collective.tax_with_receivable == Figure(1, D("200.00"))
    assert collective.receivables == collective.ledger == Figure(1, D("200.00"))
    assert not collective.differs

    sponsorship = _row(result, t2, "sponsorship")
    assert sponsorship.tax == sponsorship.tax_with_receivable == Figure(1, D("300.00"))
    assert sponsorship.receivables == sponsorship.ledger == Figure(0, D("0.00"))
    assert sponsorship.receivables_differ and sponsorship.ledger_differs

    unlocated = _row(result, None, "own")
    assert unlocated.tax == Figure(1, D("500.00"))
    assert unlocated.ledger == Figure(0, D("0.00"))

    assert result.total.tax == Figure(6, D("2250.00"))
    assert result.total.ledger == Figure(3, D("1000.00"))
    assert result.total.receivables == Figure(1, D("200.00"))
    own_total = next(r for r in result.totals if r.kind == "own")
    assert own_total.tax == Figure(4, D("1750.00"))
    assert result.has_differences


def test_differences_name_their_causes(world):
    result = reconciliation.reconcile(world.tree["county"], DAY, DAY)
    found = {(d.cause, d.reason, d.voucher) for d in result.differences}
    assert found == {
        (Cause.UNMATCHED, "not_a_tier", "V1/6"),
        (Cause.UNMATCHED, "no_receivable", "V1/7"),
        (Cause.UNMATCHED, "person_unknown", "V1/8"),
    }
    e = next(d for d in result.differences if d.voucher == "V1/6")
    assert e.township_name == world.tree["township2"].name
    assert e.person_name == "居民E" and e.amount == D("450.00")
    assert str(ArrivalNotice.Reason.NOT_A_TIER.label) in e.label


def test_a_payment_just_after_midnight_belongs_to_its_local_day(world):
    march = reconciliation.reconcile(world.tree["county"], *reconciliation.period_bounds("month", DAY))
    assert _row(march, world.tree["township1"], "own").tax == Figure(3, D("1000.00"))
    next_day = reconciliation.reconcile(world.tree["county"], DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=1))
    assert next_day.total.tax == next_day.total.ledger == Figure(1, D("200.00"))
    assert not next_day.has_differences


def test_other_county_is_not_counted(world):
    result = reconciliation.reconcile(world.tree["county"], DAY, DAY)
    assert all(d.person_name != "别县居民" for d in result.differences)
    other = reconciliation.reconcile(world.other["county"], DAY, DAY)
    assert other.total.tax == other.total.ledger == Figure(1, D("500.00"))
    assert [r.township_code for r in other.rows] == [world.other["township1"].code]


def test_township_region_sees_only_its_township(world):
    result = reconciliation.reconcile(world.tree["township1"], DAY, DAY)
    assert {r.township_code for r in result.rows} == {world.tree["township1"].code}
    assert result.total.tax == Figure(2, D("800.00"))
    assert not result.differences


def test_a_credited_notice_without_its_entry_and_an_entry_without_notice_are_differences(world):
    # A ledger entry for E's waiting notice (as if it had been posted by hand) and one whose notice never came.
    AccountEntry.objects.create(
        person=world.persons["E"],
        year=2026,
        kind="own",
        amount=D("450.00"),
        source_type="notice",
        source_key="notice:V1:6",
    )
    AccountEntry.objects.create(
        person=world.persons["B"],
        year=2026,
        kind="own",
        amount=D("99.00"),
        source_type="notice",
        source_key="notice:FAKE:1",
        posted_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC),
    )
    Receivable.objects.filter(pk=world.receivables["D"].pk).update(amount=D("250.00"))
    result = reconciliation.reconcile(world.tree["county"], DAY, DAY)
    causes = {(d.cause, d.voucher or d.detail) for d in result.differences}
    assert (Cause.ENTRY_NOT_CREDITED, "V1/6") in causes
    assert (Cause.ENTRY_WITHOUT_NOTICE, "notice:FAKE:1") in causes
    assert (Cause.RECEIVABLE_AMOUNT, "V1/4") in causes
    assert _row(result, world.tree["township1"], "own").ledger == Figure(3, D("899.00"))


def test_store_keeps_rows_and_differences_as_json(world):
    run = reconciliation.reconciliation_store(world.tree["county"], DAY, DAY, "day")
    run.refresh_from_db()
    assert run.has_differences
    assert len(run.differences) == 3
    total = run.rows[-1]
    assert total["is_total"] and total["tax"] == {"count": 6, "amount": "2250.00"}
    assert {d["cause"] for d in run.differences} == {"unmatched"}
    assert all(isinstance(d["amount"], str) for d in run.differences)


def test_nightly_job_stores_one_run_per_county_and_once(world, monkeypatch):
    monkeypatch.setattr(reconciliation.timezone, "localdate", lambda: DAY + dt.timedelta(days=1))
    runs = reconciliation.reconcile_yesterday_everywhere()
    assert sorted(r.region.code for r in runs) == sorted([world.tree["county"].code, world.other["county"].code])
    assert all(r.start == r.end == DAY and r.period == "day" for r in runs)
    by_region = {r.region_id: r for r in runs}
    assert by_region[world.tree["county"].pk].has_differences
    assert not by_region[world.other["county"].pk].has_differences
    assert reconciliation.reconcile_yesterday_everywhere() == []
    assert ReconciliationRun.objects.count() == 2


def test_reconcile_reads_a_fixed_handful_of_queries(world, django_assert_max_num_queries):
    region = Region.objects.get(pk=world.tree["county"].pk)
    # One more than before the bank column: whether a bank statement covers the period.
    with django_assert_max_num_queries(13):
        result = reconciliation.reconcile(region, *reconciliation.period_bounds("month", DAY))
    assert len(result.rows) == 5 and len(result.differences) == 3


def test_nightly_job_locks_the_county_before_checking_for_its_run(world, monkeypatch):
    monkeypatch.setattr(reconciliation.timezone, "localdate", lambda: DAY + dt.timedelta(days=1))
    with CaptureQueriesContext(connection) as queries:
        reconciliation.reconcile_yesterday_everywhere()
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(locks) == 2 and all("insured_region" in sql for sql in locks)


# --- Pages, exports, PDF, access ------------------------------------------------------------------


@pytest.fixture
def clerk(world):
    return make_user(Role.CLERK, world.tree["county"], first_name="小明", last_name="王")


QUERY = {"period": "day", "date": "2026-03-02"}


def test_page_shows_figures_and_differences(client, clerk, world):
    client.force_login(clerk)
    response = client.get(reverse("payments:reconciliation"), QUERY)
    assert response.status_code == 200
    body = response.content.decode()
    assert world.tree["township1"].name in body and world.tree["township2"].name in body
    assert "2,250.00" in body and "V1/6" in body
    assert "别县" not in body
    assert response.context["result"].total.tax == Figure(6, D("2250.00"))


def test_page_defaults_to_yesterday_and_rejects_a_bad_date(client, clerk, world):
    client.force_login(clerk)
    assert client.get(reverse("payments:reconciliation")).status_code == 200
    response = client.get(reverse("payments:reconciliation"), {"period": "day", "date": "not-a-date"})
    assert response.status_code == 200 and response.context["result"] is None
    assert (
        client.get(reverse("payments:reconciliation-csv"), {"period": "week", "date": "2026-03-02"}).status_code == 400
    )


def test_csv_escapes_formula_text(client, clerk, world):
    client.force_login(clerk)
    response = client.get(reverse("payments:reconciliation-csv"), QUERY)
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    assert "'" + EVIL_NAME in cells
    assert EVIL_NAME not in cells
    assert "2250.00" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)


def test_xlsx_escapes_formula_text_and_keeps_numbers(client, clerk, world):
    client.force_login(clerk)
    response = client.get(reverse("payments:reconciliation-xlsx"), QUERY)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    figures, differences = book.worksheets
    values = [c.value for row in differences.iter_rows() for c in row]
    assert "'" + EVIL_NAME in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert all(c.data_type != "f" for row in differences.iter_rows() for c in row)
    amounts = [row[4].value for row in figures.iter_rows(min_row=2)]
    assert Decimal(str(amounts[-1])) == D("2250.00")


def test_pdf_renders_with_title_agency_and_townships(client, clerk, world, settings):
    settings.AGENCY_NAME = "测试县社会保险事业服务中心"
    client.force_login(clerk)
    response = client.get(reverse("payments:reconciliation-pdf"), QUERY)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    compact = "".join(text.split())
    assert "城乡居民基本养老保险缴费对账表" in compact
    assert "测试县社会保险事业服务中心" in compact
    assert world.tree["township2"].name in compact
    assert "王小明" in compact
    for signer in ("经办人", "复核人", "负责人"):
        assert signer in compact


def test_anonymous_is_sent_to_login(client, world):
    response = client.get(reverse("payments:reconciliation"), QUERY)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(
    "name",
    [
        "payments:reconciliation",
        "payments:reconciliation-csv",
        "payments:reconciliation-xlsx",
        "payments:reconciliation-pdf",
    ],
)
def test_township_office_without_the_capability_is_refused(client, world, name):
    office = make_user(Role.TOWNSHIP_OFFICE, world.tree["township1"])
    assert not access.has_capability(office, RECONCILIATION_VIEW)
    client.force_login(office)
    assert client.get(reverse(name), QUERY).status_code == 403


def test_township_office_with_the_capability_sees_only_its_township(client, world, monkeypatch):
    granted = plugins.capabilities_of(Role.TOWNSHIP_OFFICE) | {RECONCILIATION_VIEW}
    monkeypatch.setitem(plugins._capabilities, Role.TOWNSHIP_OFFICE, granted)
    office = make_user(Role.TOWNSHIP_OFFICE, world.tree["township1"])
    client.force_login(office)
    response = client.get(reverse("payments:reconciliation-csv"), QUERY)
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert world.tree["township1"].name in text
    assert world.tree["township2"].name not in text
    assert "居民E" not in text


def test_village_accountant_is_refused(client, world):
    accountant = make_user(Role.VILLAGE_ACCOUNTANT, world.tree["village11"])
    client.force_login(accountant)
    assert client.get(reverse("payments:reconciliation"), QUERY).status_code == 403


def test_other_county_clerk_sees_only_its_county(client, world):
    other_clerk = make_user(Role.CLERK, world.other["county"])
    client.force_login(other_clerk)
    response = client.get(reverse("payments:reconciliation"), QUERY)
    body = response.content.decode()
    assert response.status_code == 200
    assert world.tree["township1"].name not in body
    assert "V1/6" not in body
    assert response.context["result"].total.tax == Figure(1, D("500.00"))
