"""The staff pages of personal sponsorship (notice 000): the counter, the reviewer's queue, an
application's page with its steps, and who may open them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import gettext, override

from insured.models import InsuredPerson, PersonYear
from payments.models import PaymentKind, Receivable, TaxClient
from subsidy import services
from subsidy.models import SponsorshipApplication
from tests.factories import (
    InsuredPersonFactory,
    SponsorshipApplicationFactory,
    first_village,
    make_id_no,
    make_user,
    region_tree,
)
from tests.payments.conftest import SECRET, notice
from tests.payments.helpers import process
from tests.subsidy.conftest import SPONSOR_ID, TODAY

pytestmark = pytest.mark.django_db
Status = SponsorshipApplication.Status

NO_REFUND = (
    "The payment has arrived and the full amount has been credited to the beneficiary's personal account. "
    "Rule 9 (notice 000 section 3(3)): once a payment has arrived, it is not refunded except in the cases "
    "policy provides, so the application can no longer be withdrawn or cancelled."
)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def other_county():
    return region_tree("622901", "别县")


@pytest.fixture
def submitted(sponsorship_input, clerk, county):
    return services.application_submit(sponsorship_input(), user=clerk, agency_region=county)


@pytest.fixture
def approved(submitted, reviewer, county):
    return services.application_approve(submitted, user=reviewer, agency_region=county)


def _counter_post(client, beneficiary: InsuredPerson, **overrides: str):
    data = {
        "id_no": beneficiary.id_no,
        "sponsor_name": "王大军",
        "sponsor_id_no": SPONSOR_ID,
        "sponsor_phone": "13800000000",
        "relation": "child",
        "amount": "1000.00",
        "year": "2026",
        "action": "submit",
    }
    data.update(overrides)
    return client.post(reverse("subsidy:counter"), data)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _reserved(person: InsuredPerson) -> Decimal:
    return PersonYear.objects.get(person=person, year=2026).support_reserved


# --- The counter -------------------------------------------------------------------------------


def test_counter_lookup_shows_the_person_and_this_years_standing(client, clerk, beneficiary, approved):
    client.force_login(clerk)
    response = client.post(reverse("subsidy:counter"), {"id_no": beneficiary.id_no})
    assert response.status_code == 200
    assert response.context["person"] == beneficiary
    standing = response.context["standing"]
    assert standing.has_own_contribution
    assert (standing.cap, standing.used, standing.room) == (Decimal("5000.00"), Decimal("1000.00"), Decimal("4000.00"))
    page = response.content.decode()
    for shown in ("王秀兰", beneficiary.id_no, "2026年3月2日", "500.00", "5,000.00", "1,000.00", "4,000.00"):
        assert shown in page
    assert 'id="sponsorship-form"' in page


def test_counter_lookup_accepts_a_lower_case_x_and_spaces(client, clerk, county):
    person = InsuredPersonFactory(
        village=first_village(county), id_no=_id_ending_in_x(), birth_date=dt.date(1970, 5, 17)
    )
    client.force_login(clerk)
    response = client.post(reverse("subsidy:counter"), {"id_no": f" {person.id_no[:-1]}x "})
    assert response.context["person"] == person


def _id_ending_in_x() -> str:
    return next(i for i in (make_id_no(dt.date(1970, 5, 17), n) for n in range(500, 600)) if i.endswith("X"))


def test_counter_lookup_of_someone_outside_the_region_says_not_found(client, clerk, other_county):
    elsewhere = InsuredPersonFactory(village=other_county["village11"])
    client.force_login(clerk)
    response = client.post(reverse("subsidy:counter"), {"id_no": elsewhere.id_no})
    assert response.context["person"] is None
    assert response.context["lookup"].errors["id_no"]
    assert elsewhere.name not in response.content.decode()
    assert 'id="sponsorship-form"' not in response.content.decode()


def test_counter_lookup_never_puts_the_id_in_a_url(client, clerk, beneficiary):
    client.force_login(clerk)
    page = client.get(reverse("subsidy:counter")).content.decode()
    assert 'method="post"' in page and 'method="get"' not in page
    # An ID sent in a URL anyway is not looked up.
    assert client.get(reverse("subsidy:counter"), {"id_no": beneficiary.id_no}).context["person"] is None


def test_counter_lookup_of_an_unknown_or_malformed_id(client, clerk, county):
    client.force_login(clerk)
    unknown = make_id_no(dt.date(1980, 1, 1), 901)
    response = client.post(reverse("subsidy:counter"), {"id_no": unknown})
    assert response.context["person"] is None
    assert unknown in response.context["lookup"].errors["id_no"][0]
    bad = client.post(reverse("subsidy:counter"), {"id_no": unknown[:17] + ("1" if unknown[17] != "1" else "2")})
    assert [e.code for e in bad.context["lookup"].errors.as_data()["id_no"]] == ["id_checksum"]


def test_clerk_enters_an_application_at_the_counter(client, clerk, beneficiary):
    client.force_login(clerk)
    response = _counter_post(client, beneficiary)
    application = SponsorshipApplication.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("subsidy:detail", args=[application.pk])
    assert (application.beneficiary, application.sponsor_id_no, application.amount) == (
        beneficiary,
        SPONSOR_ID,
        Decimal("1000.00"),
    )
    assert (application.status, application.submitted_by, application.year) == (Status.SUBMITTED, clerk, 2026)
    assert application.history.get().history_user == clerk
    assert not PersonYear.objects.get(person=beneficiary, year=2026).support_reserved  # reserved on approval


def test_check_button_runs_the_rules_and_saves_nothing(client, clerk, beneficiary):
    client.force_login(clerk)
    response = _counter_post(client, beneficiary, amount="1200.50", action="check")
    assert response.status_code == 200
    assert response.context["checked"] is not None
    assert response.context["preview"].room_after == Decimal("3799.50")
    assert 'id="check-result"' in response.content.decode()
    assert not SponsorshipApplication.objects.exists()


def test_check_button_shows_a_broken_rule_on_its_field(client, clerk, beneficiary):
    client.force_login(clerk)
    response = _counter_post(client, beneficiary, amount="6000.00", action="check")
    assert response.context["checked"] is None
    assert [e.code for e in response.context["form"].errors.as_data()["amount"]] == ["cap_exceeded"]
    assert not SponsorshipApplication.objects.exists()


def _receiving(beneficiary: InsuredPerson) -> dict[str, str]:
    InsuredPerson.objects.filter(pk=beneficiary.pk).update(status=InsuredPerson.Status.RECEIVING)
    return {}


def _own_not_arrived(beneficiary: InsuredPerson) -> dict[str, str]:
    return {"id_no": InsuredPersonFactory(village=beneficiary.village).id_no}


UNDER_18 = make_id_no(dt.date(2010, 1, 1), 5)
BAD_CHECKSUM = SPONSOR_ID[:17] + ("0" if SPONSOR_ID[17] != "0" else "1")

# (case id, field carrying the error, its code, builder of the bad input)
BAD_INPUTS = [
    ("sponsor_under_18", "sponsor_id_no", "sponsor_under_18", lambda b: {"sponsor_id_no": UNDER_18}),
    ("bad_sponsor_checksum", "sponsor_id_no", "sponsor_id_invalid", lambda b: {"sponsor_id_no": BAD_CHECKSUM}),
    ("sponsor_is_beneficiary", "sponsor_id_no", "sponsor_is_beneficiary", lambda b: {"sponsor_id_no": b.id_no}),
    ("past_year", "year", "past_year", lambda b: {"year": "2025"}),
    ("future_year", "year", "future_year", lambda b: {"year": "2027"}),
    ("amount_zero", "amount", "amount_not_positive", lambda b: {"amount": "0"}),
    ("amount_negative", "amount", "amount_not_positive", lambda b: {"amount": "-100.00"}),
    ("three_decimals", "amount", "max_decimal_places", lambda b: {"amount": "100.005"}),
    ("over_the_room_left", "amount", "cap_exceeded", lambda b: {"amount": "5000.01"}),
    ("receiving_benefits", "__all__", "receiving_benefits", _receiving),
    ("own_contribution_not_arrived", "__all__", "own_contribution_missing", _own_not_arrived),
]  # fmt: skip


@pytest.mark.parametrize("action", ["submit", "check"])
@pytest.mark.parametrize(("field", "code", "bad"), [pytest.param(f, c, b, id=i) for i, f, c, b in BAD_INPUTS])
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(client, clerk, beneficiary, field, code, bad, action):
    overrides = bad(beneficiary)
    client.force_login(clerk)
    response = _counter_post(client, beneficiary, action=action, **overrides)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert [e.code for e in errors.as_data().get(field, [])] == [code], errors
    assert escape(errors[field][0]) in response.content.decode()
    assert not SponsorshipApplication.objects.exists()
    assert not PersonYear.objects.filter(support_reserved__gt=0).exists()


def test_an_amount_over_what_is_left_after_approved_ones_is_refused(client, clerk, beneficiary, approved):
    client.force_login(clerk)
    response = _counter_post(client, beneficiary, amount="4000.01")
    assert [e.code for e in response.context["form"].errors.as_data()["amount"]] == ["cap_exceeded"]
    assert SponsorshipApplication.objects.count() == 1
    assert _counter_post(client, beneficiary, amount="4000.00").status_code == 302


# --- Who may open the pages --------------------------------------------------------------------


def _every_page(application: SponsorshipApplication) -> list[tuple[str, str]]:
    pk = application.pk
    return [
        ("get", reverse("subsidy:list")),
        ("get", reverse("subsidy:counter")),
        ("post", reverse("subsidy:counter")),
        ("get", reverse("subsidy:verify") + f"?code={application.check_code}"),
        ("get", reverse("subsidy:detail", args=[pk])),
        ("get", reverse("subsidy:pdf", args=[pk])),
        ("post", reverse("subsidy:approve", args=[pk])),
        ("post", reverse("subsidy:reject", args=[pk])),
        ("post", reverse("subsidy:sign", args=[pk])),
        ("post", reverse("subsidy:withdraw", args=[pk])),
    ]


@pytest.mark.parametrize("role", ["township_office", "village_accountant"])
def test_township_and_village_users_are_refused_everywhere(client, submitted, county, role):
    township = county.children.order_by("code").first()
    region = township if role == "township_office" else township.children.order_by("code").first()
    client.force_login(make_user(role, region))
    for method, url in _every_page(submitted):
        assert getattr(client, method)(url, {"reason": "x"} if method == "post" else None).status_code == 403, url
    home = client.get(reverse("insured:home")).content.decode()
    assert reverse("subsidy:list") not in home
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_county_staff_see_the_menu_link(client, clerk):
    client.force_login(clerk)
    assert f'href="{reverse("subsidy:list")}"' in client.get(reverse("insured:home")).content.decode()


def test_anonymous_is_sent_to_log_in(client, submitted):
    for method, url in _every_page(submitted):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_another_countys_staff_do_not_find_the_application(client, submitted, beneficiary, other_county):
    other_clerk = make_user("clerk", other_county["county"], username="other-clerk")
    other_reviewer = make_user("reviewer", other_county["county"], username="other-reviewer")
    client.force_login(other_clerk)
    assert client.get(reverse("subsidy:detail", args=[submitted.pk])).status_code == 404
    assert client.get(reverse("subsidy:pdf", args=[submitted.pk])).status_code == 404
    assert client.post(reverse("subsidy:withdraw", args=[submitted.pk])).status_code == 404
    assert submitted.number not in client.get(reverse("subsidy:list"), {"status": "all"}).content.decode()
    assert client.get(reverse("subsidy:verify"), {"code": submitted.check_code}).context["application"] is None
    assert client.post(reverse("subsidy:counter"), {"id_no": beneficiary.id_no}).context["person"] is None
    client.force_login(other_reviewer)
    assert client.post(reverse("subsidy:approve", args=[submitted.pk])).status_code == 404
    assert client.post(reverse("subsidy:reject", args=[submitted.pk]), {"reason": "x"}).status_code == 404
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


# --- Review: maker and checker -----------------------------------------------------------------


def test_a_clerk_cannot_approve(client, clerk, submitted):
    client.force_login(clerk)
    page = client.get(reverse("subsidy:detail", args=[submitted.pk])).content.decode()
    assert reverse("subsidy:approve", args=[submitted.pk]) not in page
    assert client.post(reverse("subsidy:approve", args=[submitted.pk])).status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_the_person_who_entered_it_cannot_approve_or_reject(client, sponsorship_input, reviewer, county, beneficiary):
    # No role holds both capabilities, but a reviewer may have entered it through the API or
    # while still a clerk: the page hides the buttons and the service refuses a forged POST.
    application = services.application_submit(sponsorship_input(), user=reviewer, agency_region=county)
    client.force_login(reviewer)
    page = client.get(reverse("subsidy:detail", args=[application.pk])).content.decode()
    assert reverse("subsidy:approve", args=[application.pk]) not in page
    assert reverse("subsidy:reject", args=[application.pk]) not in page
    assert 'id="own-entry"' in page
    assert application.number not in client.get(reverse("subsidy:list")).content.decode()  # not in the queue

    response = client.post(reverse("subsidy:approve", args=[application.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("subsidy:detail", args=[application.pk])
    assert len(_messages(response)) == 1
    client.post(reverse("subsidy:reject", args=[application.pk]), {"reason": "资料不全"})
    application.refresh_from_db()
    assert (application.status, application.reviewed_by, application.rejection_reason) == (Status.SUBMITTED, None, "")
    assert not PersonYear.objects.get(person=beneficiary, year=2026).support_reserved


def test_reviewer_sees_the_queue_and_approves(client, reviewer, submitted, beneficiary):
    client.force_login(reviewer)
    queue = client.get(reverse("subsidy:list"))
    assert queue.context["status"] == "review"
    assert [a.pk for a in queue.context["page"]] == [submitted.pk]
    page = client.get(reverse("subsidy:detail", args=[submitted.pk])).content.decode()
    assert reverse("subsidy:approve", args=[submitted.pk]) in page
    assert reverse("subsidy:pdf", args=[submitted.pk]) not in page  # printed once approved (000 三(二))

    response = client.post(reverse("subsidy:approve", args=[submitted.pk]), follow=True)
    submitted.refresh_from_db()
    assert (submitted.status, submitted.reviewed_by) == (Status.APPROVED, reviewer)
    assert _reserved(beneficiary) == Decimal("1000.00")
    assert reverse("subsidy:pdf", args=[submitted.pk]) in response.content.decode()
    assert list(client.get(reverse("subsidy:list")).context["page"]) == []


def test_reviewer_rejects_only_with_a_reason(client, reviewer, submitted, beneficiary):
    client.force_login(reviewer)
    url = reverse("subsidy:reject", args=[submitted.pk])
    response = client.post(url, {"reason": "  "}, follow=True)
    assert len(_messages(response)) == 1
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert client.post(url, {"reason": "x" * 201}).status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED

    response = client.post(url, {"reason": "资助人身份证复印件不清晰"}, follow=True)
    submitted.refresh_from_db()
    assert (submitted.status, submitted.rejection_reason) == (Status.REJECTED, "资助人身份证复印件不清晰")
    assert "资助人身份证复印件不清晰" in response.content.decode()
    assert not PersonYear.objects.filter(person=beneficiary, support_reserved__gt=0).exists()


# --- Signatures, withdrawal, credit ------------------------------------------------------------


def test_recording_the_signatures_creates_the_receivable(client, clerk, approved):
    client.force_login(clerk)
    page = client.get(reverse("subsidy:detail", args=[approved.pk])).content.decode()
    assert reverse("subsidy:sign", args=[approved.pk]) in page
    response = client.post(reverse("subsidy:sign", args=[approved.pk]), follow=True)
    approved.refresh_from_db()
    assert (approved.status, approved.signed_by) == (Status.SIGNED, clerk)
    receivable = approved.receivable
    assert (receivable.kind, receivable.amount, receivable.payer_id) == (
        PaymentKind.SPONSORSHIP,
        Decimal("1000.00"),
        SPONSOR_ID,
    )
    assert receivable.number in response.content.decode()
    assert reverse("subsidy:sign", args=[approved.pk]) not in response.content.decode()


def test_signatures_before_approval_are_refused(client, clerk, submitted):
    client.force_login(clerk)
    response = client.post(reverse("subsidy:sign", args=[submitted.pk]), follow=True)
    assert len(_messages(response)) == 1
    assert not Receivable.objects.exists()


def test_withdrawing_releases_the_reservation(client, clerk, approved, beneficiary):
    assert _reserved(beneficiary) == Decimal("1000.00")
    client.force_login(clerk)
    client.post(reverse("subsidy:withdraw", args=[approved.pk]))
    approved.refresh_from_db()
    assert (approved.status, approved.closed_by) == (Status.WITHDRAWN, clerk)
    assert _reserved(beneficiary) == Decimal("0.00")
    page = client.get(reverse("subsidy:detail", args=[approved.pk])).content.decode()
    assert reverse("subsidy:withdraw", args=[approved.pk]) not in page


def test_withdrawing_a_signed_application_cancels_its_receivable(client, clerk, approved, beneficiary):
    signed = services.application_record_signatures(approved, user=clerk)
    client.force_login(clerk)
    client.post(reverse("subsidy:withdraw", args=[signed.pk]))
    signed.refresh_from_db()
    assert signed.status == Status.WITHDRAWN
    assert signed.receivable.status == Receivable.Status.CANCELLED
    assert _reserved(beneficiary) == Decimal("0.00")


@pytest.fixture
def credited(approved, clerk, county, beneficiary):
    signed = services.application_record_signatures(approved, user=clerk)
    tax = TaxClient.objects.create(client_id="tax-test", name="税务", secret=SECRET, region=county)
    payment = notice(
        beneficiary,
        voucher="ZZV1",
        kind="sponsorship",
        amount="1000.00",
        receivable_no=signed.receivable.number,
        payer_name="王大军",
        payer_id=SPONSOR_ID,
        channel="tax_app",
        paid_at="2026-11-22T10:15:00+08:00",
    )
    process(tax, [payment])
    signed.refresh_from_db()
    assert signed.status == Status.CREDITED
    return signed


def test_credited_application_says_why_it_cannot_be_withdrawn(client, clerk, credited):
    client.force_login(clerk)
    page = client.get(reverse("subsidy:detail", args=[credited.pk])).content.decode()
    assert 'id="no-refund"' in page
    with override("zh-hans"):
        assert gettext(NO_REFUND) in page  # {% translate %} output is not escaped
    assert "ZZV1/1" in page and "2026年11月22日 10:15" in page  # the voucher and the time paid
    assert reverse("subsidy:withdraw", args=[credited.pk]) not in page


def test_a_forged_withdraw_of_a_credited_application_is_refused(client, clerk, credited, beneficiary):
    client.force_login(clerk)
    response = client.post(reverse("subsidy:withdraw", args=[credited.pk]), follow=True)
    assert len(_messages(response)) == 1
    credited.refresh_from_db()
    assert (credited.status, credited.closed_at) == (Status.CREDITED, None)
    person_year = PersonYear.objects.get(person=beneficiary, year=2026)
    assert (person_year.support_reserved, person_year.support_credited) == (Decimal("0.00"), Decimal("1000.00"))


# --- The page of one application, the list, the check code, the form ---------------------------


def test_the_page_shows_who_did_each_step_and_the_history(client, clerk, reviewer, credited):
    clerk.last_name, clerk.first_name = "李", "窗口"
    clerk.save()
    client.force_login(reviewer)
    response = client.get(reverse("subsidy:detail", args=[credited.pk]))
    steps = response.context["steps"]
    assert [who for _label, who, _at, _note in steps] == ["李窗口", "reviewer1", "李窗口", gettext("system")]
    assert all(at is not None for _label, _who, at, _note in steps)
    history = response.context["history"]
    assert len(history) == 4  # entered, approved, signed, credited
    assert [c.who for c in history] == [gettext("system"), "李窗口", "reviewer1", "李窗口"]  # newest first
    page = response.content.decode()
    assert credited.check_code in page and credited.receivable.number in page and SPONSOR_ID in page


def test_the_list_filters_by_status(client, clerk, submitted, sponsorship_input, county, reviewer):
    other = services.application_submit(sponsorship_input(amount=Decimal("200.00")), user=clerk, agency_region=county)
    services.application_reject(other, user=reviewer, reason="重复申请")
    client.force_login(clerk)
    everything = client.get(reverse("subsidy:list"))
    assert everything.context["status"] == "all"
    assert {a.pk for a in everything.context["page"]} == {submitted.pk, other.pk}
    rejected = client.get(reverse("subsidy:list"), {"status": "rejected"})
    assert [a.pk for a in rejected.context["page"]] == [other.pk]
    tabs = {value: n for value, _label, n in rejected.context["tabs"]}
    assert (tabs["submitted"], tabs["rejected"], tabs["all"]) == (1, 1, 2)
    assert "review" not in tabs  # a clerk has no review queue


def test_the_reviewers_queue_and_its_tabs_are_counted_once(
    client, clerk, submitted, sponsorship_input, county, reviewer
):
    """The queue holds what others entered; the tabs and the pager's count come from one query."""
    services.application_submit(sponsorship_input(amount=Decimal("200.00")), user=clerk, agency_region=county)
    own = SponsorshipApplicationFactory(beneficiary=submitted.beneficiary, submitted_by=reviewer, status="submitted")
    client.force_login(reviewer)
    with CaptureQueriesContext(connection) as captured:
        queue = client.get(reverse("subsidy:list"))
    assert queue.context["status"] == "review"
    tabs = {value: n for value, _label, n in queue.context["tabs"]}
    assert (tabs["review"], tabs["submitted"], tabs["all"]) == (2, 3, 3)
    page = queue.context["page"]
    assert page.paginator.count == 2 and own.pk not in {a.pk for a in page}
    assert sum("COUNT(" in q["sql"] for q in captured) == 1
    everything = client.get(reverse("subsidy:list"), {"status": "all"})
    assert everything.context["page"].paginator.count == 3 and len(everything.context["page"]) == 3


def test_verify_finds_a_printed_form_by_its_check_code(client, clerk, submitted):
    client.force_login(clerk)
    found = client.get(reverse("subsidy:verify"), {"code": f" {submitted.check_code.lower()} "})
    assert found.context["application"] == submitted
    assert submitted.number in found.content.decode() and "1,000.00" in found.content.decode()
    missing = client.get(reverse("subsidy:verify"), {"code": "AAAAAAAA"})
    assert missing.context["application"] is None and missing.context["searched"]
    assert 'id="verify-result"' in missing.content.decode()


def test_the_form_prints_as_a_pdf(client, clerk, approved):
    client.force_login(clerk)
    response = client.get(reverse("subsidy:pdf", args=[approved.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="{approved.number}.pdf"'
    assert response.content.startswith(b"%PDF")


# --- Issue 13: the reviewer sees the cap, the counter is a keyboard job, lists export ----------


def test_the_reviewer_sees_the_cap_and_what_approving_leaves(client, reviewer, submitted):
    client.force_login(reviewer)
    response = client.get(reverse("subsidy:detail", args=[submitted.pk]))
    preview = response.context["preview"]
    assert (preview.standing.cap, preview.standing.used) == (Decimal("5000.00"), Decimal("0.00"))
    assert (preview.used_after, preview.room_after, preview.fits) == (Decimal("1000.00"), Decimal("4000.00"), True)
    page = response.content.decode()
    assert 'id="standing-after"' in page and "审核通过后" in page and "4,000.00" in page


def test_the_reviewer_is_warned_when_approving_would_pass_the_cap(client, reviewer, clerk, county, submitted):
    bigger = services.application_submit(
        sponsorship_input_amount(submitted, Decimal("4500.00")), user=clerk, agency_region=county
    )
    services.application_approve(submitted, user=reviewer, agency_region=county)
    client.force_login(reviewer)
    response = client.get(reverse("subsidy:detail", args=[bigger.pk]))
    assert response.context["preview"].room_after == Decimal("-500.00")
    assert "将超过上限（规则1），审核通过将被拒绝" in response.content.decode()


def sponsorship_input_amount(application: SponsorshipApplication, amount: Decimal) -> services.SponsorshipInput:
    return services.SponsorshipInput(
        application.sponsor_name,
        application.sponsor_id_no,
        application.sponsor_phone,
        application.relation,
        application.beneficiary,
        application.year,
        amount,
    )


def test_an_approved_application_is_already_counted_under_the_cap(client, clerk, approved):
    client.force_login(clerk)
    response = client.get(reverse("subsidy:detail", args=[approved.pk]))
    assert response.context["preview"] is None
    assert response.context["standing"].used == Decimal("1000.00")
    assert 'id="counted"' in response.content.decode()


def _autofocused(page: str) -> list[str]:
    import re

    return re.findall(r'<(?:input|select|button)[^>]*\bautofocus\b[^>]*\b(?:id|name)="([^"]+)"', page) + re.findall(
        r'<(?:input|select|button)[^>]*\b(?:id)="([^"]+)"[^>]*\bautofocus\b', page
    )


def test_the_counter_starts_in_the_id_field_and_moves_to_the_sponsor(client, clerk, beneficiary):
    client.force_login(clerk)
    assert set(_autofocused(client.get(reverse("subsidy:counter")).content.decode())) == {"id_id_no"}
    looked_up = client.post(reverse("subsidy:counter"), {"id_no": beneficiary.id_no}).content.decode()
    assert set(_autofocused(looked_up)) == {"id_sponsor_name"}


def test_after_a_refusal_the_cursor_is_on_the_field_in_error(client, clerk, beneficiary):
    client.force_login(clerk)
    response = _counter_post(client, beneficiary, action="check", amount="6000.00")
    assert set(_autofocused(response.content.decode())) == {"id_amount"}


def test_after_a_passed_check_the_cursor_is_on_the_button_that_enters_it(client, clerk, beneficiary):
    client.force_login(clerk)
    response = _counter_post(client, beneficiary, action="check")
    assert set(_autofocused(response.content.decode())) == {"enter-application"}


def test_the_list_exports_with_names_of_staff_and_masked_ids(client, clerk, reviewer, approved, beneficiary):
    import io

    from openpyxl import load_workbook

    clerk.last_name, clerk.first_name = "李", "春梅"
    clerk.save()
    client.force_login(clerk)
    response = client.get(reverse("subsidy:export"), {"status": "all"})
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    header, line = rows[0], rows[1]
    assert line[header.index("申请编号")] == approved.number
    assert line[header.index("受理人")] == "李春梅"
    assert line[header.index("公民身份号码")] == beneficiary.masked_id_no
    assert line[header.index("资助金额（元）")] == Decimal("1000.00")


def test_the_list_export_is_refused_outside_the_county_staff(client, submitted, county, other_county):
    township = county.children.first()
    client.force_login(make_user("township_office", township))
    assert client.get(reverse("subsidy:export")).status_code == 403
    client.force_login(make_user("clerk", other_county["county"]))
    import io

    from openpyxl import load_workbook

    response = client.get(reverse("subsidy:export"), {"status": "all"})
    assert list(load_workbook(io.BytesIO(response.content)).active.iter_rows(min_row=2, values_only=True)) == []


def test_the_api_names_the_staff_beside_their_logins(client, reviewer, approved):
    approved.submitted_by.last_name, approved.submitted_by.first_name = "李", "春梅"
    approved.submitted_by.save()
    client.force_login(reviewer)
    data = client.get(f"/api/v1/sponsorships/{approved.pk}/").json()
    assert (data["submitted_by"], data["submitted_by_name"]) == ("clerk1", "李春梅")
    assert data["reviewed_by"] == "reviewer1" and data["reviewed_by_name"]
    assert data["signed_by"] is None and data["signed_by_name"] is None


def test_the_beneficiarys_account_names_the_voucher_receivable_and_application(client, clerk, credited, beneficiary):
    client.force_login(clerk)
    page = client.get(reverse("insured:person-detail", args=[beneficiary.pk])).content.decode()
    assert "电子税票号码 ZZV1 第1行" in page
    assert f"应收核定单号{credited.receivable.number}" in page
    assert f'href="{reverse("subsidy:detail", args=[credited.pk])}">个人资助申请 {credited.number}</a>' in page
    assert "notice:ZZV1:1" not in page


def test_the_application_is_named_but_not_linked_for_a_role_that_may_not_open_it(client, credited, beneficiary, county):
    client.force_login(make_user("township_office", county.children.first()))
    page = client.get(reverse("insured:person-detail", args=[beneficiary.pk])).content.decode()
    assert f"个人资助申请 {credited.number}" in page
    assert reverse("subsidy:detail", args=[credited.pk]) not in page
