# The help center's intro text and FAQ entries, per language, written by the app's owners.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0014_support_email_verification"),
    ]

    operations = [
        migrations.CreateModel(
            name="FaqEntry",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "language",
                    models.CharField(choices=[("en", "English"), ("es", "Spanish")], max_length=5),
                ),
                ("question", models.CharField(max_length=200)),
                ("answer", models.TextField(max_length=5000)),
                (
                    "position",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Lower numbers come first; equal numbers keep the order of creation.",
                    ),
                ),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "mini_app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="faq_entries",
                        to="reports.miniapp",
                    ),
                ),
            ],
            options={
                "verbose_name": "FAQ entry",
                "verbose_name_plural": "FAQ entries",
                "ordering": ["position", "id"],
                "indexes": [
                    models.Index(
                        fields=["mini_app", "language", "position"], name="faq_app_language"
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="HelpIntro",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "language",
                    models.CharField(choices=[("en", "English"), ("es", "Spanish")], max_length=5),
                ),
                ("text", models.TextField(blank=True, max_length=2000)),
                ("updated_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "mini_app",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="help_intros",
                        to="reports.miniapp",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("mini_app", "language"), name="helpintro_unique"
                    )
                ],
            },
        ),
    ]
