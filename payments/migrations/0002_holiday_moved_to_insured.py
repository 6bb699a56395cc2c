from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("insured", "0004_holiday_moved_from_payments"),
    ]

    operations = [
        # insured.0004 renamed the table; only the model's place in the state changes here.
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="Holiday")]),
    ]
