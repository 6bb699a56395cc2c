"""Celery tasks of insured: they take ids, call one service, and are safe to run twice.

`run_job` lives beside the jobs it runs (insured.jobs) and is registered here for Celery's
autodiscovery under this module's name.
"""

from __future__ import annotations

from insured.jobs import run_job

__all__ = ["run_job"]
