"""Rule 8 (000 四): sponsorship approved but unpaid when its year has ended is void. The
receivable is voided towards tax, the reservation released; a payment arriving afterwards
waits in the unmatched queue instead of reaching the account."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings

from insured.models import AccountEntry, InsuredPerson, PersonYear
from payments import services as payment_services
from payments.models import ArrivalNotice, Receivable, ReceivableExportLine, TaxClient
from subsidy import services, tasks
from subsidy.models import SponsorshipApplication
from tests.payments.conftest import SECRET, SignedClient, batch, notice
from tests.payments.helpers import process
from tests.subsidy.conftest import TODAY

Status = SponsorshipApplication.Status
ZERO = Decimal("0.00")
LAST_DAY = dt.date(2026, 12, 31)
NEW_YEAR = dt.date(2027, 1, 1)


def _person_year(person: InsuredPerson) -> PersonYear:
    return PersonYear.objects.get(person=person, year=2026)


def _payment(application: SponsorshipApplication, voucher: str) -> dict:
    return notice(
        application.beneficiary,
        voucher=voucher,
        kind="sponsorship",
        amount=f"{application.amount:.2f}",
        receivable_no=application.receivable.number,
        payer_name=application.sponsor_name,
        payer_id=application.sponsor_id_no,
        channel="tax_app",
    )


@pytest.fixture
def tax(county):
    return TaxClient.objects.create(client_id="tax-test", name="税务", secret=SECRET, region=county)


@pytest.fixture
def steps(sponsorship_input, clerk, reviewer, county):
    """Take an application of 2026 as far as the named state."""

    def take(state: str, amount: str = "1000.00") -> SponsorshipApplication:
        data = sponsorship_input(amount=Decimal(amount))
        application = services.application_submit(data, user=clerk, agency_region=county, today=TODAY)
        if state == Status.SUBMITTED:
            return application
        application = services.application_approve(application, user=reviewer, agency_region=county, today=TODAY)
        if state == Status.APPROVED:
            return application
        return services.application_record_signatures(application, user=clerk, today=TODAY)

    return take


@pytest.fixture
def year_of_applications(steps, tax):
    """One beneficiary: approved 1000, signed 1200, credited 800, and one left submitted."""
    approved = steps(Status.APPROVED)
    signed = steps(Status.SIGNED, "1200.00")
    credited = steps(Status.SIGNED, "800.00")
    process(tax, [_payment(credited, "ZZ-PAID")])
    submitted = steps(Status.SUBMITTED, "500.00")
    credited.refresh_from_db()
    assert credited.status == Status.CREDITED
    assert _person_year(approved.beneficiary).support_reserved == Decimal("2200.00")
    return {"approved": approved, "signed": signed, "credited": credited, "submitted": submitted}


def _states(applications: dict) -> dict[str, str]:
    return {name: SponsorshipApplication.objects.get(pk=a.pk).status for name, a in applications.items()}


@pytest.mark.django_db
def test_nothing_is_voided_on_the_last_day_of_the_year(year_of_applications):
    assert services.applications_void_expired(today=LAST_DAY) == 0

    assert _states(year_of_applications) == {
        "approved": Status.APPROVED,
        "signed": Status.SIGNED,
        "credited": Status.CREDITED,
        "submitted": Status.SUBMITTED,
    }
    signed = year_of_applications["signed"]
    signed.receivable.refresh_from_db()
    assert signed.receivable.status == Receivable.Status.OPEN
    assert _person_year(signed.beneficiary).support_reserved == Decimal("2200.00")


@pytest.mark.django_db
def test_approved_and_signed_are_voided_on_the_first_of_january(year_of_applications):
    assert services.applications_void_expired(today=NEW_YEAR) == 2

    assert _states(year_of_applications) == {
        "approved": Status.VOIDED,
        "signed": Status.VOIDED,
        "credited": Status.CREDITED,  # paid: never voided
        "submitted": Status.SUBMITTED,  # nothing reserved; it can no longer be approved (rule 4)
    }
    signed = SponsorshipApplication.objects.get(pk=year_of_applications["signed"].pk)
    assert signed.closed_at is not None
    assert signed.receivable.status == Receivable.Status.VOIDED
    assert signed.receivable.closed_at is not None
    person_year = _person_year(signed.beneficiary)
    assert (person_year.support_reserved, person_year.support_credited) == (ZERO, Decimal("800.00"))


@pytest.mark.django_db
def test_voiding_twice_changes_nothing(year_of_applications):
    services.applications_void_expired(today=NEW_YEAR)
    states = _states(year_of_applications)
    receivables = sorted(Receivable.objects.values_list("pk", "status", "closed_at"))
    history = SponsorshipApplication.history.count()

    assert services.applications_void_expired(today=NEW_YEAR) == 0
    assert services.applications_void_expired(today=dt.date(2027, 1, 2)) == 0

    assert _states(year_of_applications) == states
    assert sorted(Receivable.objects.values_list("pk", "status", "closed_at")) == receivables
    assert SponsorshipApplication.history.count() == history
    assert _person_year(year_of_applications["signed"].beneficiary).support_reserved == ZERO


@pytest.mark.django_db
def test_credited_application_is_untouched(year_of_applications):
    credited = year_of_applications["credited"]
    entries = sorted(AccountEntry.objects.values_list("pk", "amount"))

    services.applications_void_expired(today=NEW_YEAR)

    credited.refresh_from_db()
    assert credited.status == Status.CREDITED and credited.closed_at is None
    assert credited.receivable.status == Receivable.Status.PAID
    assert sorted(AccountEntry.objects.values_list("pk", "amount")) == entries


@pytest.mark.django_db
def test_voided_receivable_that_tax_was_told_about_is_cancelled_towards_tax(steps, county):
    signed = steps(Status.SIGNED)
    payment_services.export_create(region=county, user=None)
    signed.receivable.refresh_from_db()
    assert signed.receivable.status == Receivable.Status.SENT

    services.applications_void_expired(today=NEW_YEAR)

    export = payment_services.export_create(region=county, user=None)
    assert [(line.receivable_id, line.action) for line in export.lines.all()] == [
        (signed.receivable.pk, ReceivableExportLine.Action.CANCEL)
    ]


@pytest.mark.django_db
def test_celery_task_voids_with_the_frozen_clock(year_of_applications, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: LAST_DAY)
    assert tasks.void_expired_sponsorships.delay().get() == 0
    assert _states(year_of_applications)["signed"] == Status.SIGNED

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: NEW_YEAR)
    assert tasks.void_expired_sponsorships.delay().get() == 2
    assert tasks.void_expired_sponsorships.delay().get() == 0  # safe to run twice

    states = _states(year_of_applications)
    assert (states["approved"], states["signed"], states["credited"]) == (Status.VOIDED, Status.VOIDED, Status.CREDITED)
    assert _person_year(year_of_applications["signed"].beneficiary).support_reserved == ZERO


def test_celery_beat_runs_the_void_every_day():
    entries = [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == tasks.void_expired_sponsorships.name]
    assert len(entries) == 1
    assert entries[0]["schedule"].hour == {0}  # daily: a missed night is caught up the next


@pytest.mark.django_db
def test_late_payment_after_voiding_waits_in_the_queue(steps, tax):
    signed = steps(Status.SIGNED)
    services.applications_void_expired(today=NEW_YEAR)

    stored = process(tax, [_payment(signed, "ZZ-LATE")])

    assert stored.unmatched_count == 1 and stored.credited_count == 0
    late = ArrivalNotice.objects.get(voucher_no="ZZ-LATE")
    assert (late.state, late.reason) == (ArrivalNotice.State.UNMATCHED, ArrivalNotice.Reason.RECEIVABLE_CLOSED)
    assert not AccountEntry.objects.filter(kind="sponsorship").exists()
    signed.refresh_from_db()
    assert signed.status == Status.VOIDED
    assert signed.receivable.status == Receivable.Status.VOIDED


@pytest.mark.django_db(transaction=True)
def test_late_payment_pushed_in_a_signed_batch_after_voiding_goes_to_the_queue(steps, tax, beneficiary):
    signed = steps(Status.SIGNED)
    assert services.applications_void_expired(today=NEW_YEAR) == 1

    response = SignedClient().push(batch([_payment(signed, "ZZ-LATE")], batch_id="LATE1"))

    assert response.status_code == 202
    late = ArrivalNotice.objects.get(voucher_no="ZZ-LATE")
    assert (late.state, late.reason) == (ArrivalNotice.State.UNMATCHED, ArrivalNotice.Reason.RECEIVABLE_CLOSED)
    assert not AccountEntry.objects.filter(person=beneficiary, kind="sponsorship").exists()
    person_year = _person_year(beneficiary)
    assert (person_year.support_reserved, person_year.support_credited) == (ZERO, ZERO)
    signed.refresh_from_db()
    assert signed.status == Status.VOIDED and signed.credited_at is None
