"""`manage.py check_ledger`: print every difference between the ledger and its sources
(payments.ledger_check) and exit non-zero if there is any."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insured.models import Region
from payments.ledger_check import SETTLED, Scope, ledger_problems


class Command(BaseCommand):
    help = "Check that every person-year's ledger agrees with its notices and its cached figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, help="Only this contribution year.")
        parser.add_argument("--region", metavar="CODE", help="Only persons of this region (12-digit division code).")

    def handle(self, *args: Any, **options: Any) -> None:
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"no region with code {options['region']!r}")
        scope = Scope(options["year"], region)
        problems = list(ledger_problems(scope))
        for line in problems:
            self.stdout.write(line)
        if problems:
            raise CommandError(f"{len(problems)} differences between the ledger and its sources")
        self.stdout.write(
            f"Ledger agrees with its sources ({scope}): {scope.person_years().count()} person-years, "
            f"{scope.notices().filter(state__in=SETTLED).count()} settled notices, "
            f"{scope.entries().count()} entries checked."
        )
