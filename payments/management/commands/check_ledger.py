"""`manage.py check_ledger`: print every difference between the ledger and its sources
(payments.ledger_check) and exit non-zero if there is any, or if notices have waited to be
processed longer than --waiting-limit (the ledger cannot agree with tax while they wait)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from insured.models import Region
from payments import selectors
from payments.ledger_check import SETTLED, Scope, ledger_problems


class Command(BaseCommand):
    help = "Check that every person-year's ledger agrees with its notices and its cached figures."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, help="Only this contribution year.")
        parser.add_argument("--region", metavar="CODE", help="Only persons of this region (12-digit division code).")
        parser.add_argument(
            "--waiting-limit",
            type=int,
            default=600,
            metavar="SECONDS",
            help="Fail when a batch has waited to be processed longer than this (default 600).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(f"no region with code {options['region']!r}")
        scope = Scope(options["year"], region)
        problems = list(ledger_problems(scope))
        work = selectors.waiting_work()
        if work.batches:
            self.stdout.write(
                f"{work.notices} notices in {work.batches} batches wait to be processed; the oldest for "
                f"{work.oldest_age_seconds} s; {work.failing} batches failing."
            )
            if work.oldest_age_seconds > options["waiting_limit"] or work.failing:
                problems.append(
                    f"notices have waited longer than {options['waiting_limit']} s or keep failing: "
                    "the ledger cannot agree with tax until they are processed"
                )
        for line in problems:
            self.stdout.write(line)
        if problems:
            raise CommandError(f"{len(problems)} differences between the ledger and its sources")
        self.stdout.write(
            f"Ledger agrees with its sources ({scope}): {scope.person_years().count()} person-years, "
            f"{scope.notices().filter(state__in=SETTLED).count()} settled notices, "
            f"{scope.entries().count()} entries checked."
        )
