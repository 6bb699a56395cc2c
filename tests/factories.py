"""factory-boy factories for every model but the ledger's (AccountEntry and PersonYear are written
only through insured.ledger: tests credit money with tests.accounts). Every ID they make has a
correct check digit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from stdnum.iso7064 import mod_11_2

from collection.backpay_models import BackPaymentApplication, BackPaymentYear
from collective.models import Filing, Organisation, Roster, RosterRow
from insured.models import (
    AccessRecord,
    Holiday,
    InsuredPerson,
    Job,
    PolicyTier,
    PolicyYear,
    PrintRecord,
    Region,
    Role,
    SpecialGroup,
    SpecialGroupMembership,
    StaffProfile,
)
from oversight.models import (
    CoverageCount,
    CoverageExport,
    CoverageExportRow,
    DepartmentList,
    DepartmentListEntry,
    HouseholdExtract,
    ProgressDay,
    ProgressStale,
    ProgressYear,
    ResidentRecord,
    WeeklyReport,
)
from payments.models import (
    ArrivalNotice,
    BankStatement,
    BankStatementLine,
    ManualAssignment,
    NoticeBatch,
    PaymentKind,
    Receivable,
    ReceivableExport,
    ReconciliationRun,
    TaxClient,
)
from refunds.models import RefundApplication, RefundCase, RefundLine, RefundRequest, RefundTaxReport
from subsidy.models import SponsorshipApplication

DEMO_TIERS = [("200", "35"), ("300", "40"), ("500", "60"), ("1000", "100"), ("2000", "180"), ("5000", "300")]


def make_id_no(birth: dt.date, seq: int, area: str = "211370") -> str:
    body = f"{area}{birth:%Y%m%d}{seq % 1000:03d}"
    return body + mod_11_2.calc_check_digit(body)


def make_uscc(first_two: str = "N2", division: str = "211370", organisation: str = "12345678") -> str:
    """A unified social credit code with a right organisation-code check (GB 11714) and a right
    check character (GB 32100)."""
    from stdnum.cn import uscc

    from insured.identity import organisation_code_check

    body = f"{first_two}{division}{organisation}{organisation_code_check(organisation)}"
    return body + uscc.calc_check_digit(body)


def region_tree(county_code: str = "211370", county_name: str = "测试县") -> dict[str, Region]:
    """Province > city > county > two townships > two villages each."""
    province, _ = Region.objects.get_or_create(
        code=f"{county_code[:2]}0000000000", defaults={"name": "测试省", "level": "province"}
    )
    city, _ = Region.objects.get_or_create(
        code=f"{county_code[:4]}00000000", defaults={"name": "测试市", "level": "city", "parent": province}
    )
    county = Region.objects.create(code=f"{county_code}000000", name=county_name, level="county", parent=city)
    tree = {"province": province, "city": city, "county": county}
    for t, tcode in enumerate(("100", "200")):
        township = Region.objects.create(
            code=f"{county_code}{tcode}000", name=f"{county_name}第{t + 1}镇", level="township", parent=county
        )
        tree[f"township{t + 1}"] = township
        for v, vcode in enumerate(("201", "202")):
            tree[f"village{t + 1}{v + 1}"] = Region.objects.create(
                code=f"{county_code}{tcode}{vcode}", name=f"{township.name}{v + 1}村", level="village", parent=township
            )
    return tree


class PolicyYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyYear
        skip_postgeneration_save = True

    region = factory.LazyFunction(lambda: region_tree()["county"])
    year = 2026
    title = "测试缴费标准"
    gov_paid_amount = Decimal("100.00")
    hardship_groups = factory.LazyFunction(lambda: list(SpecialGroup.values))

    @factory.post_generation
    def tiers(self, create, extracted, **kwargs):
        tiers = extracted if extracted is not None else DEMO_TIERS
        for amount, subsidy in tiers:
            PolicyTier.objects.create(
                policy_year=self, amount=Decimal(amount), government_subsidy=Decimal(subsidy) if subsidy else None
            )
        if extracted is None:
            PolicyTier.objects.create(
                policy_year=self, amount=Decimal("100"), government_subsidy=Decimal("30"), is_hardship_only=True
            )


def first_village(region: Region) -> Region:
    return Region.objects.filter(level="village", code__startswith=region.prefix).order_by("code").first()


class RegionFactory(factory.django.DjangoModelFactory):
    """A village of the test county's first township."""

    class Meta:
        model = Region

    code = factory.Sequence(lambda n: f"211370100{300 + n:03d}")
    name = factory.Sequence(lambda n: f"新村{n}")
    level = Region.Level.VILLAGE
    parent = factory.LazyFunction(lambda: test_county().children.order_by("code").first())


class InsuredPersonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InsuredPerson

    village = factory.LazyFunction(lambda: first_village(test_county()))
    name = factory.Sequence(lambda n: f"测试{n}")
    birth_date = dt.date(1970, 5, 17)
    id_no = factory.LazyAttributeSequence(lambda o, n: make_id_no(o.birth_date, n + 1, o.village.code[:6]))
    sex = factory.LazyAttribute(lambda o: "M" if int(o.id_no[16]) % 2 else "F")
    person_no = factory.Sequence(lambda n: f"T{n:010d}")
    status = InsuredPerson.Status.ENROLLED
    enrolled_on = dt.date(2015, 1, 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialGroupMembership

    person = factory.SubFactory(InsuredPersonFactory)
    group = SpecialGroup.DIBAO_RECIPIENT
    source_department = "民政局"
    valid_from = dt.date(2020, 1, 1)


def make_user(role: str, region: Region, username: str | None = None, **extra):
    user = get_user_model().objects.create_user(
        username=username or f"{role}-{region.code}", password="pw-test-123", **extra
    )
    StaffProfile.objects.create(user=user, role=Role(role), region=region)
    return user


class PolicyTierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolicyTier

    policy_year = factory.SubFactory(PolicyYearFactory, tiers=[])
    scheme = PolicyTier.Scheme.BASIC
    amount = Decimal("700.00")
    government_subsidy = Decimal("80.00")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    last_name = "张"
    first_name = factory.Sequence(lambda n: f"员{n}")
    password = factory.PostGenerationMethodCall("set_password", "pw-test-123")


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StaffProfile

    user = factory.SubFactory(UserFactory)
    role = Role.CLERK
    region = factory.LazyFunction(lambda: test_county())


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday
        django_get_or_create = ("date",)

    date = dt.date(2026, 10, 1)
    name = "国庆节"


class JobFactory(factory.django.DjangoModelFactory):
    """A job as asked for, waiting for a worker (insured.jobs runs it)."""

    class Meta:
        model = Job

    kind = "test.kind"
    requested_by = factory.SubFactory(UserFactory)
    region = factory.LazyFunction(lambda: test_county())


class TaxClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxClient

    client_id = factory.Sequence(lambda n: f"tax-client-{n}")
    name = "测试税务"
    secret = "s" * 40
    region = factory.LazyFunction(lambda: test_county())


class ReceivableFactory(factory.django.DjangoModelFactory):
    """An assessed amount as tax sees it; money only moves when a notice for it is credited."""

    class Meta:
        model = Receivable

    number = factory.Sequence(lambda n: f"YS20260301{n:05d}")
    kind = PaymentKind.SPONSORSHIP
    person = factory.SubFactory(InsuredPersonFactory)
    payer_name = "资助人"
    payer_id = factory.LazyFunction(lambda: make_id_no(dt.date(1960, 1, 1), 777))
    year = 2026
    amount = Decimal("1000.00")
    due_date = dt.date(2026, 12, 31)
    source_type = "test"
    source_ref = factory.Sequence(lambda n: f"REF{n}")
    status = Receivable.Status.SENT


class ReceivableExportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReceivableExport

    number = factory.Sequence(lambda n: f"YSPC20260301{n:05d}")
    region = factory.LazyFunction(lambda: test_county())


class NoticeBatchFactory(factory.django.DjangoModelFactory):
    """A stored batch's envelope; its notices come from ArrivalNoticeFactory or, to credit them,
    from a push (tests.accounts)."""

    class Meta:
        model = NoticeBatch

    client = factory.SubFactory(TaxClientFactory)
    batch_id = factory.Sequence(lambda n: f"B{n:06d}")
    body_sha256 = factory.Sequence(lambda n: f"{n:064d}")
    sent_at = factory.LazyFunction(timezone.now)
    declared_count = 1
    declared_total = Decimal("500.00")


class ArrivalNoticeFactory(factory.django.DjangoModelFactory):
    """A notice as stored, still waiting to be processed (processing decides everything else)."""

    class Meta:
        model = ArrivalNotice

    batch = factory.SubFactory(NoticeBatchFactory)
    voucher_no = factory.Sequence(lambda n: f"V{n:08d}")
    line_no = 1
    kind = PaymentKind.OWN
    insured_id_no = factory.LazyFunction(lambda: make_id_no(dt.date(1970, 5, 17), 1))
    insured_name = "测试"
    payer_name = "测试"
    payer_id = factory.LazyAttribute(lambda o: o.insured_id_no)
    year = 2026
    amount = Decimal("500.00")
    paid_at = factory.LazyFunction(lambda: dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC))
    channel = "wechat"


class ManualAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ManualAssignment

    notice = factory.SubFactory(ArrivalNoticeFactory, state=ArrivalNotice.State.UNMATCHED, reason="person_unknown")
    person = factory.SubFactory(InsuredPersonFactory)
    proposed_by = factory.SubFactory(UserFactory)


class ReconciliationRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReconciliationRun

    region = factory.LazyFunction(lambda: test_county())
    period = ReconciliationRun.Period.DAY
    start = dt.date(2026, 3, 2)
    end = dt.date(2026, 3, 2)


class SponsorshipApplicationFactory(factory.django.DjangoModelFactory):
    """An application as entered at the window (submitted); the services take it further."""

    class Meta:
        model = SponsorshipApplication

    number = factory.Sequence(lambda n: f"ZZ20260301{n:04d}")
    check_code = factory.Sequence(lambda n: f"C{n:07d}")
    sponsor_name = "王大军"
    sponsor_id_no = factory.LazyFunction(lambda: make_id_no(dt.date(1985, 6, 1), 321))
    sponsor_phone = "13800000000"
    relation = SponsorshipApplication.Relation.CHILD
    beneficiary = factory.SubFactory(InsuredPersonFactory)
    year = 2026
    amount = Decimal("1000.00")
    submitted_by = factory.SubFactory(UserFactory)


class OrganisationFactory(factory.django.DjangoModelFactory):
    """A village's collective organisation with its virtual unit code recorded (it may file)."""

    class Meta:
        model = Organisation

    name = factory.LazyAttribute(lambda o: f"{o.village.name}股份经济合作社")
    uscc = factory.Sequence(lambda n: make_uscc("N2", "211370", f"{n:08d}"))
    village = factory.LazyFunction(lambda: first_village(test_county()))
    address = factory.LazyAttribute(lambda o: f"{o.village.name}村委会")
    legal_person_name = "刘长青"
    legal_person_id_no = factory.LazyFunction(lambda: make_id_no(dt.date(1968, 4, 2), 511))
    legal_person_phone = "13904700001"
    handler_name = "刘春生"
    handler_id_no = factory.LazyFunction(lambda: make_id_no(dt.date(1979, 9, 9), 613))
    handler_phone = "13904700002"
    taxpayer_id = factory.LazyAttribute(lambda o: o.uscc)
    virtual_unit_code = factory.Sequence(lambda n: f"XN211370{n:06d}")
    created_by = factory.SubFactory(UserFactory)


class FilingFactory(factory.django.DjangoModelFactory):
    """The year's plan of a collective organisation (备案): standard 200, hardship 300, resolved and
    made public in the spring."""

    class Meta:
        model = Filing

    number = factory.Sequence(lambda n: f"BA20260301{n:04d}")
    kind = Filing.Kind.COLLECTIVE
    year = 2026
    organisation = factory.SubFactory(OrganisationFactory)
    region = factory.LazyAttribute(lambda o: o.organisation.village)
    proposed_on = dt.date(2026, 3, 1)
    resolved_on = dt.date(2026, 3, 10)
    attendance_expected = 40
    attendance_present = 36
    publicity_from = dt.date(2026, 3, 11)
    publicity_to = dt.date(2026, 3, 18)
    standard = Decimal("200.00")
    hardship_standard = Decimal("300.00")
    planned_count = 100
    planned_total = Decimal("25000.00")
    declares_not_land_acquired = True
    filed_on = dt.date(2026, 3, 20)
    created_by = factory.SubFactory(UserFactory)


class RosterFactory(factory.django.DjangoModelFactory):
    """A roster as saved after its check (draft); the services take it further."""

    class Meta:
        model = Roster

    number = factory.Sequence(lambda n: f"SB20260301{n:04d}")
    check_code = factory.Sequence(lambda n: f"R{n:07d}")
    filing = factory.SubFactory(FilingFactory)
    row_count = 1
    total = Decimal("200.00")
    uploaded_by = factory.SubFactory(UserFactory)


class RosterRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RosterRow

    roster = factory.SubFactory(RosterFactory)
    seq = factory.Sequence(lambda n: n + 1)
    line = factory.LazyAttribute(lambda o: o.seq + 1)
    person = factory.SubFactory(InsuredPersonFactory)
    name = factory.LazyAttribute(lambda o: o.person.name)
    sex = factory.LazyAttribute(lambda o: o.person.sex)
    amount = Decimal("200.00")
    kind = RosterRow.Kind.COLLECTIVE


class RefundCaseFactory(factory.django.DjangoModelFactory):
    """A refund case as the administrator enters it (the six of the issue come from a fixture)."""

    class Meta:
        model = RefundCase
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"case-{n}")
    name = factory.Sequence(lambda n: f"退费情形{n}")
    basis = "费政办发〔2020〕1号 附件2"
    payee = RefundCase.Payee.PERSON
    kinds_to_payee = factory.LazyFunction(lambda: ["own"])
    kinds_to_fund = factory.LazyFunction(lambda: ["government_subsidy"])
    queue_reasons = factory.LazyFunction(lambda: ["own_already_paid"])


class RefundApplicationFactory(factory.django.DjangoModelFactory):
    """An application as the township took it (received); the services take it further."""

    class Meta:
        model = RefundApplication

    number = factory.Sequence(lambda n: f"TF20261120{n:04d}")
    check_code = factory.Sequence(lambda n: f"R{n:07d}")
    person = factory.SubFactory(InsuredPersonFactory)
    township = factory.LazyAttribute(lambda o: o.person.village.parent)
    case = factory.SubFactory(RefundCaseFactory)
    applicant_name = factory.LazyAttribute(lambda o: o.person.name)
    applicant_id_no = factory.LazyAttribute(lambda o: o.person.id_no)
    relation = RefundApplication.Relation.SELF
    applicant_phone = "13800000000"
    bank_name = "中国农业银行演示县支行"
    account_type = RefundApplication.AccountType.CARD
    account_no = "6228480402564890018"
    account_name = factory.LazyAttribute(lambda o: o.person.name)
    payee_amount = Decimal("500.00")
    received_by = factory.SubFactory(UserFactory)


class RefundLineFactory(factory.django.DjangoModelFactory):
    """A line holding a payment that waits in the queue (an entry comes only from the ledger)."""

    class Meta:
        model = RefundLine

    application = factory.SubFactory(RefundApplicationFactory)
    notice = factory.SubFactory(ArrivalNoticeFactory, state=ArrivalNotice.State.UNMATCHED, reason="own_already_paid")
    year = 2026
    kind = "own"
    amount = Decimal("500.00")
    destination = RefundLine.Destination.PAYEE


class RefundRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RefundRequest

    number = factory.Sequence(lambda n: f"QK20261201{n:04d}")
    region = factory.LazyFunction(lambda: test_county())
    month = dt.date(2026, 11, 1)
    count = 1
    payee_total = Decimal("500.00")
    fund_total = Decimal("60.00")
    requested_on = dt.date(2026, 12, 1)
    created_by = factory.SubFactory(UserFactory)


class RefundTaxReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RefundTaxReport

    number = factory.Sequence(lambda n: f"TFBS20261210{n:03d}")
    region = factory.LazyFunction(lambda: test_county())
    count = 1
    total = Decimal("500.00")
    created_by = factory.SubFactory(UserFactory)


class AccessRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessRecord

    user = factory.SubFactory(UserFactory)
    person = factory.SubFactory(InsuredPersonFactory)
    what = AccessRecord.What.PAGE


class PrintRecordFactory(factory.django.DjangoModelFactory):
    """A form as printed (insured.printing.sheets records them)."""

    class Meta:
        model = PrintRecord

    user = factory.SubFactory(UserFactory)
    form = "subsidy.application"
    title = "城乡居民养老保险社会资助申请表"
    number = factory.Sequence(lambda n: f"ZZ20261201{n:04d}")
    check_code = factory.Sequence(lambda n: f"TESTCD{n:02d}")
    region = factory.LazyFunction(lambda: test_county())
    facts = factory.LazyAttribute(lambda o: [["申请编号", o.number], ["资助金额", "¥1,000.00（人民币壹仟元整）"]])


def test_county() -> Region:
    """The test county 211370, built on first use."""
    return Region.objects.filter(code="211370000000").first() or region_tree()["county"]


class BankStatementFactory(factory.django.DjangoModelFactory):
    """A statement as imported (payments.bank.statement_import writes it with its lines)."""

    class Meta:
        model = BankStatement

    region = factory.LazyFunction(lambda: test_county())
    start = dt.date(2026, 3, 1)
    end = dt.date(2026, 3, 31)
    source_name = "statement.csv"
    sha256 = factory.Sequence(lambda n: f"{n:064d}")
    uploaded_by = factory.SubFactory(UserFactory)


class BankStatementLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BankStatementLine

    statement = factory.SubFactory(BankStatementFactory)
    line = factory.Sequence(lambda n: n + 1)
    day = dt.date(2026, 3, 2)
    amount = Decimal("500.00")
    reference = factory.Sequence(lambda n: f"V{n:08d}")
    counterparty = "国家金库测试县支库"


# --- Oversight: its summary rows are counted by oversight.services; these make single rows for tests.


class ProgressDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressDay

    village = factory.LazyFunction(lambda: first_village(test_county()))
    year = 2026
    day = factory.Sequence(lambda n: dt.date(2026, 1, 1) + dt.timedelta(days=n % 365))
    paid_new = 1
    paid_persons = 1
    own_count = 1
    own_amount = Decimal("500.00")


class ProgressYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressYear
        django_get_or_create = ("village", "year")

    village = factory.LazyFunction(lambda: first_village(test_county()))
    year = 2026
    liable = 10


class ProgressStaleFactory(factory.django.DjangoModelFactory):
    """A village year marked after a batch (oversight.services.progress.progress_mark_batch)."""

    class Meta:
        model = ProgressStale
        django_get_or_create = ("village", "year")

    village = factory.LazyFunction(lambda: first_village(test_county()))
    year = 2026


class HouseholdExtractFactory(factory.django.DjangoModelFactory):
    """An extract as imported (oversight.services.coverage.extract_import writes it with its rows)."""

    class Meta:
        model = HouseholdExtract

    township = factory.LazyFunction(lambda: test_county().children.order_by("code").first())
    data_date = dt.date(2026, 9, 30)
    source_name = "extract.xlsx"
    sha256 = factory.Sequence(lambda n: f"{n:064d}")
    is_current = False
    uploaded_by = factory.SubFactory(UserFactory)


class ResidentRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidentRecord

    extract = factory.SubFactory(HouseholdExtractFactory)
    line = factory.Sequence(lambda n: n + 1)
    birth_date = dt.date(1980, 6, 1)
    id_no = factory.LazyAttributeSequence(lambda o, n: make_id_no(o.birth_date, n + 501))
    name = "户籍人员"
    sex = factory.LazyAttribute(lambda o: "M" if int(o.id_no[16]) % 2 else "F")
    village = factory.LazyFunction(lambda: first_village(test_county()))
    household_no = "H0001"
    status = ResidentRecord.Status.NORMAL


class DepartmentListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentList

    region = factory.LazyFunction(lambda: test_county())
    kind = DepartmentList.Kind.STUDENT
    department = "县教育局"
    data_date = dt.date(2026, 9, 1)
    source_name = "students.csv"
    sha256 = factory.Sequence(lambda n: f"{n:064d}")
    is_current = False
    uploaded_by = factory.SubFactory(UserFactory)


class DepartmentListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DepartmentListEntry

    department_list = factory.SubFactory(DepartmentListFactory)
    line = factory.Sequence(lambda n: n + 1)
    id_no = factory.Sequence(lambda n: make_id_no(dt.date(2008, 3, 1), n + 1))
    name = "学生"


class CoverageCountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoverageCount
        django_get_or_create = ("village",)

    village = factory.LazyFunction(lambda: first_village(test_county()))
    residents = 10
    eligible = 8
    enrolled = 6


class CoverageExportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoverageExport

    user = factory.SubFactory(UserFactory)
    kind = CoverageExport.Kind.GAP
    region = factory.LazyFunction(lambda: test_county())


class CoverageExportRowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CoverageExportRow

    export = factory.SubFactory(CoverageExportFactory)
    record = factory.SubFactory(ResidentRecordFactory)


class WeeklyReportFactory(factory.django.DjangoModelFactory):
    """A report as the Monday job keeps it (oversight.services.reports makes the real files)."""

    class Meta:
        model = WeeklyReport

    county = factory.LazyFunction(lambda: test_county())
    week_start = factory.Sequence(lambda n: dt.date(2026, 3, 2) + dt.timedelta(weeks=n))
    year = 2026
    xlsx = factory.django.FileField(filename="weekly.xlsx", data=b"PK")
    pdf = factory.django.FileField(filename="weekly.pdf", data=b"%PDF-1.7")


# --- Back payment 补缴 (collection, branch backpay) ---------------------------------------------------


class BackPaymentApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BackPaymentApplication

    number = factory.Sequence(lambda n: f"BJ20261122{n:04d}")
    person = factory.SubFactory(InsuredPersonFactory)
    scheme = "basic"
    basis = BackPaymentApplication.Basis.INTERRUPTED
    tier = Decimal("500.00")
    tier_year = 2026
    total = Decimal("500.00")
    submitted_by = factory.SubFactory(UserFactory)


class BackPaymentYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BackPaymentYear

    application = factory.SubFactory(BackPaymentApplicationFactory)
    person = factory.LazyAttribute(lambda o: o.application.person)
    scheme = factory.LazyAttribute(lambda o: o.application.scheme)
    year = 2025
    amount = Decimal("500.00")
