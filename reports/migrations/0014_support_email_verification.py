# The support e-mail is shared with reporters once verified through a single-use link.

import django.utils.timezone
from django.db import migrations, models


def existing_addresses_verified(apps, schema_editor):
    # The support e-mails set before verification existed were shared with reporters already:
    # they count as verified, so no appeal page stops showing its address.
    MiniApp = apps.get_model("reports", "MiniApp")
    MiniApp.objects.filter(support_email_verified_at__isnull=True).update(
        support_email_verified_at=django.utils.timezone.now()
    )


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0013_signing_secret_rotation"),
    ]

    operations = [
        migrations.AddField(
            model_name="miniapp",
            name="support_email_token_expires_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="miniapp",
            name="support_email_token_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="miniapp",
            name="support_email_verified_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(existing_addresses_verified, migrations.RunPython.noop),
    ]
