"""The beat entries of oversight name registered tasks, and each task does its one service's work,
safely twice."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from config.celery import app
from oversight import tasks
from oversight.models import ProgressDay, WeeklyReport
from oversight.services import reports

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    ours = {n for n in names if n.startswith("oversight.")}
    assert ours == {
        "oversight.tasks.refresh_progress",
        "oversight.tasks.refresh_stale",
        "oversight.tasks.refresh_coverage",
        "oversight.tasks.weekly_reports",
    }
    assert ours <= set(app.tasks)
    monday = settings.CELERY_BEAT_SCHEDULE["weekly-reports"]["schedule"]
    assert monday.day_of_week == {1} and monday.hour == {6}


def test_refresh_tasks_run_twice_the_same(world):
    ProgressDay.objects.all().delete()
    first = tasks.refresh_progress.apply().get()
    assert first > 0 and tasks.refresh_progress.apply().get() == first
    assert tasks.refresh_coverage.apply().get() == 0  # no extract imported: nothing to count


def test_the_weekly_task_makes_last_week_once(world, monkeypatch):
    monkeypatch.setattr(reports.timezone, "localdate", lambda: dt.date(2026, 3, 25))
    made = tasks.weekly_reports.apply().get()
    assert len(made) == 1 and WeeklyReport.objects.get().week_start == dt.date(2026, 3, 16)
    assert tasks.weekly_reports.apply().get() == []
