import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from reports.models import Category, MiniApp, Report, ReportEvent, Screenshot, Status

pytestmark = pytest.mark.django_db


def seed(*args: str) -> None:
    call_command("seed_demo", *args, "--seed", "7", stdout=io.StringIO())


def test_seeds_two_separate_tenants(catalogue):
    seed("--app", "alpha", "--user", "a@example.com", "--reports", "120")
    seed("--app", "beta", "--user", "b@example.com", "--password", "pw-b", "--reports", "40")
    alpha, beta = MiniApp.objects.get(slug="alpha"), MiniApp.objects.get(slug="beta")
    assert alpha.reports.count() == 120
    assert beta.reports.count() == 40
    a_user = get_user_model().objects.get(username="a@example.com")
    b_user = get_user_model().objects.get(username="b@example.com")
    assert list(a_user.mini_apps.all()) == [alpha]
    assert list(b_user.mini_apps.all()) == [beta]
    assert b_user.check_password("pw-b")


def test_reports_are_realistic_and_valid(catalogue):
    seed("--reports", "300")
    reports = Report.objects.all()
    assert set(reports.values_list("category", flat=True)) == set(Category.values)
    assert set(reports.values_list("status", flat=True)) == set(Status.values)
    assert reports.filter(past_due_at__isnull=False, status=Status.PENDING).exists()
    assert reports.filter(past_due_at__isnull=False).exclude(status=Status.PENDING).exists()
    assert reports.filter(open_id="").exists() and reports.exclude(open_id="").exists()
    assert Screenshot.objects.filter(report__category=Category.COMMUNITY).exists()
    # Every report has its "received" event, every handled one its decision.
    assert ReportEvent.objects.filter(kind="submitted").count() == 300
    assert ReportEvent.objects.filter(kind__in=["resolved", "dismissed"]).count() == (
        reports.exclude(status=Status.PENDING).count()
    )


def test_rerun_updates_the_app_and_keeps_the_secret_given(catalogue):
    seed("--secret", "first", "--reports", "0")
    seed("--secret", "second", "--reports", "0")
    assert MiniApp.objects.get(slug="demo").signing_secret == "second"
    assert MiniApp.objects.count() == 1


def test_if_empty_skips_a_populated_database(catalogue):
    seed("--reports", "5")
    seed("--app", "other", "--if-empty", "--reports", "5")
    assert not MiniApp.objects.filter(slug="other").exists()


def test_the_demo_reports_are_counted_in_the_insights(catalogue):
    seed("--app", "alpha", "--user", "a@example.com", "--reports", "200")
    out = io.StringIO()
    call_command("insights_rebuild", "--check", stdout=out)  # exits 1 on any difference
    assert "alpha: rollups match" in out.getvalue()
