"""The shared renderer (issue 15): every form set in the project's own faces, small and fast; written
as PDF/A-2u with its document number, check code and print time in the metadata; nothing loaded
but the project's static files."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from insured.models import AccessRecord, PrintRecord, Role
from insured.printing import fonts, render
from insured.printing.sheets import Sheet, print_sheets
from subsidy import pdf as subsidy_pdf
from subsidy.models import SponsorshipApplication
from tests.factories import InsuredPersonFactory, SponsorshipApplicationFactory, make_user, region_tree

ROOT = Path(settings.BASE_DIR)
Status = SponsorshipApplication.Status


@pytest.fixture
def world(db):
    tree = region_tree()
    reviewer = make_user(Role.REVIEWER, tree["county"], username="reviewer-p", last_name="赵", first_name="复核")
    clerk = make_user(Role.CLERK, tree["county"], username="clerk-p", last_name="李", first_name="经办")
    person = InsuredPersonFactory(village=tree["village11"], name="王秀兰")
    application = SponsorshipApplicationFactory(
        beneficiary=person,
        submitted_by=clerk,
        status=Status.APPROVED,
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
        check_code="K7M2Q9XA",
    )
    return {"tree": tree, "clerk": clerk, "reviewer": reviewer, "person": person, "application": application}


def _fonts(content: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[1])
    return names


def _xmp(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()


def test_a_form_is_set_in_the_project_faces_only_and_is_small(world):
    content = subsidy_pdf.application_pdf(world["application"], printed_by=world["clerk"])

    # Two weights of PensionSans; neither the system's Noto Sans nor its Noto Serif is embedded.
    assert _fonts(content) == {"PensionSans", "PensionSans-Bold"}
    assert len(content) <= 60 * 1024
    assert len(PdfReader(io.BytesIO(content)).pages) == 1


def test_the_page_numbers_in_the_margin_are_set_in_the_project_faces_too():
    """A margin box names its own font in the collective forms' style: the shared stylesheet wins."""
    html = render.render_html(
        "collective/roster_pdf.html",
        {"roster": None, "rows": [], "counts": {"count": 0, "total": 0}, "printed_by": "李经办", "printed_at": "x"},
    )
    content = render.write([render.layout(html)], render.Metadata(title="t", printed_at=timezone.now()))
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "第 1 页 / 共 1 页" in text
    assert _fonts(content) <= {"PensionSans", "PensionSans-Bold"}


def test_a_character_outside_the_cut_still_prints_from_the_system_font(world):
    """A rare name character (𠮷, outside GB 2312 and GBK) falls back to Noto Sans CJK SC."""
    person = world["person"]
    person.name = "𠮷祥"
    person.save()
    content = subsidy_pdf.application_pdf(world["application"], printed_by=world["clerk"])
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "𠮷祥" in text
    assert "Noto-Sans-CJK-SC" in _fonts(content)


def test_the_archive_copy_is_pdfa_2u_with_number_check_code_and_print_time(world):
    application = world["application"]
    before = timezone.now().replace(microsecond=0)
    content = subsidy_pdf.application_pdf(application, printed_by=world["clerk"])
    reader = PdfReader(io.BytesIO(content))

    info = reader.metadata
    assert info["/DocumentNumber"] == application.number
    assert info["/CheckCode"] == "K7M2Q9XA"
    assert info["/Form"] == "subsidy.application"
    printed = timezone.datetime.fromisoformat(info["/PrintedAt"])
    assert before <= printed <= timezone.now()
    assert info["/Title"] == f"城乡居民养老保险社会资助申请表 {application.number}"
    assert info["/Author"] == settings.AGENCY_NAME
    assert f"校验码：{application.check_code}" in info["/Subject"]

    xmp = _xmp(content)
    assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="U"' in xmp
    assert f"<pensionprint:DocumentNumber>{application.number}</pensionprint:DocumentNumber>" in xmp
    assert "<pensionprint:CheckCode>K7M2Q9XA</pensionprint:CheckCode>" in xmp
    assert f"<pensionprint:PrintedAt>{info['/PrintedAt']}</pensionprint:PrintedAt>" in xmp
    # Our properties are declared in a PDF/A extension schema, or the file would not be PDF/A.
    assert "<pdfaSchema:namespaceURI>urn:cn:pension:print:1.0/</pdfaSchema:namespaceURI>" in xmp
    for name in ("DocumentNumber", "CheckCode", "PrintedAt", "Form"):
        assert f"<pdfaProperty:name>{name}</pdfaProperty:name>" in xmp

    intents = reader.trailer["/Root"]["/OutputIntents"]
    assert intents[0]["/S"] == "/GTS_PDFA1" and "/DestOutputProfile" in intents[0]
    assert reader.pdf_header == "%PDF-1.7"


def test_the_print_time_on_the_form_is_the_recorded_one(world):
    content = subsidy_pdf.application_pdf(world["application"], printed_by=world["clerk"])
    record = PrintRecord.objects.get()
    text = re.sub(r"\s+", "", PdfReader(io.BytesIO(content)).pages[0].extract_text())
    from insured import formats

    assert f"打印时间：{formats.moment(record.at).replace(' ', '')}" in text
    assert "打印人：李经办" in text


def test_a_form_may_load_only_the_static_files():
    fetcher = render.static_only_fetcher()
    with pytest.raises(ValueError, match="static files"):
        fetcher.fetch("file:///etc/passwd")
    with pytest.raises(ValueError):
        fetcher.fetch("https://cdn.example.com/font.woff2")
    with pytest.raises(ValueError, match="static files"):
        fetcher.fetch((ROOT / "static" / ".." / "manage.py").as_uri())
    response = fetcher.fetch(fonts.FACES[0].path.as_uri())
    assert response.read(4) == b"OTTO"


def test_a_form_loading_something_else_still_prints_without_it(world, caplog):
    html = '<html><body><img src="https://example.com/x.png"><p>正文</p></body></html>'
    content = render.write([render.layout(html)], render.Metadata(title="t", printed_at=timezone.now()))
    assert "正文" in PdfReader(io.BytesIO(content)).pages[0].extract_text()


# --- The faces ------------------------------------------------------------------------------------


def test_the_faces_are_named_apart_from_noto_and_keep_their_licence():
    for face in fonts.FACES:
        font = TTFont(str(face.path), lazy=True)
        assert font["name"].getDebugName(1) == "PensionSans"
        assert font["name"].getDebugName(2) == face.style
        assert "Noto" not in (font["name"].getDebugName(4) or "")
        assert "SIL Open Font License" in font["name"].getDebugName(13)
        assert font["OS/2"].fsType == 0  # installable: may be embedded in any document
    licence = (fonts.FONT_DIR / "OFL.txt").read_text()
    assert "SIL OPEN FONT LICENSE Version 1.1" in licence and "Adobe" in licence


def test_the_glyph_ids_equal_the_cids_as_weasyprint_writes_them():
    font = TTFont(str(fonts.FACES[0].path))
    order = font.getGlyphOrder()
    assert order[0] == ".notdef"
    assert all(name == f"cid{gid:05d}" for gid, name in enumerate(order[1:], start=1))
    top = font["CFF "].cff.topDictIndex[0]
    assert top.charset == order


def test_every_character_the_forms_print_is_in_both_faces():
    """A new word on a form needs no new build to print in PensionSans (GB 2312 is all there); a
    rebuild only moves its characters to the front slots, which keeps its pages smaller."""
    printed = {c for text in fonts.printed_texts(ROOT) for c in text if fonts._is_cjk(c)}
    names = set(fonts.COMMON_SURNAMES + fonts.AMOUNT_WORDS) | set(fonts._gb2312(1)) | set(fonts._gb2312(2))
    for face in fonts.FACES:
        cmap = TTFont(str(face.path), lazy=True).getBestCmap()
        assert sorted(c for c in printed | names if ord(c) not in cmap) == [], face.filename


def test_amounts_in_words_and_surnames_sit_in_the_front_slots():
    """A page keeps every glyph slot up to its highest: what every form prints comes first."""
    font = TTFont(str(fonts.FACES[0].path))
    gid = {code: font.getGlyphID(name) for code, name in font.getBestCmap().items()}
    assert max(gid[ord(c)] for c in fonts.AMOUNT_WORDS + fonts.COMMON_SURNAMES) < 2000
    # GB 2312 level 2, the rarest, is last.
    last = max(gid, key=gid.get)
    assert chr(last) in fonts._gb2312(2)


def test_the_order_puts_forms_before_names_before_the_rest(tmp_path):
    (tmp_path / "templates" / "app").mkdir(parents=True)
    (tmp_path / "templates" / "app" / "thing_pdf.html").write_text("<h1>申请表申请</h1>")
    (tmp_path / "templates" / "app" / "page.html").write_text("<h1>页面</h1>")
    order = fonts.character_order(tmp_path)
    position = {c: n for n, c in enumerate(order)}
    assert position["申"] < position["表"] < position["零"] < position["王"] < position["面"] < position["啊"]
    assert position["A"] < position["申"]
    assert len(order) == len(set(order))


# --- The print record of a single form ------------------------------------------------------------


def test_a_printed_form_is_recorded_with_what_it_said(world):
    application = world["application"]
    subsidy_pdf.application_pdf(application, printed_by=world["clerk"])

    record = PrintRecord.objects.get()
    assert (record.user, record.form, record.number, record.check_code) == (
        world["clerk"],
        "subsidy.application",
        application.number,
        "K7M2Q9XA",
    )
    assert record.region == world["person"].village and record.pages == 1 and record.job is None
    facts = dict(record.fact_rows)
    assert facts["状态"] == "已审核通过，待签字确认"
    assert facts["受资助人"] == f"王秀兰（{world['person'].masked_id_no}）"
    assert world["person"].id_no not in str(record.facts)  # the full ID stays on the paper
    assert facts["资助金额"] == "¥1,000.00（人民币壹仟元整）"
    assert facts["复核人"] == "赵复核"
    access = AccessRecord.objects.get()
    assert (access.person, access.what, access.detail, access.at) == (
        world["person"],
        AccessRecord.What.FORM,
        application.number,
        record.at,
    )


def test_print_records_cannot_be_changed_or_deleted(world):
    from django.db import DatabaseError, transaction

    subsidy_pdf.application_pdf(world["application"], printed_by=world["clerk"])
    record = PrintRecord.objects.get()
    with pytest.raises(DatabaseError), transaction.atomic():
        PrintRecord.objects.filter(pk=record.pk).update(facts=[["状态", "伪造"]])
    with pytest.raises(DatabaseError), transaction.atomic():
        PrintRecord.objects.filter(pk=record.pk).delete()
    assert PrintRecord.objects.get().facts == record.facts


def test_nothing_to_print_is_refused(world):
    with pytest.raises(ValueError):
        print_sheets([], user=world["clerk"])


def test_a_sheet_names_its_bookmark_by_number_and_title(world):
    sheet = Sheet("subsidy/application_pdf.html", {}, form="f", title="表", region=world["tree"]["county"], number="N1")
    assert sheet.label == "N1　表" and sheet.access_detail == "N1"


@pytest.mark.parametrize(
    "template",
    sorted(str(p.relative_to(ROOT / "templates")) for p in (ROOT / "templates").rglob("*_pdf.html")),
)
def test_every_printed_template_is_set_in_the_project_faces(template):
    """Whatever family a form's own style names (Noto Sans, Noto Serif), the shared stylesheet sets
    it in PensionSans: a form added later is small without anyone remembering to."""
    html = render.render_html(
        template, {"printed_by": "李经办", "printed_at": "2026年12月5日 09:30", "agency": "经办机构"}
    )
    content = render.write([render.layout(html)], render.Metadata(title="t", printed_at=timezone.now()))
    assert _fonts(content) <= {"PensionSans", "PensionSans-Bold"}
    assert "打印" in PdfReader(io.BytesIO(content)).pages[0].extract_text()  # who printed and when
