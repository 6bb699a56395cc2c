"""Cut the faces of the printed forms (static/fonts/PensionSans-*.otf) from the system's Noto Sans
CJK SC: run after changing the printed forms' text a great deal, then commit the files. The same
system fonts and the same sources give the same bytes."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from insured.printing import fonts


class Command(BaseCommand):
    help = "Cut the faces of the printed forms from the system's Noto Sans CJK SC into static/fonts/."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=fonts.FONT_DIR, help="where to write the faces")

    def handle(self, *args, **options) -> None:
        try:
            built = fonts.build(Path(settings.BASE_DIR), options["out"])
        except FileNotFoundError as exc:
            raise CommandError(str(exc)) from exc
        for path, glyphs, size in built:
            self.stdout.write(f"{path}: {glyphs} glyphs, {size:,} bytes")
