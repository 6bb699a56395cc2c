"""The holiday calendar moves from payments to insured, where the working-day rules live.

The table is renamed, not copied: the administrator's entries stay as they are.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("insured", "0003_personyear_fillfactor"),
        ("payments", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Holiday",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("date", models.DateField(unique=True, verbose_name="date")),
                        (
                            "is_workday",
                            models.BooleanField(
                                default=False,
                                help_text="Tick for a weekend day that is worked (调休上班).",
                                verbose_name="working day",
                            ),
                        ),
                        ("name", models.CharField(blank=True, max_length=50, verbose_name="holiday name")),
                    ],
                    options={
                        "verbose_name": "holiday calendar day",
                        "verbose_name_plural": "holiday calendar",
                        "ordering": ["date"],
                    },
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    "ALTER TABLE payments_holiday RENAME TO insured_holiday",
                    reverse_sql="ALTER TABLE insured_holiday RENAME TO payments_holiday",
                ),
            ],
        ),
    ]
