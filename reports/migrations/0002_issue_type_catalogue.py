"""Seed the fixed issue-type catalogue: each category's ordered list of issue types."""

from django.db import migrations

CATALOGUE = {
    "experience": [
        ("crash", "App crashes or freezes"),
        ("feature", "Feature not working"),
        ("slow", "Slow or unresponsive"),
        ("content", "Content not loading"),
        ("login", "Login or account problem"),
        ("other", "Other"),
    ],
    "payment": [
        ("not-received", "Charged but order not received"),
        ("refund", "Refund request"),
        ("charged-twice", "Charged twice"),
        ("wrong-amount", "Wrong amount charged"),
        ("subscription", "Subscription problem"),
        ("other", "Other"),
    ],
    "community": [
        ("harassment", "Harassment or bullying"),
        ("hate-speech", "Hate speech"),
        ("violence", "Violence or dangerous acts"),
        ("nudity", "Nudity or sexual content"),
        ("scam", "Scam or fraud"),
        ("ip", "Intellectual property"),
        ("spam", "Spam"),
        ("other", "Other"),
    ],
}


def seed(apps, schema_editor):
    IssueType = apps.get_model("reports", "IssueType")
    for category, entries in CATALOGUE.items():
        for position, (slug, name) in enumerate(entries):
            IssueType.objects.update_or_create(
                code=f"{category}.{slug}",
                defaults={"category": category, "name": name, "position": position},
            )


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
