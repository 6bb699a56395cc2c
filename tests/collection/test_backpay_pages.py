"""The back-payment pages: who may open each (anonymous to the login, a wrong role 403, another
township 404), the township office's intake by POST (never an ID in a URL), the reviewer's
approval, the list and its export, the printed form, the person page's panel, and the database."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from collection.backpay_models import BackPaymentApplication
from insured.models import AccessRecord, PrintRecord
from payments.models import Receivable
from tests.accounts import credit
from tests.collection import backpay_fixtures
from tests.collection.backpay_fixtures import approve, enter

pytestmark = pytest.mark.django_db
# The fixtures of backpay_fixtures, by name (the folder's conftest belongs to the special-group tests).
tree, person, staff, today = (
    backpay_fixtures.tree,
    backpay_fixtures.person,
    backpay_fixtures.staff,
    backpay_fixtures.today,
)
D = Decimal
Status = BackPaymentApplication.Status
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _post_intake(client, person, **overrides):
    data = {"scheme": "basic", "basis": "interrupted", "tier": "500.00", "years": ["2025"], "action": "submit"}
    return client.post(reverse("collection:backpay-intake", args=[person.pk]), data | overrides)


def test_anonymous_is_sent_to_the_login(client, person, staff, today):
    application = enter(person, staff)
    for url in (
        reverse("collection:backpay-list"),
        reverse("collection:backpay-lookup"),
        reverse("collection:backpay-intake", args=[person.pk]),
        reverse("collection:backpay-detail", args=[application.pk]),
        reverse("collection:backpay-pdf", args=[application.pk]),
        reverse("collection:backpay-export"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_wrong_roles_are_refused(client, person, staff, today):
    application = enter(person, staff)
    client.force_login(staff["village"])
    assert client.get(reverse("collection:backpay-list")).status_code == 403
    client.force_login(staff["clerk"])  # reads, but neither enters nor approves
    assert client.get(reverse("collection:backpay-detail", args=[application.pk])).status_code == 200
    assert client.get(reverse("collection:backpay-intake", args=[person.pk])).status_code == 403
    assert client.post(reverse("collection:backpay-approve", args=[application.pk])).status_code == 403
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED


def test_another_township_finds_nothing(client, person, staff, today):
    application = enter(person, staff)
    client.force_login(staff["other_town"])
    assert client.get(reverse("collection:backpay-detail", args=[application.pk])).status_code == 404
    assert client.get(reverse("collection:backpay-pdf", args=[application.pk])).status_code == 404
    assert client.get(reverse("collection:backpay-intake", args=[person.pk])).status_code == 404
    assert _post_intake(client, person).status_code == 404
    assert client.post(reverse("collection:backpay-withdraw", args=[application.pk])).status_code == 404
    response = client.post(reverse("collection:backpay-lookup"), {"id_no": person.id_no})
    assert response.status_code == 200 and "id_no" in response.context["form"].errors
    assert application.number not in client.get(reverse("collection:backpay-list")).content.decode()


def test_lookup_by_post_with_full_width_digits_then_intake(client, person, staff, today):
    client.force_login(staff["town"])
    response = client.post(reverse("collection:backpay-lookup"), {"id_no": f" {person.id_no.translate(FULL_WIDTH)} "})
    assert response.status_code == 302
    assert response["Location"] == reverse("collection:backpay-intake", args=[person.pk])
    assert person.id_no not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "2025" in page and person.masked_id_no in page
    assert AccessRecord.objects.filter(person=person, user=staff["town"]).exists()


def test_intake_check_then_submit(client, person, staff, today):
    client.force_login(staff["town"])
    checked = _post_intake(client, person, years=["2024", "2025"], action="check")
    assert checked.status_code == 200 and checked.context["assessment"].total == D("1000.00")
    assert BackPaymentApplication.objects.count() == 0
    response = _post_intake(client, person, years=["2024", "2025"])
    application = BackPaymentApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "collection:backpay-detail", args=[application.pk]
    )
    assert application.submitted_by == staff["town"] and application.total == D("1000.00")
    assert sorted(application.years.values_list("year", flat=True)) == [2024, 2025]


def test_intake_shows_the_rule_with_its_clause(client, person, staff, today):
    client.force_login(staff["town"])
    response = _post_intake(client, person, years=["2023"])
    assert response.status_code == 200
    errors = response.context["form"].errors["years"]
    assert any("003" in e for e in errors)
    assert BackPaymentApplication.objects.count() == 0


def test_hostile_input_gives_form_errors_never_a_5xx(client, person, staff, today):
    client.force_login(staff["town"])
    for overrides in (
        {"years": ["abc"]},
        {"years": ["1900"]},
        {"tier": "五百"},
        {"tier": "1e9"},
        {"basis": "x"},
        {"scheme": "nonsense"},
        {"note": "x" * 5000},
    ):
        response = _post_intake(client, person, **overrides)
        assert response.status_code == 200, overrides
    assert BackPaymentApplication.objects.count() == 0


def test_reviewer_approves_from_the_page(client, person, staff, today):
    application = enter(person, staff, years=[2024, 2025])
    client.force_login(staff["reviewer"])
    listing = client.get(reverse("collection:backpay-list"))
    assert listing.context["status"] == "review" and application in list(listing.context["page"])
    page = client.get(reverse("collection:backpay-detail", args=[application.pk])).content.decode()
    assert 'id="approve"' in page
    response = client.post(reverse("collection:backpay-approve", args=[application.pk]))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert Receivable.objects.filter(source_ref__startswith=application.number).count() == 2
    history = client.get(reverse("collection:backpay-detail", args=[application.pk])).context["history"]
    assert len(history) >= 4  # the application entered and approved, each year entered and approved


def test_the_queue_its_tabs_and_its_pager_are_counted_by_one_query(client, person, staff, today):
    application = enter(person, staff, years=[2024])
    client.force_login(staff["reviewer"])
    with CaptureQueriesContext(connection) as captured:
        listing = client.get(reverse("collection:backpay-list"))
    tabs = {value: n for value, _label, n in listing.context["tabs"]}
    assert (tabs["review"], tabs["submitted"], tabs["all"]) == (1, 1, 1)
    assert listing.context["page"].paginator.count == 1 and list(listing.context["page"]) == [application]
    assert sum("COUNT(" in q["sql"] for q in captured) == 1


def test_the_maker_sees_no_approve_button_and_reject_needs_a_reason(client, person, staff, today):
    application = enter(person, staff)
    client.force_login(staff["town"])
    page = client.get(reverse("collection:backpay-detail", args=[application.pk])).content.decode()
    assert 'id="approve"' not in page and 'id="withdraw"' in page
    client.force_login(staff["reviewer"])
    client.post(reverse("collection:backpay-reject", args=[application.pk]), {"reason": " "})
    application.refresh_from_db()
    assert application.status == Status.SUBMITTED
    client.post(reverse("collection:backpay-reject", args=[application.pk]), {"reason": "年度已缴"})
    application.refresh_from_db()
    assert application.status == Status.REJECTED and application.rejection_reason == "年度已缴"


def test_the_list_exports_with_masked_ids(client, person, staff, today):
    application = enter(person, staff)
    client.force_login(staff["auditor"])
    response = client.get(reverse("collection:backpay-export"), {"status": "all"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert rows[1][0] == application.number
    assert rows[1][3] == person.masked_id_no and person.id_no not in str(rows)
    client.force_login(staff["other_town"])
    response = client.get(reverse("collection:backpay-export"), {"status": "all"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert application.number not in str(rows)


def test_the_printed_form(client, person, staff, today):
    application = approve(enter(person, staff), staff)
    client.force_login(staff["town"])
    response = client.get(reverse("collection:backpay-pdf", args=[application.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    record = PrintRecord.objects.get(number=application.number)
    facts = dict(record.fact_rows)
    assert facts["补缴年度"] == "2025" and "人民币伍佰元整" in facts["合计金额"]
    assert person.id_no not in str(record.facts)


def test_the_person_page_shows_back_payments_and_the_supplementary_pension_apart(client, person, staff, today):
    application = enter(person, staff)
    credit(person, kind="supplementary", year=2026, amount="500.00", paid_on=dt.date(2026, 3, 5))
    credit(person, kind="own", year=2024, amount="300.00", paid_on=dt.date(2026, 3, 6))  # waits
    client.force_login(staff["town"])
    response = client.get(reverse("insured:person-detail", args=[person.pk]))
    page = response.content.decode()
    assert application.number in page and 'id="take-backpay"' in page
    assert 'id="person-supplementary"' in page and 'id="waiting-payments"' in page
    panel = next(p for t, p in response.context["panels"] if t == "collection/backpay/person_panel.html")
    assert panel["supplementary_total"] == D("620.00")  # 500 and its 120 subsidy (004 四(二))
    year = next(y for y in response.context["years"] if y.year == 2026)
    assert year.supplementary == D("620.00") and year.total == D("960.00")  # 300 own + 40 subsidy beside it
    assert "其中补充养老保险 620.00 元" in page


def test_the_auditor_prints_a_months_forms_as_one_batch(person, staff, today, django_capture_on_commit_callbacks):
    from django.utils import timezone

    from insured.models import Job
    from insured.printing import batches

    application = approve(enter(person, staff), staff)
    kind = batches.kind_for(staff["auditor"], "collection.backpay")
    form = kind.filters({"month": f"{timezone.localtime(application.submitted_at):%Y-%m}", "status": ""})
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        job = batches.batch_create(user=staff["auditor"], kind=kind, form=form)
    job = Job.objects.get(pk=job.pk)
    assert job.state == Job.State.DONE and job.result["count"] == 1
    record = PrintRecord.objects.get(job=job)
    assert (record.form, record.number) == ("collection.backpay", application.number)
    assert batches.kind_for(staff["village"], "collection.backpay") is None
