import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION insured_accessrecord_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access records are append-only: % refused on record %', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER insured_accessrecord_append_only
    BEFORE UPDATE OR DELETE ON insured_accessrecord
    FOR EACH ROW EXECUTE FUNCTION insured_accessrecord_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS insured_accessrecord_append_only ON insured_accessrecord;
DROP FUNCTION IF EXISTS insured_accessrecord_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER insured_accessrecord_no_update BEFORE UPDATE ON insured_accessrecord
       BEGIN SELECT RAISE(ABORT, 'access records are append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER insured_accessrecord_no_delete BEFORE DELETE ON insured_accessrecord
       BEGIN SELECT RAISE(ABORT, 'access records are append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS insured_accessrecord_no_update;",
    "DROP TRIGGER IF EXISTS insured_accessrecord_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor[schema_editor.connection.vendor]
        for sql in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("insured", "0004_holiday_moved_from_payments"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AccessRecord",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="time")),
                (
                    "what",
                    models.CharField(
                        choices=[
                            ("page", "person page"),
                            ("account", "personal account"),
                            ("api", "API"),
                            ("form", "printed form"),
                            ("export", "export"),
                        ],
                        max_length=10,
                        verbose_name="what",
                    ),
                ),
                ("detail", models.CharField(blank=True, max_length=120, verbose_name="detail")),
                (
                    "person",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="insured.insuredperson",
                        verbose_name="insured person",
                    ),
                ),
                (
                    "user",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="user",
                    ),
                ),
            ],
            options={
                "verbose_name": "access record",
                "verbose_name_plural": "access records",
                "ordering": ["-at", "-id"],
                "indexes": [
                    models.Index(fields=["person", "at"], name="access_person_at_idx"),
                    models.Index(fields=["user", "at"], name="access_user_at_idx"),
                    models.Index(fields=["at"], name="access_at_idx"),
                ],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
