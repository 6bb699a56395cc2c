"""Queue every batch still waiting to be processed (what the beat sweep does every five
minutes), now. Where tasks run in-process, as in the demo, they are processed at once."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand

from payments import tasks


class Command(BaseCommand):
    help = "Queue every notice batch that is still waiting to be processed."

    def handle(self, *args: Any, **options: Any) -> None:
        queued = tasks.batches_requeue(older_than=dt.timedelta(0))
        self.stdout.write(f"{queued} waiting batches queued")
