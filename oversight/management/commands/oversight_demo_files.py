"""Write the files the oversight demo walk imports (README: "Oversight") from the loaded demo county:
城关镇's household-registration extract, the education bureau's students, and the bank statement of
March 2026 with its one deliberate difference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insured.models import Region
from oversight import demo


class Command(BaseCommand):
    help = "Write the oversight demo files (household extract, students, bank statement) into a directory."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out-dir", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if not Region.objects.filter(code=demo.CHENGGUAN).exists():
            raise CommandError("the demo county is not loaded; run `manage.py load_demo` first")
        out: Path = options["out_dir"]
        out.mkdir(parents=True, exist_ok=True)
        for name, content in demo.demo_files().items():
            (out / name).write_bytes(content)
            self.stdout.write(f"wrote {out / name}")
