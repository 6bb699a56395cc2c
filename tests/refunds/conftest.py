"""Fixtures for refunds: a county with two townships, the staff of each step, a person whose
own contribution of 2026 has been credited (500 with its 60 subsidy), and builders for an
application's input and its copies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from stdnum import luhn

from insured import ledger
from payments import services as payment_services
from payments.models import PaymentKind
from refunds import services
from refunds.models import RefundApplication, RefundCase
from refunds.services import Applicant, RefundInput
from tests.accounts import credit
from tests.factories import InsuredPersonFactory, make_id_no, make_user

TODAY = dt.date(2026, 11, 22)
CARD = "622848040256489001" + luhn.calc_check_digit("622848040256489001")
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
HEIR_ID = make_id_no(dt.date(1990, 4, 1), 515)


@pytest.fixture(autouse=True)
def refund_cases(db):
    """The cases the data migration loads; a transactional test elsewhere flushes them."""
    if not RefundCase.objects.exists():
        call_command("loaddata", "refund_cases", verbosity=0)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def tree(policy):
    from insured.models import Region

    county = policy.region
    townships = list(Region.objects.filter(parent=county).order_by("code"))
    villages = {t.pk: list(t.children.order_by("code")) for t in townships}
    return {
        "county": county,
        "township1": townships[0],
        "township2": townships[1],
        "village11": villages[townships[0].pk][0],
        "village21": villages[townships[1].pk][0],
    }


@pytest.fixture
def person(tree):
    person = InsuredPersonFactory(village=tree["village11"], name="李秀英")
    credit(person, year=2026, amount="500.00", paid_on=dt.date(2026, 3, 2), voucher=f"OWN{person.pk}")
    return person


@pytest.fixture
def staff(tree):
    county = tree["county"]
    return {
        "town": make_user("township_office", tree["township1"], username="town1", last_name="陈", first_name="海燕"),
        "town_b": make_user("township_office", tree["township1"], username="town1b", last_name="周", first_name="敏"),
        "other_town": make_user("township_office", tree["township2"], username="town2"),
        "reviewer": make_user("reviewer", county, username="rev1", last_name="王", first_name="建国"),
        "reviewer2": make_user("reviewer", county, username="rev2"),
        "finance": make_user("finance", county, username="fin1", last_name="孙", first_name="秀英"),
        "auditor": make_user("auditor", county, username="aud1"),
        "clerk": make_user("clerk", county, username="clerk1"),
        "village": make_user("village_accountant", tree["village11"], username="vil1"),
    }


def case(code: str) -> RefundCase:
    return RefundCase.objects.get(code=code)


def applicant_of(person, **overrides) -> Applicant:
    fields = {
        "applicant_name": person.name,
        "applicant_id_no": person.id_no,
        "relation": "self",
        "applicant_phone": "13800000000",
        "bank_name": "中国农业银行演示县支行",
        "account_type": "card",
        "account_no": CARD,
        "account_name": person.name,
        "circumstances": "",
    }
    return Applicant(**(fields | overrides))


def heir_of(person, **overrides) -> Applicant:
    heir = {"applicant_name": "李明", "applicant_id_no": HEIR_ID, "relation": "child", "account_name": "李明"}
    return applicant_of(person, **(heir | overrides))


def copies(**overrides) -> dict:
    files = {
        "id_card_copy": SimpleUploadedFile("id.png", PNG, "image/png"),
        "bank_card_copy": SimpleUploadedFile("card.png", PNG, "image/png"),
        "payment_proof": SimpleUploadedFile("proof.pdf", PDF, "application/pdf"),
        "evidence_copy": SimpleUploadedFile("evidence.pdf", PDF, "application/pdf"),
    }
    return files | overrides


def own_entries(person, year: int = 2026) -> list[int]:
    return list(person.entries.filter(kind="own", year=year).values_list("pk", flat=True))


def refund_input(person, code: str = "employee_pension", *, entries=None, notices=(), applicant=None) -> RefundInput:
    return RefundInput(
        person=person,
        case=case(code),
        entry_ids=tuple(own_entries(person) if entries is None else entries),
        notice_ids=tuple(notices),
        applicant=applicant or applicant_of(person),
    )


def take(person, staff, code: str = "employee_pension", *, with_copies: bool = True, **kwargs) -> RefundApplication:
    return services.application_receive(
        refund_input(person, code, **kwargs),
        copies=copies() if with_copies else {},
        user=staff["town"],
        agency_region=staff["town"].staff.region,
    )


def advance(application: RefundApplication, staff, to: str) -> RefundApplication:
    """Take an application through the flow up to the state `to`, each step by its own person."""
    order = ["first_reviewed", "handed_over", "approved", "requested", "paid"]
    for state in order[: order.index(to) + 1]:
        application.refresh_from_db()
        if state == "first_reviewed":
            services.application_first_review(application, user=staff["town_b"])
        elif state == "handed_over":
            services.applications_hand_over(user=staff["town_b"], region=staff["town_b"].staff.region, today=TODAY)
        elif state == "approved":
            services.application_approve(application, user=staff["reviewer"])
        elif state == "requested":
            application.refresh_from_db()
            services.request_create(
                region=staff["finance"].staff.region,
                month=application.batch_month,
                user=staff["finance"],
                today=dt.date(2026, 12, 2),
            )
        elif state == "paid":
            services.application_record_payment(
                application,
                user=staff["finance"],
                paid_on=dt.date(2026, 12, 3),
                bank_reference="NB20261203001",
                today=dt.date(2026, 12, 3),
            )
    application.refresh_from_db()
    return application


def duplicate_notice(person, amount: str = "500.00", year: int = 2026):
    """002 二: a second own contribution of the year waits in the queue as own_already_paid."""
    return credit(person, year=year, amount=amount, paid_on=dt.date(year, 4, 10))


def support_credit(person, amount: str = "1000.00", kind: str = PaymentKind.COLLECTIVE, ref: str = "C1"):
    """Collective subsidy (or sponsorship) credited the way it is in production: reserved against
    the cap (rules 1, 2), a receivable sent to tax, and its payment pushed and credited."""
    ledger.support_reserve(person=person, year=2026, amount=Decimal(amount))
    receivable = payment_services.receivable_create(
        person=person,
        kind=kind,
        payer_name="南关村村民委员会",
        payer_id="N2211370MA0000000X"[:18],
        year=2026,
        amount=Decimal(amount),
        due_date=dt.date(2026, 12, 31),
        source_type="test",
        source_ref=ref,
    )
    notice = credit(person, kind=kind, amount=amount, paid_on=dt.date(2026, 5, 6), receivable_no=receivable.number)
    assert notice.state == "credited", notice.reason
    return notice
