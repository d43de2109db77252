"""Dismiss with a reason the reporter is told: the reason, Other's text, a duplicate's report ID."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0018_replies"),
    ]

    operations = [
        migrations.AddField(
            model_name="report",
            name="dismiss_reason",
            field=models.CharField(
                blank=True,
                choices=[
                    ("not_reproducible", "Not reproducible"),
                    ("not_this_app", "Not about this mini app"),
                    ("duplicate", "Duplicate of another report"),
                    ("spam", "Spam or abuse"),
                    ("not_enough_information", "Not enough information"),
                    ("other", "Other"),
                ],
                max_length=30,
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="dismiss_reason_text",
            field=models.CharField(
                blank=True, max_length=500, verbose_name="reason, in the team's words"
            ),
        ),
        migrations.AddField(
            model_name="report",
            name="duplicate_of",
            field=models.CharField(blank=True, max_length=16, verbose_name="duplicate of report"),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("dismiss_reason", ""),
                    models.Q(
                        (
                            "dismiss_reason__in",
                            [
                                "not_reproducible",
                                "not_this_app",
                                "duplicate",
                                "spam",
                                "not_enough_information",
                                "other",
                            ],
                        ),
                        ("status", "dismissed"),
                    ),
                    _connector="OR",
                ),
                name="report_dismiss_reason_when_dismissed",
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("dismiss_reason", "other"), _negated=True),
                    models.Q(("dismiss_reason_text", ""), _negated=True),
                    _connector="OR",
                ),
                name="report_other_reason_has_text",
            ),
        ),
        migrations.AddConstraint(
            model_name="report",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("dismiss_reason", "duplicate"), ("duplicate_of__gt", "")),
                    models.Q(
                        models.Q(("dismiss_reason", "duplicate"), _negated=True),
                        ("duplicate_of", ""),
                    ),
                    _connector="OR",
                ),
                name="report_duplicate_names_report",
            ),
        ),
    ]
