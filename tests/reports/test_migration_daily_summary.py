"""Migration 0022: the due-soon digest's opt-outs carry over to the daily summary."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("reports", "0021_saved_reply")]
AFTER = [("reports", "0022_daily_summary")]


@pytest.mark.django_db(transaction=True)
def test_a_developer_who_had_turned_the_digest_off_everywhere_starts_with_the_summary_off():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE)
        old = MigrationExecutor(connection).loader.project_state(BEFORE).apps
        user_model = old.get_model("auth", "User")
        mini_app_model = old.get_model("reports", "MiniApp")
        membership_model = old.get_model("reports", "Membership")
        apps = [
            mini_app_model.objects.create(name=name, slug=name, support_email=f"a@{name}.example")
            for name in ("acme", "globex")
        ]
        users = {
            name: user_model.objects.create(username=name, email=f"{name}@example.com")
            for name in ("off_everywhere", "off_in_one", "on")
        }
        for mini_app in apps:
            membership_model.objects.create(
                mini_app=mini_app, user=users["off_everywhere"], email_due_soon=False
            )
            membership_model.objects.create(mini_app=mini_app, user=users["on"])
        membership_model.objects.create(mini_app=apps[0], user=users["off_in_one"])
        membership_model.objects.create(
            mini_app=apps[1], user=users["off_in_one"], email_due_soon=False
        )

        executor = MigrationExecutor(connection)
        executor.migrate(AFTER)
        new = executor.loader.project_state(AFTER).apps
        preferences = new.get_model("reports", "MemberPreferences")
        assert dict(preferences.objects.values_list("user__username", "daily_summary")) == {
            "off_everywhere": False
        }
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
