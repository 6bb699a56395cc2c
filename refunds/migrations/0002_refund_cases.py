"""The refund cases 退费情形 of the issue, loaded from refunds/fixtures/refund_cases.json (the
administrator maintains them afterwards in the Django admin)."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "refund_cases.json"


def load(apps, schema_editor):
    RefundCase = apps.get_model("refunds", "RefundCase")
    for item in json.loads(FIXTURE.read_text(encoding="utf-8")):
        fields = dict(item["fields"])
        RefundCase.objects.get_or_create(code=fields.pop("code"), defaults=fields)


def unload(apps, schema_editor):
    RefundCase = apps.get_model("refunds", "RefundCase")
    codes = [item["fields"]["code"] for item in json.loads(FIXTURE.read_text(encoding="utf-8"))]
    RefundCase.objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [("refunds", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
