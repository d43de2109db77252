"""Replies to the reporter: a public history kind, and the reporter's language and timezone
kept with the report so later e-mails reach them in both."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0017_api_key"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="reporter_language",
            field=models.CharField(blank=True, editable=False, max_length=10),
        ),
        migrations.AddField(
            model_name="report",
            name="reporter_timezone",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="reportevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("submitted", "Report received"),
                    ("resolved", "Resolved"),
                    ("dismissed", "Dismissed"),
                    ("reopened", "Reopened"),
                    ("notes_edited", "Notes edited"),
                    ("past_due", "Marked past due"),
                    ("appeal_submitted", "Appeal received"),
                    ("support_email_shared", "Support e-mail shared with reporter"),
                    ("appeal_upheld", "Appeal upheld"),
                    ("appeal_overturned", "Appeal overturned"),
                    ("replied", "Reply sent to the reporter"),
                ],
                max_length=30,
            ),
        ),
    ]
