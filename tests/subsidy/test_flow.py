"""The whole flow of notice 000: from the window to the credited account, through a signed
notice batch from tax."""

from decimal import Decimal

import pytest

from insured.models import AccountEntry, PersonYear
from payments.models import Receivable, TaxClient
from subsidy import services
from subsidy.models import SponsorshipApplication
from tests.payments.conftest import SECRET, SignedClient, batch, notice
from tests.subsidy.conftest import SPONSOR_ID, TODAY


@pytest.mark.django_db(transaction=True)
def test_window_to_credited_account_through_a_signed_notice_batch(
    sponsorship_input, clerk, reviewer, county, beneficiary
):
    application = services.application_submit(sponsorship_input(), user=clerk, agency_region=county, today=TODAY)
    application = services.application_approve(application, user=reviewer, agency_region=county, today=TODAY)
    assert PersonYear.objects.get(person=beneficiary, year=2026).support_reserved == Decimal("1000.00")
    application = services.application_record_signatures(application, user=clerk, today=TODAY)
    receivable = application.receivable
    assert receivable.kind == "sponsorship" and receivable.payer_id == SPONSOR_ID

    TaxClient.objects.create(client_id="tax-test", name="税务", secret=SECRET, region=county)
    payment = notice(
        beneficiary,
        voucher="ZZ1",
        kind="sponsorship",
        amount="1000.00",
        receivable_no=receivable.number,
        payer_name="王大军",
        payer_id=SPONSOR_ID,
        channel="tax_app",
    )
    assert SignedClient().push(batch([payment])).status_code == 202

    application.refresh_from_db()
    assert application.status == SponsorshipApplication.Status.CREDITED
    assert application.credited_at is not None
    receivable.refresh_from_db()
    assert receivable.status == Receivable.Status.PAID
    entries = dict(AccountEntry.objects.filter(person=beneficiary, year=2026).values_list("kind", "amount"))
    assert entries["sponsorship"] == Decimal("1000.00")  # the full amount (000 三(三)2)
    assert "government_subsidy" in entries and len(entries) == 3  # only the own contribution's subsidy (rule 5)
    person_year = PersonYear.objects.get(person=beneficiary, year=2026)
    assert (person_year.support_reserved, person_year.support_credited) == (Decimal("0"), Decimal("1000.00"))
