import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

app = Celery("pension")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def freeze_what_is_loaded(**_kwargs) -> None:
    """Once a worker process has started, everything loaded so far (Django, the apps, Celery)
    lives as long as the process: frozen, Python's cycle collector no longer traverses it at
    every full collection while a batch of ten thousand notices is credited (docs/benchmarks.md,
    "Third pass"). What a task makes afterwards is collected as before."""
    gc.freeze()
