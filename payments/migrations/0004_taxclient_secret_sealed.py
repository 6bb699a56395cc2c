"""The tax clients' secrets move from clear text to encrypted at rest (insured.secrets_box)."""

import django.core.validators
from django.db import migrations, models


def seal(apps, schema_editor):
    from insured import secrets_box

    TaxClient = apps.get_model("payments", "TaxClient")
    for client in TaxClient.objects.all():
        client.secret_sealed = secrets_box.seal(client.secret)
        client.save(update_fields=["secret_sealed"])


class Migration(migrations.Migration):
    dependencies = [("payments", "0003_reconciliation_json_may_be_empty")]

    operations = [
        migrations.AddField(
            model_name="taxclient",
            name="secret_sealed",
            field=models.TextField(default="", editable=False, verbose_name="shared secret (encrypted)"),
            preserve_default=False,
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
        migrations.RemoveField(model_name="taxclient", name="secret"),
        migrations.AlterField(
            model_name="taxclient",
            name="client_id",
            field=models.CharField(
                max_length=64,
                unique=True,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Za-z0-9._-]{1,64}$", "Letters, digits, dot, underscore and hyphen only."
                    )
                ],
                verbose_name="client id",
            ),
        ),
        migrations.AlterField(
            model_name="historicaltaxclient",
            name="client_id",
            field=models.CharField(
                db_index=True,
                max_length=64,
                validators=[
                    django.core.validators.RegexValidator(
                        "^[A-Za-z0-9._-]{1,64}$", "Letters, digits, dot, underscore and hyphen only."
                    )
                ],
                verbose_name="client id",
            ),
        ),
    ]
