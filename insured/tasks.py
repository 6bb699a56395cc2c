"""Celery tasks of insured: they take ids, call one service, and are safe to run twice."""

from __future__ import annotations

from celery import shared_task

from insured import jobs


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> bool:
    """Run a background job (insured.jobs); a second delivery finds it claimed or finished."""
    return jobs.job_run(job_id)
