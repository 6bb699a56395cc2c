"""Write 南关村's two demo rosters (one with deliberate errors, one corrected) from the loaded demo
county: the files `fixtures/demo/` ships and the README walks through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from collective import demo
from insured.models import Region


class Command(BaseCommand):
    help = "Write the demo rosters of 南关村 (with errors, and corrected) into a directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out-dir", type=Path, required=True)
        parser.add_argument("--year", type=int, default=None, help="default: this year")

    def handle(self, *args: Any, **options: Any) -> None:
        if not Region.objects.filter(code=demo.NANGUAN).exists():
            raise CommandError("the demo county is not loaded; run `manage.py load_demo` first")
        out: Path = options["out_dir"]
        out.mkdir(parents=True, exist_ok=True)
        for name, content in demo.roster_files(options["year"] or timezone.localdate().year).items():
            (out / name).write_bytes(content)
            self.stdout.write(f"wrote {out / name}")
