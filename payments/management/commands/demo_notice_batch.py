"""Write a notice batch for the demo county, as tax would push it, and make sure the demo
tax client exists. The README shows how to sign and push the file with curl."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from insured.models import InsuredPerson, PersonYear, Region
from insured.selectors import PolicyResolver
from payments.demo import DEMO_CLIENT_ID, DEMO_SECRET, tax_client
from payments.models import Receivable

DEMO_COUNTY = "211370000000"


class Command(BaseCommand):
    help = (
        "Write a demo arrival-notice batch (JSON): own contributions of demo persons who have not paid this "
        "year, one that cannot be credited, and the payment of every receivable waiting (signed sponsorships)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--count", type=int, default=5)

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_ALLOWED:
            raise CommandError(
                "the demo tax client's secret is public: demo_notice_batch refuses to run with these settings"
            )
        county = Region.objects.filter(code=DEMO_COUNTY).first()
        if county is None:
            raise CommandError("the demo county is not loaded; run `manage.py load_demo` first")
        tax_client(county)
        today = timezone.localdate()
        paid = PersonYear.objects.filter(year=today.year, own_arrived_on__isnull=False).values("person_id")
        persons = list(
            InsuredPerson.objects.filter(village__code__startswith=county.prefix, status="enrolled")
            .exclude(pk__in=paid)
            .select_related("village")
            .order_by("person_no")[: options["count"] + 1]
        )
        if len(persons) < 2:
            raise CommandError("every enrolled demo person has paid this year already")
        policies = PolicyResolver()
        stamp = timezone.localtime().strftime("%Y%m%d%H%M%S")
        notices = []
        for line, person in enumerate(persons[:-1], start=1):
            policy = policies.get(person.village.code, today.year)
            tiers = [t.amount for t in policy.basic_tiers() if not t.is_hardship_only] if policy else []
            amount = tiers[line % len(tiers)] if tiers else "500.00"
            notices.append(self._notice(stamp, line, person, f"{amount:.2f}", today))
        # One that cannot be credited, so the unmatched queue has something to show: not a tier.
        notices.append(self._notice(stamp, len(notices) + 1, persons[-1], "333.00", today))
        # And the payment of every receivable waiting in the demo county (a signed sponsorship:
        # the sponsor pays online, 000 三(三)1).
        waiting = Receivable.objects.filter(
            status__in=[Receivable.Status.OPEN, Receivable.Status.SENT], person__village__code__startswith=county.prefix
        ).select_related("person")
        for receivable in waiting:
            notices.append(
                self._notice(stamp, len(notices) + 1, receivable.person, f"{receivable.amount:.2f}", today)
                | {
                    "kind": receivable.kind,
                    "year": receivable.year,
                    "receivable_no": receivable.number,
                    "payer_name": receivable.payer_name,
                    "payer_id": receivable.payer_id,
                    "channel": "tax_app",
                }
            )
        body = {
            "batch_id": f"DEMO-{stamp}",
            "sent_at": timezone.localtime().isoformat(timespec="seconds"),
            "count": len(notices),
            "total_amount": f"{sum(Decimal(n['amount']) for n in notices):.2f}",
            "notices": notices,
        }
        options["out"].write_text(json.dumps(body, ensure_ascii=False, indent=2), encoding="utf-8")
        self.stdout.write(f"wrote {len(notices)} notices to {options['out']}")
        self.stdout.write(f"tax client id: {DEMO_CLIENT_ID}   secret: {DEMO_SECRET}")

    @staticmethod
    def _notice(stamp: str, line: int, person: InsuredPerson, amount: str, today: dt.date) -> dict[str, Any]:
        return {
            "voucher_no": f"DEMO{stamp}",
            "line_no": line,
            "kind": "own",
            "insured_id_number": person.id_no,
            "insured_name": person.name,
            "payer_name": person.name,
            "payer_id": person.id_no,
            "year": today.year,
            "amount": amount,
            "paid_at": timezone.localtime().isoformat(timespec="seconds"),
            "channel": "wechat",
            "receivable_no": None,
            "reverses": None,
            "tax_office_code": "12113700000",
            "agency_code": "211370",
        }
