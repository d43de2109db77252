from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reports", "0009_report_source_no_admin")]

    operations = [
        # Everyone who was a member before roles existed could do everything: they become owners.
        migrations.AddField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[("owner", "Owner"), ("handler", "Handler"), ("viewer", "Viewer")],
                default="owner",
                max_length=10,
            ),
        ),
        # New memberships start as handlers unless the inviting owner says otherwise.
        migrations.AlterField(
            model_name="membership",
            name="role",
            field=models.CharField(
                choices=[("owner", "Owner"), ("handler", "Handler"), ("viewer", "Viewer")],
                default="handler",
                max_length=10,
            ),
        ),
        migrations.AddConstraint(
            model_name="membership",
            constraint=models.CheckConstraint(
                condition=models.Q(("role__in", ["owner", "handler", "viewer"])),
                name="membership_role_valid",
            ),
        ),
    ]
