"""Write the demo county's special-group list of this month (fixtures/demo/minzheng-group-list.csv)
again from the loaded demo, as the README's walk-through imports it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from collection.demo import FILE, demo_list
from insured.models import Region

DEMO_COUNTY = "211370000000"


class Command(BaseCommand):
    help = "Write the demo's department list of special-group members (GB18030 CSV) for the walk-through."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out-dir", type=Path, required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        county = Region.objects.filter(code=DEMO_COUNTY).first()
        if county is None:
            raise CommandError("the demo county is not loaded; run `manage.py load_demo` first")
        path = options["out_dir"] / FILE
        path.write_bytes(demo_list(county.prefix, timezone.localdate()))
        self.stdout.write(f"wrote {path}")
