"""Account entries are append-only, and the database itself refuses UPDATE and DELETE.

A trigger rather than model code: a bulk update, a raw query or a script in a shell must
not be able to change a person's account either. TRUNCATE (used only to wipe a test
database) is not a row change and is left alone.
"""

from django.db import migrations

POSTGRES_UP = """
CREATE OR REPLACE FUNCTION insured_accountentry_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'account entries are append-only: % refused on entry %', TG_OP, OLD.id
        USING ERRCODE = 'restrict_violation';
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER insured_accountentry_append_only
    BEFORE UPDATE OR DELETE ON insured_accountentry
    FOR EACH ROW EXECUTE FUNCTION insured_accountentry_append_only();
"""
POSTGRES_DOWN = """
DROP TRIGGER IF EXISTS insured_accountentry_append_only ON insured_accountentry;
DROP FUNCTION IF EXISTS insured_accountentry_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER insured_accountentry_no_update BEFORE UPDATE ON insured_accountentry
       BEGIN SELECT RAISE(ABORT, 'account entries are append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER insured_accountentry_no_delete BEFORE DELETE ON insured_accountentry
       BEGIN SELECT RAISE(ABORT, 'account entries are append-only: DELETE refused'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS insured_accountentry_no_update;",
    "DROP TRIGGER IF EXISTS insured_accountentry_no_delete;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise RuntimeError(f"no append-only trigger for the {vendor} database")
        statements = statements_by_vendor[vendor]
        for sql in [statements] if isinstance(statements, str) else statements:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("insured", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRES_UP, "sqlite": SQLITE_UP}),
            _run({"postgresql": POSTGRES_DOWN, "sqlite": SQLITE_DOWN}),
        ),
    ]
