"""The refund pages: who may open each (anonymous to the login, a wrong role 403, another township
404), the intake at the township office, each step's button, the copies, and the database after."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from insured.models import AccountEntry
from refunds.models import RefundApplication, RefundLine, RefundRequest
from tests.refunds.conftest import CARD, PDF, PNG, TODAY, advance, case, duplicate_notice, take

pytestmark = pytest.mark.django_db
D = Decimal


def _intake_post(person, **overrides):
    data = {
        "case": case("employee_pension").pk,
        "entries": [str(pk) for pk in person.entries.filter(kind="own").values_list("pk", flat=True)],
        "relation": "self",
        "applicant_name": person.name,
        "applicant_id_no": person.id_no,
        "applicant_phone": "13800000000",
        "bank_name": "中国农业银行演示县支行",
        "account_type": "card",
        "account_no": CARD,
        "account_name": person.name,
        "circumstances": "2026年3月起参加职工养老保险",
        "id_card_copy": SimpleUploadedFile("id.png", PNG, "image/png"),
        "bank_card_copy": SimpleUploadedFile("card.png", PNG, "image/png"),
        "payment_proof": SimpleUploadedFile("proof.pdf", PDF, "application/pdf"),
        "evidence_copy": SimpleUploadedFile("ev.pdf", PDF, "application/pdf"),
        "action": "submit",
    }
    return data | overrides


# --- Who may open what ---------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login(client, person, staff):
    application = take(person, staff)
    for url in (
        reverse("refunds:list"),
        reverse("refunds:detail", args=[application.pk]),
        reverse("refunds:copy", args=[application.pk, "id_card_copy"]),
        reverse("refunds:pdf", args=[application.pk]),
        reverse("refunds:request-list"),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_village_accountant_has_no_refund_pages(client, person, staff):
    client.force_login(staff["village"])
    assert client.get(reverse("refunds:list")).status_code == 403


@pytest.mark.parametrize(
    ("who", "url_name", "method"),
    [
        ("clerk", "refunds:intake-lookup", "get"),
        ("reviewer", "refunds:first-review", "post"),
        ("town", "refunds:approve", "post"),
        ("auditor", "refunds:withdraw", "post"),
        ("reviewer", "refunds:payment", "post"),
        ("town", "refunds:request-list", "get"),
        ("auditor", "refunds:request-create", "post"),
        ("reviewer", "refunds:report-create", "post"),
    ],
)
def test_wrong_role_is_refused_with_403(client, person, staff, who, url_name, method):
    application = take(person, staff)
    needs_pk = url_name in ("refunds:first-review", "refunds:approve", "refunds:withdraw", "refunds:payment")
    url = reverse(url_name, args=[application.pk] if needs_pk else [])
    client.force_login(staff[who])
    assert getattr(client, method)(url).status_code == 403
    application.refresh_from_db()
    assert application.status == "received"


def test_another_township_gets_404_for_everything_of_this_township(client, person, staff):
    application = take(person, staff)
    client.force_login(staff["other_town"])
    for url in (
        reverse("refunds:detail", args=[application.pk]),
        reverse("refunds:copy", args=[application.pk, "id_card_copy"]),
        reverse("refunds:pdf", args=[application.pk]),
        reverse("refunds:intake", args=[person.pk]),
        reverse("refunds:correct", args=[application.pk]),
    ):
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("refunds:withdraw", args=[application.pk])).status_code == 404
    assert application.number not in client.get(reverse("refunds:list") + "?status=all").content.decode()
    application.refresh_from_db()
    assert application.status == "received"


def test_county_staff_and_the_auditor_read_the_county(client, person, staff):
    application = take(person, staff)
    for who in ("reviewer", "finance", "auditor", "clerk"):
        client.force_login(staff[who])
        assert client.get(reverse("refunds:detail", args=[application.pk])).status_code == 200, who


def test_auditor_sees_no_action_buttons(client, person, staff):
    application = advance(take(person, staff), staff, "requested")
    client.force_login(staff["auditor"])
    page = client.get(reverse("refunds:detail", args=[application.pk])).content.decode()
    assert 'id="record-payment"' not in page and 'id="approve"' not in page and 'id="withdraw"' not in page
    assert 'id="print-form"' in page


# --- Intake ----------------------------------------------------------------------------------------


def test_lookup_by_posted_id_leads_to_the_intake_page(client, person, staff):
    client.force_login(staff["town"])
    response = client.post(reverse("refunds:intake-lookup"), {"id_no": person.id_no})
    assert response.status_code == 302
    assert response["Location"] == reverse("refunds:intake", args=[person.pk])
    assert person.id_no not in response["Location"]


def test_lookup_of_a_person_of_another_township_is_not_found(client, person, staff):
    client.force_login(staff["other_town"])
    response = client.post(reverse("refunds:intake-lookup"), {"id_no": person.id_no})
    assert response.status_code == 200
    assert response.context["form"].errors["id_no"]


def test_intake_page_offers_the_account_and_the_waiting_payments(client, person, staff):
    notice = duplicate_notice(person)
    client.force_login(staff["town"])
    page = client.get(reverse("refunds:intake", args=[person.pk])).content.decode()
    own = person.entries.get(kind="own")
    assert f'name="entries" value="{own.pk}"' in page
    assert f'name="notices" value="{notice.pk}"' in page
    assert person.id_no not in page  # masked


def test_check_button_computes_the_amount_and_saves_nothing(client, person, staff):
    client.force_login(staff["town"])
    response = client.post(reverse("refunds:intake", args=[person.pk]), _intake_post(person, action="check"))
    assert response.status_code == 200
    plan = response.context["plan"]
    assert (plan.payee_amount, plan.fund_amount) == (D("500.00"), D("60.00"))
    assert RefundApplication.objects.count() == 0


def test_intake_takes_the_application_with_its_copies(client, person, staff, media):
    client.force_login(staff["town"])
    response = client.post(reverse("refunds:intake", args=[person.pk]), _intake_post(person))
    application = RefundApplication.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("refunds:detail", args=[application.pk])
    assert (application.payee_amount, application.fund_amount, application.received_by) == (
        D("500.00"),
        D("60.00"),
        staff["town"],
    )
    assert application.id_card_copy.name.startswith(f"refunds/{application.number}/")
    assert (media / application.id_card_copy.name).exists()
    assert not application.id_card_copy.name.endswith(".exe")


def test_intake_refusal_shows_the_rule_and_saves_nothing(client, person, staff):
    client.force_login(staff["town"])
    wrong = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    response = client.post(reverse("refunds:intake", args=[person.pk]), _intake_post(person, account_no=wrong))
    assert response.status_code == 200
    assert response.context["form"].errors["account_no"]
    assert RefundApplication.objects.count() == 0 and RefundLine.objects.count() == 0


def test_intake_refuses_a_copy_that_is_not_a_document(client, person, staff):
    client.force_login(staff["town"])
    bad = SimpleUploadedFile("id.png", b"<script>alert(1)</script>", "image/png")
    response = client.post(reverse("refunds:intake", args=[person.pk]), _intake_post(person, id_card_copy=bad))
    assert response.status_code == 200
    assert response.context["form"].errors["id_card_copy"]
    assert RefundApplication.objects.count() == 0


def test_intake_of_an_entry_already_on_an_application_is_not_offered(client, person, staff):
    take(person, staff)
    client.force_login(staff["town"])
    response = client.post(reverse("refunds:intake", args=[person.pk]), _intake_post(person))
    assert response.status_code == 200
    assert response.context["form"].errors["entries"]
    assert RefundApplication.objects.count() == 1


# --- The steps by their buttons ----------------------------------------------------------------------


def test_the_whole_flow_by_the_pages(client, person, staff):
    from refunds import services

    application = take(person, staff)

    client.force_login(staff["town"])
    page = client.get(reverse("refunds:detail", args=[application.pk])).content.decode()
    assert 'id="own-intake"' in page and 'id="first-review"' not in page
    client.force_login(staff["town_b"])
    client.post(reverse("refunds:first-review", args=[application.pk]))
    hand_over = client.get(reverse("refunds:hand-over"))
    assert application in hand_over.context["preview"].applications
    assert 'id="send"' in hand_over.content.decode()
    # Sent two months ago, so that its month's money can be requested today whatever the date.
    sent_on = timezone.localdate().replace(day=1) - dt.timedelta(days=40)
    services.applications_hand_over(user=staff["town_b"], region=staff["town_b"].staff.region, today=sent_on)
    application.refresh_from_db()
    assert application.status == "handed_over" and application.batch_month == sent_on.replace(day=1)

    client.force_login(staff["reviewer"])
    client.post(reverse("refunds:approve", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "approved"

    client.force_login(staff["finance"])
    waiting = client.get(reverse("refunds:request-list")).context["waiting"]
    assert [a.pk for m in waiting for a in m.applications] == [application.pk]
    month = application.batch_month.isoformat()
    response = client.post(reverse("refunds:request-create"), {"month": month})
    made = RefundRequest.objects.get()
    assert response["Location"] == reverse("refunds:request-detail", args=[made.pk])
    paid_on = made.requested_on.isoformat()
    client.post(reverse("refunds:payment", args=[application.pk]), {"paid_on": paid_on, "bank_reference": "NB1"})
    application.refresh_from_db()
    assert application.status == "paid"
    assert AccountEntry.objects.filter(kind="refund").count() == 2

    client.force_login(staff["auditor"])
    person_page = client.get(reverse("insured:person-detail", args=[person.pk])).content.decode()
    assert application.number in person_page and 'id="person-refunds"' in person_page


def test_approve_by_the_page_refuses_a_reviewer_who_took_part(client, person, staff):
    from insured.models import Role, StaffProfile

    application = advance(take(person, staff), staff, "handed_over")
    StaffProfile.objects.filter(user=staff["town_b"]).update(role=Role.REVIEWER, region=staff["reviewer"].staff.region)
    client.force_login(staff["town_b"])
    response = client.post(reverse("refunds:approve", args=[application.pk]), follow=True)
    assert any(m.level_tag == "error" for m in response.context["messages"])
    application.refresh_from_db()
    assert application.status == "handed_over"


def test_return_and_correct_by_the_pages(client, person, staff):
    application = advance(take(person, staff), staff, "handed_over")
    client.force_login(staff["reviewer"])
    client.post(reverse("refunds:return", args=[application.pk]), {"reason": "户名与身份证不一致"})
    application.refresh_from_db()
    assert (application.status, application.return_reason) == ("returned", "户名与身份证不一致")

    client.force_login(staff["town"])
    form = client.get(reverse("refunds:correct", args=[application.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None} | {"bank_name": "中国邮政储蓄银行"}
    response = client.post(reverse("refunds:correct", args=[application.pk]), data)
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.bank_name) == ("received", "中国邮政储蓄银行")


def test_failed_payment_by_the_page_needs_a_reason(client, person, staff):
    application = advance(take(person, staff), staff, "requested")
    client.force_login(staff["finance"])
    response = client.post(reverse("refunds:payment-failed", args=[application.pk]), {"reason": ""}, follow=True)
    assert any(m.level_tag == "error" for m in response.context["messages"])
    client.post(reverse("refunds:payment-failed", args=[application.pk]), {"reason": "账户已冻结"})
    application.refresh_from_db()
    assert (application.status, application.failure_reason) == ("payment_failed", "账户已冻结")


def test_payment_with_a_bad_date_is_refused(client, person, staff):
    application = advance(take(person, staff), staff, "requested")
    client.force_login(staff["finance"])
    response = client.post(
        reverse("refunds:payment", args=[application.pk]), {"paid_on": "not-a-date", "bank_reference": "X"}, follow=True
    )
    assert response.status_code == 200
    application.refresh_from_db()
    assert application.status == "requested"


def test_hand_over_by_the_page_sends_the_signed_applications(client, person, staff):
    application = advance(take(person, staff), staff, "first_reviewed")
    client.force_login(staff["town_b"])
    response = client.post(reverse("refunds:hand-over"))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "handed_over" and application.batch_month is not None


def test_withdraw_by_the_page_frees_the_money(client, person, staff):
    application = take(person, staff)
    client.force_login(staff["town"])
    client.post(reverse("refunds:withdraw", args=[application.pk]))
    assert not RefundLine.objects.filter(is_live=True).exists()


# --- Copies ---------------------------------------------------------------------------------------------


def test_copy_is_served_to_those_in_scope_with_its_real_type(client, person, staff):
    application = take(person, staff)
    client.force_login(staff["auditor"])
    response = client.get(reverse("refunds:copy", args=[application.pk, "payment_proof"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Cache-Control"] == "private, no-store"


def test_unknown_or_missing_copy_is_404(client, person, staff):
    application = take(person, staff, with_copies=False)
    client.force_login(staff["town"])
    assert client.get(reverse("refunds:copy", args=[application.pk, "id_card_copy"])).status_code == 404
    assert client.get(reverse("refunds:copy", args=[application.pk, "person"])).status_code == 404


def test_a_copy_lost_from_storage_is_404_not_500(client, person, staff):
    application = take(person, staff)
    application.id_card_copy.storage.delete(application.id_card_copy.name)
    client.force_login(staff["town"])
    assert client.get(reverse("refunds:copy", args=[application.pk, "id_card_copy"])).status_code == 404


def test_copies_are_not_under_a_public_url(person, staff, settings):
    application = take(person, staff)
    assert not getattr(settings, "MEDIA_URL", "").strip("/")  # nothing serves MEDIA_ROOT
    assert re.match(r"^refunds/TF\d{12}/[0-9a-f]{32}\.(png|pdf)$", application.id_card_copy.name)


def test_list_tabs_show_the_work_waiting_for_each_role(client, person, staff):
    take(person, staff)
    client.force_login(staff["town_b"])
    assert len(client.get(reverse("refunds:list")).context["page"].object_list) == 1
    client.force_login(staff["town"])
    assert len(client.get(reverse("refunds:list")).context["page"].object_list) == 0
    assert TODAY.year == 2026
