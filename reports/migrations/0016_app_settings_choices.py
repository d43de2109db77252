# The audit log's settings and secret kinds; a report's new source, the console's test report.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0015_help_center_content"),
    ]

    operations = [
        migrations.AlterField(
            model_name="appevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("member_added", "Member added"),
                    ("member_invited", "Member invited"),
                    ("invitation_resent", "Invitation resent"),
                    ("invitation_revoked", "Invitation revoked"),
                    ("member_role_changed", "Role changed"),
                    ("member_removed", "Member removed"),
                    ("app_created", "Mini app created"),
                    ("app_renamed", "App renamed"),
                    ("support_email_changed", "Support e-mail changed"),
                    ("support_email_verified", "Support e-mail verified"),
                    ("help_intro_changed", "Help-center intro changed"),
                    ("faq_added", "FAQ entry added"),
                    ("faq_changed", "FAQ entry changed"),
                    ("faq_deleted", "FAQ entry deleted"),
                    ("secret_revealed", "Signing secret revealed"),
                    ("secret_rotated", "Signing secret rotated"),
                    ("test_report_sent", "Test report sent"),
                ],
                max_length=40,
            ),
        ),
        migrations.AlterField(
            model_name="report",
            name="source",
            field=models.CharField(
                choices=[
                    ("web", "Help center"),
                    ("api", "In-app API"),
                    ("test", "Test from the console"),
                ],
                default="web",
                max_length=10,
            ),
        ),
    ]
