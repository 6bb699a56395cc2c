"""The application form 城乡居民养老保险社会资助申请表 (notice 000 三(二)): rendered with
WeasyPrint and read back with pypdf."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from pypdf import PdfReader

from insured.identity import parse_resident_id
from subsidy import services
from subsidy.pdf import application_pdf
from tests.subsidy.conftest import SPONSOR_ID, TODAY


def _approved(sponsorship_input, clerk, reviewer, county, **overrides):
    application = services.application_submit(
        sponsorship_input(**overrides), user=clerk, agency_region=county, today=TODAY
    )
    return services.application_approve(application, user=reviewer, agency_region=county, today=TODAY)


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), re.sub(r"\s+", "", text)


@pytest.fixture
def named_staff(clerk, reviewer):
    clerk.last_name, clerk.first_name = "李", "经办"
    clerk.save()
    reviewer.last_name, reviewer.first_name = "赵", "复核"
    reviewer.save()
    return clerk, reviewer


@pytest.mark.django_db
def test_the_form_shows_the_sponsor_the_beneficiary_the_year_and_the_amount(
    sponsorship_input, named_staff, county, beneficiary, settings
):
    clerk, reviewer = named_staff
    application = _approved(sponsorship_input, clerk, reviewer, county)

    pdf = application_pdf(application, printed_by=clerk)

    assert pdf.startswith(b"%PDF")
    pages, text = _text(pdf)
    assert pages == 1
    assert "城乡居民养老保险社会资助申请表" in text
    assert settings.AGENCY_NAME in text
    assert application.number in text
    assert "王大军" in text and SPONSOR_ID in text
    submitted_on = timezone.localtime(application.submitted_at).date()
    assert f"男/{parse_resident_id(SPONSOR_ID).age_on(submitted_on)}周岁" in text  # sex and age from the ID
    assert "13800000000" in text and "子女" in text
    assert beneficiary.name in text and beneficiary.id_no in text and beneficiary.person_no in text
    assert beneficiary.village.name in text and "正常参保缴费" in text
    assert "2026年度" in text
    assert "¥1,000.00" in text
    assert "人民币壹仟元整" in text
    assert "不享受政府补贴" in text and "一律不予退费" in text and "逾期自动作废" in text
    for line in ("资助人（签字）", "受资助人（签字）", "经办人（签字）", "复核人"):
        assert line in text
    assert "赵复核" in text  # the reviewer of an approved application
    assert f"校验码：{application.check_code}" in text
    assert "打印人：李经办" in text and "北京时间" in text


@pytest.mark.django_db
def test_the_amount_in_capitals_keeps_the_zero_and_the_jiao(sponsorship_input, clerk, reviewer, county):
    application = _approved(sponsorship_input, clerk, reviewer, county, amount=Decimal("1409.50"))

    _pages, text = _text(application_pdf(application, printed_by=reviewer))

    assert "¥1,409.50" in text
    assert "人民币壹仟肆佰零玖元伍角" in text
    assert "打印人：reviewer1" in text  # no name on the account: the login name


@pytest.mark.django_db
def test_an_unreviewed_form_says_it_must_not_be_signed(sponsorship_input, clerk, reviewer, county):
    application = services.application_submit(sponsorship_input(), user=clerk, agency_region=county, today=TODAY)

    _pages, text = _text(application_pdf(application, printed_by=clerk))

    assert "本申请尚未审核通过" in text
    assert "reviewer1" not in text


@pytest.mark.django_db
def test_the_sponsors_name_is_escaped(sponsorship_input, clerk, reviewer, county):
    name = '<b>王</b><img src="file:///etc/passwd">'
    application = _approved(sponsorship_input, clerk, reviewer, county, sponsor_name=name)

    _pages, text = _text(application_pdf(application, printed_by=clerk))

    assert '<b>王</b><imgsrc="file:///etc/passwd">' in text  # printed as typed, not as markup


@pytest.mark.django_db
def test_the_print_time_is_beijing_time_whatever_zone_is_active(sponsorship_input, clerk, reviewer, county):
    application = _approved(sponsorship_input, clerk, reviewer, county)

    def beijing() -> str:
        t = timezone.localtime(timezone.now(), ZoneInfo("Asia/Shanghai"))
        return f"{t.year}年{t.month}月{t.day}日{t:%H:%M}（北京时间）"

    before = beijing()
    with timezone.override(ZoneInfo("UTC")):
        pdf = application_pdf(application, printed_by=clerk)
    after = beijing()

    _pages, text = _text(pdf)
    assert before in text or after in text


@pytest.mark.django_db
def test_the_form_fits_one_page_at_its_longest_realistic_content(
    sponsorship_input, clerk, reviewer, county, beneficiary
):
    """Issue 13: long names of sponsor, beneficiary, township, village and staff; the residence
    takes the form's whole width, the header keeps each item whole."""
    village = beneficiary.village
    village.name = "鄂温克族自治旗经济开发区管理委员会巴彦托海嘎查"
    village.save()
    township = village.parent
    township.name = "巴彦托海镇（鄂温克族自治旗人民政府驻地）"
    township.save()
    beneficiary.name = "欧阳娜仁高娃·阿木古楞"
    beneficiary.save()
    reviewer.last_name, reviewer.first_name = "欧阳", "娜仁高娃"
    reviewer.save()
    application = _approved(
        sponsorship_input, clerk, reviewer, county, sponsor_name="呼和巴特尔·额尔德木图", amount=Decimal("4999.99")
    )
    pages, text = _text(application_pdf(application, printed_by=clerk))
    assert pages == 1
    assert "巴彦托海镇（鄂温克族自治旗人民政府驻地）鄂温克族自治旗经济开发区管理委员会巴彦托海嘎查" in text
    assert "¥4,999.99" in text and "人民币肆仟玖佰玖拾玖元玖角玖分" in text
    assert (
        f"参保日期{beneficiary.enrolled_on.year}年{beneficiary.enrolled_on.month}月{beneficiary.enrolled_on.day}日"
        in text
    )
