"""insured.jobs: a background job with its progress, its file for the one who asked, and a Celery
task that is safe to run twice and takes over from a worker that died."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone

from insured import jobs
from insured.models import Job
from insured.rules import RuleViolation
from tests.factories import JobFactory, make_user, region_tree

pytestmark = pytest.mark.django_db

KIND = "test.report"
calls: list[int] = []


def _report(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    calls.append(job.pk)
    total = job.params["rows"]
    for done in range(1, total + 1):
        progress(done, total)
    return jobs.JobResult(
        message="做好了",
        content=f"rows={total}".encode(),
        filename="报表.csv",
        content_type="text/csv",
        data={"url": "/persons/", "count": total},
    )


def _refuse(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    raise RuleViolation("test_refused", "规则不允许")


def _crash(job: Job, progress: jobs.Progress) -> jobs.JobResult:
    raise ZeroDivisionError("boom")


@pytest.fixture(autouse=True)
def kinds():
    calls.clear()
    jobs.register(jobs.JobKind(KIND, "测试报表", _report))
    jobs.register(jobs.JobKind("test.refuse", "拒绝", _refuse))
    jobs.register(jobs.JobKind("test.crash", "出错", _crash))


@pytest.fixture
def tree():
    return region_tree()


@pytest.fixture
def clerk(tree):
    return make_user("clerk", tree["county"], username="clerk1")


def _ask(user, django_capture_on_commit_callbacks, kind=KIND, **params) -> Job:
    with django_capture_on_commit_callbacks(execute=True):
        job = jobs.job_create(
            kind=kind, user=user, params=params or {"rows": 5}, input_content=b"abc", input_name="a.txt"
        )
    return Job.objects.get(pk=job.pk)


def test_a_job_runs_after_commit_and_keeps_its_file_and_result(clerk, django_capture_on_commit_callbacks):
    job = _ask(clerk, django_capture_on_commit_callbacks)

    assert job.state == Job.State.DONE
    assert (job.done, job.total, job.percent) == (5, 5, 100)
    assert job.message == "做好了"
    assert job.result == {"url": "/persons/", "count": 5}
    assert job.result_name == "报表.csv"
    with job.result_file.open("rb") as handle:
        assert handle.read() == b"rows=5"
    assert job.region == clerk.staff.region and job.requested_by == clerk
    assert not job.input_file  # the input is dropped once the work is done
    assert job.attempts == 1 and job.finished_at is not None


def test_nothing_runs_before_the_asking_transaction_commits(clerk, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = jobs.job_create(kind=KIND, user=clerk, params={"rows": 1})
    assert Job.objects.get(pk=job.pk).state == Job.State.QUEUED
    assert calls == [] and len(callbacks) == 1


def test_running_a_finished_job_again_changes_nothing(clerk, django_capture_on_commit_callbacks):
    job = _ask(clerk, django_capture_on_commit_callbacks)

    assert jobs.job_run(job.pk) is False

    assert calls == [job.pk]
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_a_job_another_worker_is_running_is_left_alone(clerk):
    job = JobFactory(kind=KIND, requested_by=clerk, params={"rows": 2}, state=Job.State.RUNNING)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), attempts=1)

    assert jobs.job_run(job.pk) is False
    assert calls == []


def test_a_job_whose_worker_died_is_taken_over(clerk):
    job = JobFactory(kind=KIND, requested_by=clerk, params={"rows": 2}, state=Job.State.RUNNING)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(minutes=11), attempts=1)

    assert jobs.job_run(job.pk) is True

    job.refresh_from_db()
    assert job.state == Job.State.DONE and job.attempts == 2


def test_the_dead_worker_coming_back_cannot_finish_a_job_taken_over(clerk):
    job = JobFactory(kind=KIND, requested_by=clerk, params={"rows": 2}, state=Job.State.RUNNING)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now(), attempts=2)

    finished = jobs._finish(job, 1, state=Job.State.DONE, result=jobs.JobResult(content=b"x", filename="x.csv"))

    assert finished is False
    job.refresh_from_db()
    assert job.state == Job.State.RUNNING and not job.result_file


def test_a_job_that_never_finishes_is_given_up_after_three_attempts(clerk):
    job = JobFactory(kind=KIND, requested_by=clerk, state=Job.State.RUNNING)
    Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - dt.timedelta(hours=1), attempts=3)

    assert jobs.job_run(job.pk) is False

    job.refresh_from_db()
    assert job.state == Job.State.FAILED and "3" in job.message


def test_a_refusal_fails_the_job_with_its_message(clerk, django_capture_on_commit_callbacks):
    job = _ask(clerk, django_capture_on_commit_callbacks, kind="test.refuse")
    assert (job.state, job.message) == (Job.State.FAILED, "规则不允许")
    assert not job.input_file


def test_a_crash_fails_the_job_and_is_logged(clerk, django_capture_on_commit_callbacks, caplog):
    with caplog.at_level(logging.ERROR, logger="insured.jobs"):
        job = _ask(clerk, django_capture_on_commit_callbacks, kind="test.crash")
    assert job.state == Job.State.FAILED
    assert job.message and "boom" not in job.message
    assert any("failed" in r.message for r in caplog.records)


def test_an_unknown_kind_cannot_be_asked_for(clerk):
    with pytest.raises(ValueError):
        jobs.job_create(kind="nobody.registered", user=clerk)


def test_progress_is_written_while_the_job_runs(clerk):
    job = JobFactory(kind=KIND, requested_by=clerk, state=Job.State.RUNNING, total=10)
    progress = jobs.Progress(job)

    progress(3, 10)
    assert Job.objects.get(pk=job.pk).done == 3
    progress(4, 10)  # within half a second: not written
    assert Job.objects.get(pk=job.pk).done == 3
    progress(10, 10)  # the end is always written
    assert Job.objects.get(pk=job.pk).done == 10


# --- The pages -------------------------------------------------------------------------------------


def test_the_page_shows_a_progress_bar_that_refreshes_without_scripts(client, clerk):
    job = JobFactory(kind=KIND, requested_by=clerk, total=8, done=2, state=Job.State.RUNNING)
    client.force_login(clerk)

    response = client.get(f"/jobs/{job.pk}/")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<progress id="job-progress" max="8" value="2"' in html
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in html
    assert "js/job.js" in html and "测试报表" in html


def test_the_status_is_json_and_names_the_download_when_done(client, clerk, django_capture_on_commit_callbacks):
    job = _ask(clerk, django_capture_on_commit_callbacks)
    client.force_login(clerk)

    status = client.get(f"/jobs/{job.pk}/status.json").json()
    page = client.get(f"/jobs/{job.pk}/").content.decode()
    download = client.get(f"/jobs/{job.pk}/download")

    assert status["state"] == "done" and status["finished"] is True and status["percent"] == 100
    assert status["download_url"] == f"/jobs/{job.pk}/download"
    assert "refresh" not in page and 'id="job-download"' in page
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"rows=5"
    assert "attachment" in download["Content-Disposition"]


def test_nobody_but_the_requester_finds_the_job(client, clerk, tree, django_capture_on_commit_callbacks):
    job = _ask(clerk, django_capture_on_commit_callbacks)
    colleague = make_user("reviewer", tree["county"], username="reviewer1")
    client.force_login(colleague)
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/status.json", f"/jobs/{job.pk}/download"):
        assert client.get(url).status_code == 404
    assert job.pk not in [j.pk for j in jobs.jobs_for(colleague)]


def test_a_requester_moved_to_another_region_no_longer_finds_the_job(
    client, clerk, tree, django_capture_on_commit_callbacks
):
    job = _ask(clerk, django_capture_on_commit_callbacks)
    other = region_tree("211371", "另一县")["county"]
    clerk.staff.region = other
    clerk.staff.save()
    client.force_login(clerk)
    assert client.get(f"/jobs/{job.pk}/download").status_code == 404


def test_anonymous_is_sent_to_log_in_and_the_tax_client_is_refused(client, clerk, tree):
    job = JobFactory(kind=KIND, requested_by=clerk)
    response = client.get(f"/jobs/{job.pk}/")
    assert response.status_code == 302 and "/login/" in response["Location"]
    tax = make_user("tax_client", tree["county"], username="tax1")
    client.force_login(tax)  # the machine account holds no session and no capability
    assert client.get(f"/jobs/{job.pk}/").status_code in (302, 403)
    assert client.get(f"/jobs/{job.pk}/status.json").status_code in (302, 403)


def test_an_unfinished_job_has_no_download(client, clerk):
    job = JobFactory(kind=KIND, requested_by=clerk, state=Job.State.RUNNING)
    client.force_login(clerk)
    assert client.get(f"/jobs/{job.pk}/download").status_code == 404


def test_the_list_shows_only_ones_own_jobs(client, clerk, tree):
    mine = JobFactory(kind=KIND, requested_by=clerk)
    theirs = JobFactory(kind=KIND, requested_by=make_user("reviewer", tree["county"], username="r2"))
    client.force_login(clerk)
    html = client.get("/jobs/").content.decode()
    assert f"/jobs/{mine.pk}/" in html and f"/jobs/{theirs.pk}/" not in html
