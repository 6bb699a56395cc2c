"""The file route for notice batches, for when the line to tax is down.

The same checks and the same idempotency as the push endpoint: a file loaded twice stores
once; a different file under the same batch id is refused.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from payments import intake, services, tasks
from payments.models import NoticeBatch, TaxClient


class Command(BaseCommand):
    help = "Load a batch of arrival notices from a JSON file (the push format) or a CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--client", required=True, help="The tax client's client id.")
        parser.add_argument("--batch-id", help="For CSV files: the batch id (default: the file name).")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        client = TaxClient.objects.filter(client_id=options["client"], is_active=True).first()
        if client is None:
            raise CommandError(f"no active tax client {options['client']!r}")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise CommandError(str(exc)) from None
        try:
            if path.suffix.lower() == ".csv":
                sent_at = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.get_current_timezone())
                parsed = intake.parse_batch_csv(
                    _decode(raw), batch_id=options["batch_id"] or path.stem, sent_at=sent_at
                )
            else:
                parsed = intake.parse_batch_json(raw)
        except intake.BatchInvalid as exc:
            for error in exc.errors:
                where = "batch" if error.notice is None else f"notice {error.notice + 1}"
                self.stderr.write(f"{where} {error.field}: {error.message}")
            raise CommandError(f"{len(exc.errors)} errors; nothing was stored") from None
        try:
            result = services.batch_store(
                client=client, parsed=parsed, fingerprint=intake.body_fingerprint(raw), source=NoticeBatch.Source.FILE
            )
        except services.BatchConflict:
            raise CommandError(f"batch {parsed.batch_id} was already loaded with different content") from None
        if result.created or result.batch.status == NoticeBatch.Status.RECEIVED:
            tasks.batch_dispatch(result.batch.pk)
        batch = NoticeBatch.objects.get(pk=result.batch.pk)
        verb = "stored" if result.created else "already stored; nothing changed"
        self.stdout.write(
            f"batch {batch.batch_id}: {verb}; {batch.declared_count} notices, status {batch.status}, "
            f"credited {batch.credited_count}, duplicate {batch.duplicate_count}, "
            f"unmatched {batch.unmatched_count}, reversed {batch.reversed_count}"
        )


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM), or GB18030: what Excel saves on a Chinese Windows."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        raise CommandError("the CSV file is neither UTF-8 nor GB18030 text") from None
