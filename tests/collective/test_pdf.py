"""The printed forms of notice 001, rendered with WeasyPrint and read back with pypdf: 申报表
(附件3), 缴费通知单, 应收核定单, 备案表 (附件5) and 汇总表 (附件4)."""

from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from collective import pdf, services, summary
from collective.summary import SummaryFilter
from tests.accounts import credit
from tests.collective.conftest import TODAY, paid_member, row, rows_of, xlsx_file

pytestmark = pytest.mark.django_db


def _text(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    return len(reader.pages), re.sub(r"\s+", "", "\n".join(p.extract_text() for p in reader.pages))


@pytest.fixture
def approved(filing, members, accountant, reviewer, reviewer2):
    rows = [*rows_of(members[:3]), row(4, members[3], "1409.50", kind="社会资助")]
    roster = services.roster_upload(filing, xlsx_file(rows), "a.xlsx", user=accountant, today=TODAY).roster
    services.roster_submit(roster, user=accountant, today=TODAY)
    services.roster_review(roster, user=reviewer, today=TODAY)
    return services.roster_approve(roster, user=reviewer2, today=TODAY)


def test_the_roster_form_has_its_columns_rows_total_and_four_signature_lines(approved, members, clerk, settings):
    pages, text = _text(pdf.FORMS["roster"].render(approved, printed_by=clerk))

    assert pages == 1
    assert "内蒙古城乡居民基本养老保险补助/资助申报表" in text
    for header in ("序号", "姓名", "性别", "公民身份号码", "补助金（资助）金额", "补助或资助类型"):
        assert header in text
    assert members[0].id_no in text and members[0].name in text  # the full ID: the form is signed
    assert "社会资助" in text and "集体补助" in text
    assert "2,009.50" in text and "人民币贰仟零玖元伍角" in text
    for line in (
        "资助人（签章）",
        "补助（资助）单位名称（盖公章）",
        "县级社保机构审核人（签章）",
        "县级社保机构名称（盖公章）",
    ):
        assert line in text
    assert "本表一式两份" in text
    assert "王建国、赵丽华" in text  # first reviewer and approver
    assert f"校验码：{approved.check_code}" in text
    assert "打印人：李晓梅" in text and "北京时间" in text
    assert settings.AGENCY_NAME in text
    assert approved.filing.organisation.virtual_unit_code in text


def test_an_unapproved_roster_form_says_it_is_only_for_checking(filing, members, accountant):
    roster = services.roster_upload(filing, xlsx_file(rows_of(members)), "a.xlsx", user=accountant, today=TODAY).roster
    _pages, text = _text(pdf.FORMS["roster"].render(roster, printed_by=accountant))
    assert "本申报表尚未提交，仅供核对。" in text


def test_the_payment_notice_names_the_payer_its_codes_each_receivable_and_the_total(approved, filing, clerk):
    _pages, text = _text(pdf.FORMS["notice"].render(approved, printed_by=clerk))

    organisation = filing.organisation
    assert "城乡居民基本养老保险集体补助缴费通知单" in text
    assert organisation.name in text and organisation.uscc in text and organisation.virtual_unit_code in text
    for receivable_no in approved.rows.values_list("receivable__number", flat=True):
        assert receivable_no in text
    assert "¥2,009.50" in text and "人民币贰仟零玖元伍角" in text
    assert "2026年12月31日前" in text
    assert "不享受政府补贴" in text and "社保费管理客户端" in text


def test_the_receivable_check_list_shows_paid_and_waiting_rows(approved, members, clerk):
    first = approved.rows.select_related("receivable").get(seq=1)
    credit(members[0], kind="collective", amount="200.00", receivable_no=first.receivable.number)

    _pages, text = _text(pdf.FORMS["statement"].render(approved, printed_by=clerk))

    assert "城乡居民基本养老保险应收核定单" in text
    assert text.count("已到账") == 2  # the heading's count and the paid row
    assert text.count("待缴费") == 3
    assert "已到账：1" in text
    assert "初审人：王建国" in text and "核定人：赵丽华" in text
    assert "村集体（缴费单位）和旗县级社保经办机构留存业务档案" in text


def test_the_filing_form_fills_in_the_sentence_of_attachment_5(filing, accountant):
    pages, text = _text(pdf.filing_pdf(filing, printed_by=accountant))

    organisation = filing.organisation
    assert pages == 1
    assert "内蒙古城乡居民养老保险集体补助备案表" in text
    assert (
        f"经研究，{organisation.name}为100名本集体经济组织成员按照200.00元/人标准补助城乡居民养老保险费2.5万元。"
        in text
    )
    assert "困难群体成员按照300.00元/人标准" in text
    for label in ("填表日期", "统一社会信用代码", "组织名称", "所属区、镇（街道）", "法人信息", "经办人信息"):
        assert label in text
    assert organisation.legal_person_id_no in text and organisation.handler_phone in text
    assert "负责人（签字）" in text and "单位盖章" in text
    assert "2026年3月10日成员（代表）会议决议" in text and "不是被征地农牧民养老保险缴费补贴" in text
    assert "此表由集体经济组织提供" in text


def test_the_summary_groups_by_the_beneficiaries_township_and_village_with_the_total_in_capitals(
    approved, filing, village, other_village, clerk, county, reviewer, reviewer2, auditor
):
    for r in approved.rows.select_related("receivable", "person"):
        credit(r.person, kind=r.receivable.kind, amount=f"{r.amount:.2f}", receivable_no=r.receivable.number)
    # A company's sponsorship of someone in another village, paid too.
    outsider = paid_member(other_village)
    sponsor = services.SponsorInput("company", "爱心企业", _uscc(), "04701234567", "", 2026)
    social = services.social_filing_create(sponsor, user=clerk, agency_region=county, today=TODAY)
    roster = services.roster_upload(
        social, xlsx_file([row(1, outsider, "500.00", kind="社会资助")]), "s.xlsx", user=clerk, today=TODAY
    ).roster
    services.roster_submit(roster, user=clerk, today=TODAY)
    services.roster_review(roster, user=reviewer, today=TODAY)
    roster = services.roster_approve(roster, user=reviewer2, today=TODAY)
    r = roster.rows.select_related("receivable").get()
    credit(outsider, kind="social", amount="500.00", receivable_no=r.receivable.number)

    result = summary.summary_for(auditor, SummaryFilter(2026))
    pages, text = _text(pdf.summary_pdf(result, printed_by=auditor))

    assert [(line.village, line.count, line.total) for line in result.lines] == [
        (village.name, 4, Decimal("2009.50")),
        (other_village.name, 1, Decimal("500.00")),
    ]
    assert pages == 1
    assert "内蒙古城乡居民基本养老保险补助/资助汇总表" in text
    for header in ("苏木乡镇（街道）", "嘎查村（社区）委会名称", "补助（资助）人数", "集体补助（资助）总额"):
        assert header in text
    assert village.parent.name in text and other_village.name in text
    assert "2,509.50" in text and "合计金额（大写）人民币贰仟伍佰零玖元伍角" in text
    for line in ("业务制表人：周文斌", "财务复核人", "负责人", "打印日期"):
        assert line in text
    assert "本表一式两联" in text and "为被资助人的信息" in text
    assert "校验码" in text

    only_social = summary.summary_for(auditor, SummaryFilter(2026, kind="social"))
    assert [line.total for line in only_social.lines] == [Decimal("1409.50"), Decimal("500.00")]


def _uscc() -> str:
    from tests.factories import make_uscc

    return make_uscc("91", "211370", "MA0QYQYQ")


@pytest.fixture
def auditor(county):
    from tests.factories import make_user

    return make_user("auditor", county, username="auditor1", last_name="周", first_name="文斌")


def test_a_filings_approved_rosters_print_as_one_file_of_payment_notices(
    approved, filing, county, django_capture_on_commit_callbacks
):
    """Batch printing (issue 15): the auditor prints a filing's 缴费通知单 at once, recorded as printed."""
    from insured.models import Job, PrintRecord
    from insured.printing import batches
    from tests.factories import make_user

    auditor = make_user("auditor", county, username="auditor-c")
    kind = batches.kind_for(auditor, "collective.rosters")
    form = kind.filters({"year": filing.year, "form": "notice", "filing": filing.number.lower(), "status": ""})
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        job = batches.batch_create(user=auditor, kind=kind, form=form)
    job = Job.objects.get(pk=job.pk)
    with job.result_file.open("rb") as handle:
        pages, text = _text(handle.read())
    assert job.state == Job.State.DONE and pages == 1
    assert "缴费通知单" in text and approved.number in text
    record = PrintRecord.objects.get(job=job)
    assert (record.form, record.number, record.check_code) == (
        "collective.notice",
        approved.number,
        approved.check_code,
    )
    assert dict(record.fact_rows)["人数"] == "4人"
