"""Batch printing (issue 15): the auditor chooses forms by filters and gets one PDF/A file, a page
per form, made in the background with a progress bar; every form in it is recorded."""

from __future__ import annotations

import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from pypdf import PdfReader

from insured import jobs
from insured.models import AccessRecord, Job, PrintRecord, Role
from insured.printing import batches
from subsidy.models import SponsorshipApplication
from tests.factories import InsuredPersonFactory, SponsorshipApplicationFactory, make_user, region_tree

pytestmark = pytest.mark.django_db
Status = SponsorshipApplication.Status
URL = reverse("insured:print-batch")
KIND = "subsidy.applications"


@pytest.fixture
def world():
    here, there = region_tree("211370", "本县"), region_tree("622901", "别县")
    clerk = make_user(Role.CLERK, here["county"], username="clerk-b", last_name="李", first_name="经办")
    reviewer = make_user(Role.REVIEWER, here["county"], username="reviewer-b", last_name="赵", first_name="复核")
    persons = [InsuredPersonFactory(village=here["village11"], name=f"受助人{n}") for n in range(3)]
    now = timezone.now()
    applications = [
        SponsorshipApplicationFactory(beneficiary=persons[0], submitted_by=clerk),  # submitted: not for signature
        SponsorshipApplicationFactory(
            beneficiary=persons[1], submitted_by=clerk, status=Status.APPROVED, reviewed_by=reviewer, reviewed_at=now
        ),
        SponsorshipApplicationFactory(
            beneficiary=persons[2], submitted_by=clerk, status=Status.REJECTED, reviewed_by=reviewer, reviewed_at=now
        ),
    ]
    elsewhere = InsuredPersonFactory(village=there["village11"], name="别县人")
    SponsorshipApplicationFactory(beneficiary=elsewhere, submitted_by=make_user(Role.CLERK, there["county"]))
    return {
        "here": here,
        "applications": applications,
        "persons": persons,
        "auditor": make_user(Role.AUDITOR, here["county"], username="auditor-b", last_name="周", first_name="审计"),
        "far_auditor": make_user(Role.AUDITOR, there["county"], username="far-auditor"),
        "village": make_user(Role.VILLAGE_ACCOUNTANT, here["village11"], username="village-b"),
        "township": make_user(Role.TOWNSHIP_OFFICE, here["township1"], username="township-b"),
    }


@pytest.fixture
def print_month(client, django_capture_on_commit_callbacks):
    """POST the batch page; the job runs when the asking transaction commits (Celery in process)."""

    def post(user, **data):
        client.force_login(user)
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(URL, {"batch": KIND, "month": _month(), "status": "", **data})

    return post


def _month() -> str:
    return f"{timezone.localdate():%Y-%m}"


def _pages(content: bytes) -> list[str]:
    return [re.sub(r"\s+", "", page.extract_text()) for page in PdfReader(io.BytesIO(content)).pages]


def _result(job: Job) -> bytes:
    with job.result_file.open("rb") as handle:
        return handle.read()


def test_the_page_counts_what_the_filters_select(client, world):
    client.force_login(world["auditor"])
    response = client.get(URL, {"batch": KIND, "month": _month(), "status": ""})
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="batch-count"' in body and "3" in re.search(r'id="batch-count">(.*?)</p>', body, re.S).group(1)
    for application in world["applications"]:
        assert application.number in body
    response = client.get(URL, {"batch": KIND, "month": _month(), "status": Status.APPROVED})
    assert world["applications"][1].number in response.content.decode()
    assert world["applications"][0].number not in response.content.decode()


def test_a_month_of_applications_prints_as_one_file_a_page_each_whatever_their_state(client, world, print_month):
    response = print_month(world["auditor"])

    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("insured:job-detail", args=[job.pk])
    # Celery runs in process in the tests: the job is done when the page is asked for.
    assert job.state == Job.State.DONE and (job.done, job.total) == (4, 4)
    assert job.kind == batches.JOB_KIND and job.requested_by == world["auditor"]
    pages = _pages(_result(job))
    submitted, approved, rejected = world["applications"]
    assert len(pages) == 3
    # In the order entered; each page its own form, the unapproved ones saying they must not be signed.
    assert submitted.number in pages[0] and "本申请尚未审核通过，本表仅供核对，不得作为签字确认和缴费依据。" in pages[0]
    assert approved.number in pages[1] and "不得作为签字确认" not in pages[1] and "赵复核" in pages[1]
    assert rejected.number in pages[2] and "本申请已被驳回，本表无效。" in pages[2]
    assert all("打印人：周审计" in page for page in pages)
    assert job.result["count"] == 3 and job.result["pages"] == 3
    page = client.get(reverse("insured:job-detail", args=[job.pk]))
    assert 'id="job-download"' in page.content.decode()
    download = client.get(reverse("insured:job-download", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"


def test_the_batch_file_is_pdfa_with_a_bookmark_for_each_form(world, print_month):
    print_month(world["auditor"])
    reader = PdfReader(io.BytesIO(_result(Job.objects.get())))
    numbers = [a.number for a in world["applications"]]
    assert [item.title.split("　")[0] for item in reader.outline] == numbers
    assert reader.metadata["/Title"].endswith("城乡居民养老保险社会资助申请表")
    assert reader.metadata["/Keywords"] == ", ".join(numbers)
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="2"' in xmp and 'pdfaid:conformance="U"' in xmp


def test_every_form_of_a_batch_is_recorded_as_printed_by_the_job(world, print_month):
    print_month(world["auditor"])
    job = Job.objects.get()
    records = PrintRecord.objects.order_by("id")
    assert [r.number for r in records] == [a.number for a in world["applications"]]
    assert {(r.user_id, r.job_id, r.pages) for r in records} == {(world["auditor"].pk, job.pk, 1)}
    assert dict(records[0].fact_rows)["状态"] == "待审核"
    named = set(AccessRecord.objects.filter(what=AccessRecord.What.FORM).values_list("person_id", flat=True))
    assert named == {p.pk for p in world["persons"]}


def test_the_progress_is_written_as_each_form_is_laid_out(world, monkeypatch, django_capture_on_commit_callbacks):
    seen = []
    monkeypatch.setattr(jobs.Progress, "__call__", lambda self, done, total=None: seen.append((done, total)))
    with django_capture_on_commit_callbacks(execute=True):
        job = batches.batch_create(
            user=world["auditor"],
            kind=batches.kind_for(world["auditor"], KIND),
            form=_bound(world, {"month": _month(), "status": ""}),
        )
    assert Job.objects.get(pk=job.pk).state == Job.State.DONE
    assert seen == [(0, 4), (1, 4), (2, 4), (3, 4)]


def _bound(world, data):
    kind = batches.kind_for(world["auditor"], KIND)
    form = kind.filters(data)
    assert form.is_valid(), form.errors
    return form


def test_a_hundred_form_batch_is_one_file_of_a_hundred_pages(world, django_capture_on_commit_callbacks):
    """bench/pdf.py prints and times 500; 100 here keep the suite quick."""
    person, clerk = world["persons"][0], world["applications"][0].submitted_by
    SponsorshipApplication.objects.bulk_create(
        [
            SponsorshipApplicationFactory.build(beneficiary=person, submitted_by=clerk, number=f"ZZ2026120{n:05d}")
            for n in range(97)
        ]
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = batches.batch_create(
            user=world["auditor"],
            kind=batches.kind_for(world["auditor"], KIND),
            form=_bound(world, {"month": _month(), "status": ""}),
        )
    job = Job.objects.get(pk=job.pk)
    content = _result(job)
    reader = PdfReader(io.BytesIO(content))
    assert job.state == Job.State.DONE and len(reader.pages) == 100
    assert PrintRecord.objects.filter(job=job).count() == 100
    # One subset of each face for the whole file: a few kilobytes a page, not a font a page.
    assert len(content) < 100 * 6 * 1024


def test_filters_selecting_nothing_are_refused_with_a_message(client, world):
    client.force_login(world["auditor"])
    response = client.post(URL, {"batch": KIND, "month": "2020-01", "status": ""})
    assert response.status_code == 400
    with translation.override("zh-hans"):
        assert _("No form matches these filters; nothing to print.") in response.content.decode()
    assert not Job.objects.exists()


def test_too_many_forms_are_refused(client, world, monkeypatch):
    monkeypatch.setattr(batches, "MAX_FORMS", 2)
    client.force_login(world["auditor"])
    response = client.post(URL, {"batch": KIND, "month": _month(), "status": ""})
    assert response.status_code == 400 and not Job.objects.exists()


@pytest.mark.parametrize("month", ["2026-13", "abcd", "2026-1-99", "", "９９９９-99"])
def test_a_bad_month_is_a_message_not_an_error(client, world, month):
    client.force_login(world["auditor"])
    assert client.get(URL, {"batch": KIND, "month": month}).status_code == 200
    response = client.post(URL, {"batch": KIND, "month": month})
    assert response.status_code == 400 and not Job.objects.exists()


def test_a_month_typed_the_chinese_way_is_read(world):
    form = _bound(world, {"month": "２０２６年１２月", "status": ""})
    assert form.cleaned_data["month"].isoformat() == "2026-12-01"


def test_the_batch_prints_only_what_the_asker_may_see(world, print_month):
    print_month(world["far_auditor"])
    pages = _pages(_result(Job.objects.get()))
    assert len(pages) == 1 and "别县人" in pages[0]
    assert not PrintRecord.objects.filter(region__code__startswith="211370").exists()


def test_an_unknown_kind_shows_the_first_the_user_may_print(client, world):
    client.force_login(world["auditor"])
    response = client.get(URL, {"batch": "no.such.kind"})
    assert response.status_code == 200 and f'value="{KIND}"' in response.content.decode()


def test_a_job_naming_a_kind_the_asker_cannot_print_fails_with_a_message(world, django_capture_on_commit_callbacks):
    """The worker checks again what the page checked: a kind unknown or not the asker's prints nothing."""
    for params in ({"batch": "no.such.kind"}, {"batch": KIND, "filters": {"month": "nonsense"}}):
        with django_capture_on_commit_callbacks(execute=True):
            job = jobs.job_create(kind=batches.JOB_KIND, user=world["auditor"], params=params)
        job = Job.objects.get(pk=job.pk)
        assert job.state == Job.State.FAILED and job.message and not job.result_file
    assert not PrintRecord.objects.exists()


def test_anonymous_and_roles_without_batch_printing(client, world):
    response = client.get(URL)
    assert response.status_code == 302 and "login" in response.url
    for role in ("village", "township"):
        client.force_login(world[role])
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"batch": KIND, "month": _month()}).status_code == 403
    assert not Job.objects.exists()


def test_the_job_page_is_the_askers_only(client, world, print_month):
    print_month(world["auditor"])
    job = Job.objects.get()
    client.force_login(world["far_auditor"])
    assert client.get(reverse("insured:job-download", args=[job.pk])).status_code == 404
