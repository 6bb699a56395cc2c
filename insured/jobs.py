"""Background jobs: work that takes more than a couple of seconds runs in a Celery worker while
the page shows a progress bar, and the file it makes is downloaded from the job's page.

An app registers each kind of job it runs, from its AppConfig.ready(), with the function that
does the work:

    jobs.register(jobs.JobKind("collective.summary", _("Summary form"), run_summary))

`run(job, progress)` reads `job.params` (and `job.input_file`), calls `progress(done, total)` as
it goes, and returns a `JobResult` (a message, a file, data for the page). A refusal it raises
(`RuleViolation`, `SpreadsheetError`: anything with a Chinese `message`) fails the job with that
message. Progress is written in its own statement: call it outside `transaction.atomic()`, or the
page sees it only when the work commits.

The Celery task (`insured.tasks.run_job`) takes the job's id and is safe to run twice: a job is
claimed by a compare-and-set on its state, and one whose worker died (no progress for
`STALE_AFTER`) is claimed again, up to `MAX_ATTEMPTS` times.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery import shared_task
from django.contrib.auth.models import AbstractBaseUser
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from insured import access
from insured.models import Job

logger = logging.getLogger(__name__)

State = Job.State
STALE_AFTER = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 3
PROGRESS_EVERY = 0.5  # seconds between two progress writes


@dataclass(frozen=True)
class JobResult:
    message: str = ""
    content: bytes | None = None
    filename: str = ""
    content_type: str = "application/octet-stream"
    data: dict[str, Any] = field(default_factory=dict)


class Progress:
    """`progress(done, total)`: written at most every PROGRESS_EVERY seconds, and at the end."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self._last = 0.0

    def __call__(self, done: int, total: int | None = None) -> None:
        total = self.job.total if total is None else total
        done = min(done, total)
        now = time.monotonic()
        if done < total and now - self._last < PROGRESS_EVERY:
            return
        self._last = now
        self.job.done, self.job.total = done, total
        Job.objects.filter(pk=self.job.pk, state=State.RUNNING).update(
            done=done, total=total, heartbeat_at=timezone.now()
        )


Runner = Callable[[Job, Progress], JobResult]


@dataclass(frozen=True)
class JobKind:
    kind: str
    label: Any  # a lazy translation
    run: Runner


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    """Idempotent: registering a kind again replaces it."""
    _kinds[kind.kind] = kind


def kind_label(kind: str) -> str:
    registered = _kinds.get(kind)
    return str(registered.label) if registered else kind


def job_create(
    *,
    kind: str,
    user: AbstractBaseUser,
    params: dict[str, Any] | None = None,
    input_content: bytes | None = None,
    input_name: str = "",
    total: int = 0,
) -> Job:
    """Record the job and hand it to a worker once the record is committed."""
    if kind not in _kinds:
        raise ValueError(f"no job kind {kind!r} is registered")
    region = access.scope_region(user)
    if region is None:
        raise ValueError("only a member of staff with a scope can ask for a job")
    with transaction.atomic():
        job = Job(kind=kind, requested_by=user, region=region, params=params or {}, input_name=input_name, total=total)
        if input_content is not None:
            job.input_file.save(input_name or "input", ContentFile(input_content), save=False)
        job.save()
        transaction.on_commit(lambda: _dispatch(job.pk))
    return job


@shared_task(name="insured.tasks.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> bool:
    """Run a background job; a second delivery finds it claimed or finished. Defined here, named
    and registered as insured.tasks' (which imports it), so this module needs nothing above it."""
    return job_run(job_id)


def _dispatch(job_id: int) -> None:
    run_job.delay(job_id)


def _claim(job_id: int) -> int | None:
    """The attempt number this worker runs, or None when the job is done, failed or still alive
    in another worker."""
    now = timezone.now()
    claimable = Q(state=State.QUEUED) | Q(state=State.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    claimed = (
        Job.objects.filter(claimable, pk=job_id)
        .filter(attempts__lt=MAX_ATTEMPTS)
        .update(state=State.RUNNING, started_at=now, heartbeat_at=now, attempts=F("attempts") + 1, done=0)
    )
    if claimed != 1:
        gave_up = Job.objects.filter(claimable, pk=job_id, attempts__gte=MAX_ATTEMPTS).update(
            state=State.FAILED,
            finished_at=now,
            message=_("The job was started %(n)s times and never finished; ask for it again.") % {"n": MAX_ATTEMPTS},
        )
        if gave_up:
            _drop_input(Job.objects.get(pk=job_id))
        return None
    return Job.objects.values_list("attempts", flat=True).get(pk=job_id)


def job_run(job_id: int) -> bool:
    """Run a job if it is still waiting (or its worker died). True when this call finished it."""
    attempt = _claim(job_id)
    if attempt is None:
        return False
    job = Job.objects.select_related("requested_by", "region").get(pk=job_id)
    kind = _kinds.get(job.kind)
    try:
        if kind is None:
            raise LookupError(f"no job kind {job.kind!r} is registered in this worker")
        result = kind.run(job, Progress(job))
    except Exception as exc:  # the job records every failure; it must never be left running
        message = getattr(exc, "message", None)
        if not isinstance(message, str):
            logger.exception("job %s (%s) failed", job.pk, job.kind)
            message = _("The job failed because of an error in the system; it has been logged. Try again later.")
        return _finish(job, attempt, state=State.FAILED, message=message)
    return _finish(job, attempt, state=State.DONE, result=result)


def _finish(job: Job, attempt: int, *, state: str, message: str = "", result: JobResult | None = None) -> bool:
    stored = ""
    fields: dict[str, Any] = {"state": state, "finished_at": timezone.now(), "message": message[:500]}
    if result is not None:
        fields["message"] = result.message[:500]
        fields["result"] = result.data
        if result.content is not None:
            stored = job.result_file.storage.save(
                f"jobs/result/{job.pk}-{result.filename}", ContentFile(result.content)
            )
            fields |= {"result_file": stored, "result_name": result.filename, "result_type": result.content_type}
        fields["done"] = F("total")
    # Only the attempt that still holds the job may finish it: a worker thought dead that comes
    # back after another took over changes nothing.
    finished = Job.objects.filter(pk=job.pk, state=State.RUNNING, attempts=attempt).update(**fields)
    if finished != 1:
        if stored:
            job.result_file.storage.delete(stored)
        return False
    _drop_input(job)
    return True


def _drop_input(job: Job) -> None:
    """The uploaded input is needed only while the job runs; what the work keeps, it stores itself."""
    if job.input_file:
        job.input_file.storage.delete(job.input_file.name)
        Job.objects.filter(pk=job.pk).update(input_file="")


def input_bytes(job: Job) -> bytes:
    with job.input_file.open("rb") as handle:
        return handle.read()


# --- Reads -----------------------------------------------------------------------------------------


def jobs_for(user: Any) -> QuerySet[Job]:
    """The jobs a user asked for, within their region: nobody else's, whatever their role."""
    if not getattr(user, "is_authenticated", False):
        return Job.objects.none()
    return access.scoped(Job.objects.filter(requested_by=user), user, "region")


def job_get(user: Any, pk: int) -> Job:
    return access.scoped_get(jobs_for(user), user, "region", pk=pk)
