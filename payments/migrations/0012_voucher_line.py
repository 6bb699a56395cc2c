"""The voucher lines: one row for each e-tax voucher line ever stored, naming its first notice.

The database keeps it: a trigger on the notice table adds the lines of every statement that stores
notices (COPY from a push, the ORM in tests and the demo) in the same transaction, the first stored
winning (`ON CONFLICT DO NOTHING`). On PostgreSQL the trigger runs once a statement over its
transition table, so a 10,000-notice COPY adds its lines with one INSERT … SELECT. The lines of the
notices already stored are filled in here, the lowest id of each line first, as the crediting
engine has always counted the first.
"""

import django.db.models.deletion
from django.db import migrations, models

POSTGRES_UP = [
    """
INSERT INTO payments_voucherline (notice_id, voucher_no, line_no)
SELECT DISTINCT ON (voucher_no, line_no) id, voucher_no, line_no
FROM payments_arrivalnotice ORDER BY voucher_no, line_no, id;
""",
    """
CREATE OR REPLACE FUNCTION payments_voucherline_record() RETURNS trigger AS $$
BEGIN
    INSERT INTO payments_voucherline (notice_id, voucher_no, line_no)
    SELECT id, voucher_no, line_no FROM stored_notices ORDER BY id
    ON CONFLICT (voucher_no, line_no) DO NOTHING;
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
""",
    """
CREATE TRIGGER payments_voucherline_record
    AFTER INSERT ON payments_arrivalnotice
    REFERENCING NEW TABLE AS stored_notices
    FOR EACH STATEMENT EXECUTE FUNCTION payments_voucherline_record();
""",
]
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS payments_voucherline_record ON payments_arrivalnotice;",
    "DROP FUNCTION IF EXISTS payments_voucherline_record();",
]
SQLITE_UP = [
    """INSERT OR IGNORE INTO payments_voucherline (notice_id, voucher_no, line_no)
       SELECT id, voucher_no, line_no FROM payments_arrivalnotice ORDER BY id;""",
    """CREATE TRIGGER payments_voucherline_record AFTER INSERT ON payments_arrivalnotice
       BEGIN
           INSERT OR IGNORE INTO payments_voucherline (notice_id, voucher_no, line_no)
           VALUES (NEW.id, NEW.voucher_no, NEW.line_no);
       END;""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS payments_voucherline_record;"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise RuntimeError(f"no voucher-line trigger for the {vendor} database")
        for sql in statements_by_vendor[vendor]:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0011_groups_backpay_reasons"),
    ]

    operations = [
        migrations.CreateModel(
            name="VoucherLine",
            fields=[
                (
                    "notice",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="payments.arrivalnotice",
                        verbose_name="first notice",
                    ),
                ),
                ("voucher_no", models.CharField(max_length=40, verbose_name="e-tax voucher number")),
                ("line_no", models.PositiveIntegerField(verbose_name="line")),
            ],
            options={
                "verbose_name": "voucher line",
                "verbose_name_plural": "voucher lines",
                "constraints": [models.UniqueConstraint(fields=("voucher_no", "line_no"), name="voucher_line_once")],
            },
        ),
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
