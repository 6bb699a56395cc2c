"""The page of a background job: its progress bar (kept fresh by static/js/job.js polling the
status, or by a meta refresh where scripts are off), and its file to download when done. Only the
user who asked finds the job, and only within their region: anyone else gets 404."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from insured import access, jobs
from insured.models import Job


def _status(job: Job) -> dict:
    return {
        "id": job.pk,
        "state": job.state,
        "state_label": job.get_state_display(),
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "message": job.message,
        "finished": job.is_finished,
        "download_url": reverse("insured:job-download", args=[job.pk]) if job.result_file else None,
    }


@access.capability_required(access.JOB_VIEW)
@require_GET
def job_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(jobs.jobs_for(request.user), 30).get_page(request.GET.get("page"))
    for job in page:
        job.kind_label = jobs.kind_label(job.kind)
    return render(request, "insured/job_list.html", {"page": page})


@access.capability_required(access.JOB_VIEW)
@require_GET
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = jobs.job_get(request.user, pk)
    context = {"job": job, "kind_label": jobs.kind_label(job.kind), "status": _status(job)}
    return render(request, "insured/job_detail.html", context)


@access.capability_required(access.JOB_VIEW)
@require_GET
def job_status(request: HttpRequest, pk: int) -> JsonResponse:
    response = JsonResponse(_status(jobs.job_get(request.user, pk)))
    response["Cache-Control"] = "no-store"
    return response


@access.capability_required(access.JOB_VIEW)
@require_GET
def job_download(request: HttpRequest, pk: int) -> FileResponse:
    job = jobs.job_get(request.user, pk)
    if job.state != Job.State.DONE or not job.result_file:
        raise Http404
    return FileResponse(
        job.result_file.open("rb"), as_attachment=True, filename=job.result_name, content_type=job.result_type
    )
