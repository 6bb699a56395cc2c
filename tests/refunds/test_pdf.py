"""The printed forms (issue 10 item 4): the 退费申请表 and the month's 请款汇总表 read back with
pypdf, the summary's XLSX, and the refunds passed to tax as JSON and CSV."""

import csv
import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from refunds import services
from refunds.models import RefundApplication, RefundRequest
from tests.refunds.conftest import TODAY, advance, duplicate_notice, take

pytestmark = pytest.mark.django_db
D = Decimal


def _text(content: bytes) -> str:
    return "".join("".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


def test_application_form_prints_everything_the_notice_needs(client, person, staff, settings):
    settings.AGENCY_NAME = "测试县社会保险事业服务中心"
    application = advance(take(person, staff), staff, "approved")
    client.force_login(staff["auditor"])

    response = client.get(reverse("refunds:pdf", args=[application.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / 72 * 25.4), round(float(box.height) / 72 * 25.4)) == (210, 297)  # A4
    text = _text(response.content)
    for expected in (
        "城乡居民社保费退费申请表",
        "测试县社会保险事业服务中心",
        application.number,
        person.name,
        person.id_no,  # the printed form carries the full ID
        "参加职工养老保险重复缴费",
        "2026",
        "个人缴费",
        "政府补贴",
        "退回基金",
        "¥500.00",
        "人民币伍佰元整",
        application.account_no,
        "申请人（签字）",
        "乡镇人社所初审意见",
        "县人社局复核意见",
        "（盖章）",
        "周敏",  # the first review
        "王建国",  # the county review
        "打印人",
        application.check_code,
    ):
        assert expected in text, expected


def test_a_returned_application_prints_as_not_valid(client, person, staff):
    application = advance(take(person, staff), staff, "handed_over")
    services.application_return(application, user=staff["reviewer"], reason="材料不清")
    client.force_login(staff["town"])
    text = _text(client.get(reverse("refunds:pdf", args=[application.pk])).content)
    assert "不得作为退费依据" in text


def _request(person, staff) -> RefundRequest:
    first = take(person, staff)
    second = take(person, staff, "duplicate", entries=[], notices=[duplicate_notice(person, amount="1000.00").pk])
    for application in (first, second):
        services.application_first_review(application, user=staff["town_b"])
    services.applications_hand_over(user=staff["town_b"], region=staff["town_b"].staff.region, today=TODAY)
    for application in (first, second):
        services.application_approve(application, user=staff["reviewer"])
    return services.request_create(
        region=staff["finance"].staff.region,
        month=TODAY.replace(day=1),
        user=staff["finance"],
        today=dt.date(2026, 12, 1),
    )


def test_request_summary_prints_the_list_and_the_total_in_words(client, person, staff):
    made = _request(person, staff)
    assert (made.count, made.payee_total, made.fund_total) == (2, D("1500.00"), D("60.00"))
    client.force_login(staff["finance"])

    response = client.get(reverse("refunds:request-pdf", args=[made.pk]))

    assert response.status_code == 200
    text = _text(response.content)
    for expected in (
        "退费请款汇总表",
        made.number,
        "共2件",
        "1,500.00",
        "60.00",
        "人民币壹仟伍佰元整",
        "财务复核人",
        "单位负责人",
    ):
        assert expected in text, expected


def test_request_summary_xlsx_keeps_ids_as_text_and_amounts_as_numbers(client, person, staff):
    made = _request(person, staff)
    client.force_login(staff["auditor"])

    response = client.get(reverse("refunds:request-xlsx", args=[made.pk]))

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows.index(next(r for r in rows if r[0] == "序号"))
    body = rows[header + 1 : header + 3]
    assert {r[4] for r in body} == {person.masked_id_no}  # a list: the ID masked
    assert sorted(D(str(r[10])) for r in body) == [D("500.00"), D("1000.00")]
    total = next(r for r in rows if r[0] == "合计")
    assert D(str(total[10])) == D("1500.00")
    assert any(r[0] and "壹仟伍佰元整" in str(r[0]) for r in rows)


def test_tax_report_marks_the_paid_refunds_and_lists_their_vouchers(client, person, staff):
    notice = duplicate_notice(person)
    paid = advance(take(person, staff), staff, "paid")
    client.force_login(staff["finance"])

    client.post(reverse("refunds:report-create"))

    paid.refresh_from_db()
    report = paid.tax_report
    assert report is not None and (report.count, report.total) == (1, D("500.00"))
    body = json.loads(client.get(reverse("refunds:report-download", args=[report.pk, "json"])).content)
    assert body["count"] == 1 and body["total_paid"] == "500.00"
    vouchers = {(line["e_tax_voucher_no"], line["destination"], line["amount"]) for line in body["lines"]}
    assert vouchers == {(f"OWN{person.pk}", "payee", "500.00"), (f"OWN{person.pk}", "fund", "60.00")}
    text = client.get(reverse("refunds:report-download", args=[report.pk, "csv"])).content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {r["insured_id_number"] for r in rows} == {person.id_no}
    # A second report has nothing to report; the queue payment is not paid yet.
    response = client.post(reverse("refunds:report-create"), follow=True)
    assert any(m.level_tag == "error" for m in response.context["messages"])
    assert notice.pk


def test_report_download_is_scoped_and_knows_its_formats(client, person, staff):
    advance(take(person, staff), staff, "paid")
    report = services.tax_report_create(region=staff["finance"].staff.region, user=staff["finance"])
    client.force_login(staff["finance"])
    assert client.get(reverse("refunds:report-download", args=[report.pk, "xml"])).status_code == 404
    client.force_login(staff["town"])
    assert client.get(reverse("refunds:report-download", args=[report.pk, "json"])).status_code == 403
    assert RefundApplication.objects.get().tax_report == report


def test_forms_copies_and_files_naming_a_person_go_into_the_access_log(client, person, staff):
    from insured.models import AccessRecord

    paid = advance(take(person, staff), staff, "paid")
    report = services.tax_report_create(region=staff["finance"].staff.region, user=staff["finance"])
    client.force_login(staff["auditor"])
    client.get(reverse("refunds:pdf", args=[paid.pk]))
    client.get(reverse("refunds:copy", args=[paid.pk, "id_card_copy"]))
    client.get(reverse("refunds:request-xlsx", args=[paid.request_id]))
    client.get(reverse("refunds:report-download", args=[report.pk, "csv"]))
    records = set(AccessRecord.objects.filter(user=staff["auditor"], person=person).values_list("what", "detail"))
    assert {
        ("form", paid.number),
        ("form", f"{paid.number} id_card_copy"),
        ("export", paid.request.number),
        ("export", f"{report.number}.csv"),
    } <= records


def test_a_month_of_refund_forms_prints_as_one_file(person, staff, django_capture_on_commit_callbacks):
    """Batch printing (issue 15): the auditor prints the month's refund application forms at once; a
    returned one says it is not valid."""
    from django.utils import timezone

    from insured.models import Job, PrintRecord
    from insured.printing import batches

    returned = advance(take(person, staff), staff, "handed_over")
    services.application_return(returned, user=staff["reviewer"], reason="材料不清")
    kind = batches.kind_for(staff["auditor"], "refunds.applications")
    form = kind.filters({"month": f"{timezone.localtime(returned.received_at):%Y-%m}", "status": ""})
    assert form.is_valid(), form.errors
    with django_capture_on_commit_callbacks(execute=True):
        job = batches.batch_create(user=staff["auditor"], kind=kind, form=form)
    job = Job.objects.get(pk=job.pk)
    with job.result_file.open("rb") as handle:
        text = _text(handle.read())
    assert job.state == Job.State.DONE and job.result["pages"] == 1
    assert returned.number in text and "本表不得作为退费依据" in text
    record = PrintRecord.objects.get(job=job)
    assert (record.form, record.number) == ("refunds.application", returned.number)
    assert dict(record.fact_rows)["收款账户"].endswith(returned.account_no[-4:])
    assert returned.account_no not in str(record.facts)  # the whole account number stays on the paper
    # The township office reads refunds but does not print in batches.
    assert batches.kind_for(staff["town"], "refunds.applications") is not None
