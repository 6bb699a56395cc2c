"""A person with a long history, for what the person page costs (tests/insured/test_person_page_queries.py
and bench/person_page.py): every panel of every app has rows to show.

Per year: an own contribution pushed by tax and credited (with its government subsidy), an approved
collective subsidy roster row, a change to the person's record. Once: a reversal of the first year's
payment, a personal sponsorship credited against its receivable, a refund application, a back-payment
application, a special group membership and this year's government-paid receivable. Money moves only
by pushed notices (tests.accounts), as in production."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from insured import ledger
from insured.models import InsuredPerson, Region
from payments.models import ArrivalNotice, PaymentKind
from subsidy.capabilities import SOURCE_TYPE as SPONSORSHIP_SOURCE
from tests.accounts import county_tax_client, credit, push
from tests.factories import (
    BackPaymentYearFactory,
    FilingFactory,
    InsuredPersonFactory,
    MembershipFactory,
    OrganisationFactory,
    ReceivableFactory,
    RefundApplicationFactory,
    RosterFactory,
    RosterRowFactory,
    SponsorshipApplicationFactory,
    UserFactory,
)


def _reverse(person: InsuredPerson, notice: ArrivalNotice) -> None:
    """Tax takes a payment back (a reversal notice naming its voucher line)."""
    body = {
        "voucher_no": f"R{notice.voucher_no}",
        "line_no": 1,
        "kind": notice.kind,
        "insured_id_number": person.id_no,
        "insured_name": person.name,
        "payer_name": person.name,
        "payer_id": person.id_no,
        "year": notice.year,
        "amount": f"{notice.amount:.2f}",
        "paid_at": (notice.paid_at + dt.timedelta(days=30)).isoformat(),
        "channel": "wechat",
        "receivable_no": None,
        "reverses": {"voucher_no": notice.voucher_no, "line_no": notice.line_no},
        "tax_office_code": None,
        "agency_code": None,
    }
    push(county_tax_client(person), [body])


def rich_person(village: Region, years: Sequence[int], *, tag: str = "RICH", **fields: object) -> InsuredPerson:
    """A person of `village` with a history over `years` (each needs its policy year); `fields` go
    to the person's factory."""
    person = InsuredPersonFactory(village=village, phone="13900000000", **fields)
    user = UserFactory()
    organisation = OrganisationFactory(village=village, created_by=user)
    notices = []
    for n, year in enumerate(years):
        notices.append(credit(person, year=year, amount="500.00", paid_on=dt.date(year, 4, 1), voucher=f"{tag}{year}"))
        filing = FilingFactory(organisation=organisation, region=village, year=year, created_by=user)
        roster = RosterFactory(filing=filing, status="approved", uploaded_by=user)
        RosterRowFactory(roster=roster, person=person)
        person.phone = f"1390000{n:04d}"
        person.save()
    assert all(n.state == ArrivalNotice.State.CREDITED for n in notices), [n.reason for n in notices]
    _reverse(person, notices[0])
    credit(person, year=years[0], amount="300.00", paid_on=dt.date(years[0], 6, 1), voucher=f"{tag}AGAIN")

    last = years[-1]
    application = SponsorshipApplicationFactory(beneficiary=person, year=last, submitted_by=user, status="approved")
    ledger.support_reserve(person=person, year=last, amount=application.amount)
    receivable = ReceivableFactory(
        person=person,
        year=last,
        amount=application.amount,
        payer_name=person.name,
        payer_id=person.id_no,
        source_type=SPONSORSHIP_SOURCE,
        source_ref=application.number,
    )
    sponsored = credit(
        person, kind="sponsorship", year=last, amount=f"{application.amount:.2f}", voucher=f"{tag}SP",
        receivable_no=receivable.number,
    )  # fmt: skip
    assert sponsored.state == ArrivalNotice.State.CREDITED, sponsored.reason

    RefundApplicationFactory(person=person, received_by=user)
    BackPaymentYearFactory(application__person=person, application__submitted_by=user, year=years[0] - 1)
    MembershipFactory(person=person, source_department="民政局")
    ReceivableFactory(person=person, kind=PaymentKind.GOVERNMENT_PAID, year=last, amount=Decimal("100.00"))
    return person
