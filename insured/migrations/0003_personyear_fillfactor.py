"""Person-year rows are updated by every batch that touches them. Leaving room in each page
lets PostgreSQL update them in place (HOT updates) instead of writing new index entries."""

from django.db import migrations


def _alter(fillfactor: int):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"ALTER TABLE insured_personyear SET (fillfactor = {fillfactor})", params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("insured", "0002_ledger_append_only")]

    operations = [migrations.RunPython(_alter(70), _alter(100))]
