# The previous signing secret, accepted for 24 hours after a rotation (reports.signing).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0012_invitation"),
    ]

    operations = [
        migrations.AddField(
            model_name="miniapp",
            name="previous_signing_secret",
            field=models.CharField(blank=True, editable=False, max_length=128),
        ),
        migrations.AddField(
            model_name="miniapp",
            name="signing_secret_rotated_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
    ]
