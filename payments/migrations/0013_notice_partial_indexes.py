import django.db.models.deletion
from django.db import migrations, models

TABLE = "payments_arrivalnotice"


def _drop_receivable_index(apps, schema_editor):
    """The receivable's full index goes (the partial one below replaces it) by DROP INDEX, not by
    Django's AlterField: on SQLite that remakes the table, and with the old table would go the
    voucher-line trigger of 0012."""
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, TABLE)
    for name, c in constraints.items():
        if c["index"] and not c["unique"] and not c["primary_key"] and c["columns"] == ["receivable_id"]:
            schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")


def _restore_receivable_index(apps, schema_editor):
    name = schema_editor._create_index_name(TABLE, ["receivable_id"])
    schema_editor.execute(
        f"CREATE INDEX {schema_editor.quote_name(name)} ON {schema_editor.quote_name(TABLE)} (receivable_id)"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("insured", "0010_groups_merge_backpay"),
        ("payments", "0012_voucher_line"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="arrivalnotice",
            name="notice_person_year_idx",
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="arrivalnotice",
                    name="receivable",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="notices",
                        to="payments.receivable",
                        verbose_name="receivable",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(_drop_receivable_index, _restore_receivable_index)],
        ),
        migrations.AddIndex(
            model_name="arrivalnotice",
            index=models.Index(
                condition=models.Q(("person__isnull", False)), fields=["person", "year"], name="notice_person_year_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="arrivalnotice",
            index=models.Index(
                condition=models.Q(("receivable__isnull", False)), fields=["receivable"], name="notice_receivable_idx"
            ),
        ),
    ]
