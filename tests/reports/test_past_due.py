"""The past-due job: the 72-hour promise at its edges, its cost, and what runs it."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.celery import app as celery_app
from reports import tasks
from reports.models import Report, ReportEvent, Status
from reports.services import (
    Dismissal,
    report_dismiss,
    report_reopen,
    report_resolve,
    reports_mark_past_due,
)
from tests.conftest import on_postgres, run_at_once
from tests.test_settings import settings_with

pytestmark = pytest.mark.django_db
Kind = ReportEvent.Kind


def fresh(report: Report) -> Report:
    return Report.objects.get(pk=report.pk)


def past_due_events(report: Report) -> list[ReportEvent]:
    return list(report.events.filter(kind=Kind.PAST_DUE))


def test_a_report_due_at_noon_is_not_past_due_a_microsecond_before(make_report):
    report = make_report()
    assert reports_mark_past_due(now=report.due_at - timedelta(microseconds=1)) == 0
    assert fresh(report).past_due_at is None
    assert reports_mark_past_due(now=report.due_at) == 1
    assert fresh(report).past_due_at == report.due_at


def test_the_deadline_is_72_hours_after_submission(make_report):
    submitted = timezone.now() - timedelta(hours=72, seconds=1)
    overdue = make_report(now=submitted)
    inside = make_report(now=submitted + timedelta(seconds=2))
    assert reports_mark_past_due() == 1
    assert fresh(overdue).is_past_due
    assert not fresh(inside).is_past_due


def test_the_mark_comes_with_one_system_history_row_at_the_time_of_the_run(make_report):
    report = make_report(now=timezone.now() - timedelta(days=4))
    now = timezone.now()
    reports_mark_past_due(now=now)
    [event] = past_due_events(report)
    assert event.created_at == now
    assert event.actor is None  # the system, not a person
    assert event.data == {}
    assert not event.is_public  # developers see it; the reporter's status page does not


def test_a_report_handled_before_its_deadline_is_never_marked(make_report, owner):
    resolved = make_report(now=timezone.now() - timedelta(hours=71))
    dismissed = make_report(now=timezone.now() - timedelta(hours=71))
    report_resolve(report=resolved, actor=owner)
    report_dismiss(report=dismissed, actor=owner, dismissal=Dismissal("not_reproducible"))
    assert reports_mark_past_due(now=timezone.now() + timedelta(days=30)) == 0
    assert not fresh(resolved).is_past_due and not fresh(dismissed).is_past_due
    assert not ReportEvent.objects.filter(kind=Kind.PAST_DUE).exists()


def test_a_report_handled_late_keeps_the_mark_and_the_history_says_late(make_report, owner):
    report = make_report(now=timezone.now() - timedelta(days=4))
    reports_mark_past_due()
    marked_at = fresh(report).past_due_at
    dismissed = report_dismiss(
        report=fresh(report), actor=owner, dismissal=Dismissal("not_reproducible")
    )
    assert dismissed.status == Status.DISMISSED
    assert dismissed.past_due_at == marked_at
    assert dismissed.events.get(kind=Kind.DISMISSED).data["late"] is True
    assert reports_mark_past_due() == 0  # handled reports are not looked at again


class TestReopenKeepsTheOriginalDeadline:
    def test_reopened_after_the_mark_it_keeps_the_mark_and_is_not_recorded_again(
        self, make_report, owner
    ):
        report = make_report(now=timezone.now() - timedelta(days=4))
        reports_mark_past_due()
        marked_at = fresh(report).past_due_at
        report_resolve(report=fresh(report), actor=owner)
        reopened = report_reopen(report=fresh(report), actor=owner)
        assert reopened.status == Status.PENDING
        assert reopened.past_due_at == marked_at
        assert reports_mark_past_due() == 0
        assert len(past_due_events(report)) == 1

    def test_handled_in_time_then_reopened_after_the_deadline_is_marked_at_once(
        self, make_report, owner
    ):
        report = make_report(now=timezone.now() - timedelta(hours=71))
        report_resolve(report=report, actor=owner)
        later = timezone.now() + timedelta(hours=2)  # the original 72 hours are over
        reopened = report_reopen(report=fresh(report), actor=owner)
        assert reopened.due_at == report.due_at  # no fresh window
        assert reports_mark_past_due(now=later) == 1
        assert fresh(report).past_due_at == later

    def test_reopened_inside_the_window_it_is_marked_at_the_original_deadline(
        self, make_report, owner
    ):
        report = make_report()
        report_dismiss(report=report, actor=owner, dismissal=Dismissal("not_reproducible"))
        report_reopen(report=fresh(report), actor=owner)
        assert reports_mark_past_due(now=report.due_at - timedelta(seconds=1)) == 0
        assert reports_mark_past_due(now=report.due_at) == 1


def test_running_twice_with_the_very_same_time_marks_once_and_fails_nothing(make_report):
    now = timezone.now()
    first = make_report(now=now - timedelta(days=4))
    assert reports_mark_past_due(now=now) == 1
    # A report filed late with an old time (e.g. an import) becomes due for the same instant.
    second = make_report(now=now - timedelta(days=5))
    assert reports_mark_past_due(now=now) == 1
    assert reports_mark_past_due(now=now) == 0
    assert len(past_due_events(first)) == 1 and len(past_due_events(second)) == 1


def test_the_number_of_queries_does_not_grow_with_the_number_of_reports(make_report):
    def queries_to_mark(count: int) -> int:
        now = timezone.now()
        for _ in range(count):
            make_report(now=now - timedelta(days=4))
        with CaptureQueriesContext(connection) as queries:
            assert reports_mark_past_due(now=now) == count
        return len(queries)

    assert queries_to_mark(2) == queries_to_mark(40)


def test_the_marking_does_not_bump_the_version_so_an_open_panel_can_still_save(make_report, owner):
    report = make_report(now=timezone.now() - timedelta(days=4))
    reports_mark_past_due()
    resolved = report_resolve(report=report, actor=owner, expected_version=report.version)
    assert resolved.is_past_due


def test_the_command_marks_and_says_how_many(make_report, capsys):
    make_report(now=timezone.now() - timedelta(days=4))
    make_report(now=timezone.now() - timedelta(days=5))
    make_report()
    call_command("mark_past_due", "--no-email")
    assert "Marked 2 reports past due." in capsys.readouterr().out
    call_command("mark_past_due", "--no-email")
    assert "Marked 0 reports past due." in capsys.readouterr().out


@pytest.fixture
def eager_tasks():
    """Tasks the task under test queues run inline, so nothing is left on the broker."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_the_task_marks_and_is_safe_to_run_again(make_report, eager_tasks):
    report = make_report(now=timezone.now() - timedelta(days=4))
    assert tasks.mark_past_due.apply().get() == 1
    assert tasks.mark_past_due.apply().get() == 0  # a redelivery after a crash is harmless
    assert len(past_due_events(report)) == 1


def test_the_tasks_are_configured_for_a_safe_redelivery():
    for task in (tasks.mark_past_due, tasks.send_past_due_digests, tasks.send_daily_summaries):
        assert task.acks_late and task.time_limit and task.soft_time_limit
    for task in (tasks.send_past_due_digests, tasks.send_daily_summaries, tasks.deliver_email):
        assert task.autoretry_for == (Exception,) and task.retry_backoff and task.max_retries


def test_beat_runs_the_job_every_minute_and_looks_for_daily_summaries_every_15(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["mark-past-due"]
    assert entry["task"] == "reports.tasks.mark_past_due"
    assert entry["schedule"] == 60.0
    summaries = settings.CELERY_BEAT_SCHEDULE["send-daily-summaries"]
    assert summaries["task"] == "reports.tasks.send_daily_summaries"
    assert summaries["schedule"] == 900.0
    assert "send-due-soon-digests" not in settings.CELERY_BEAT_SCHEDULE  # replaced by it
    assert settings.CELERY_TASK_SERIALIZER == "json" and settings.CELERY_ACCEPT_CONTENT == ["json"]


@pytest.mark.parametrize(
    ("name", "value"),
    [("DAILY_SUMMARY_INTERVAL_SECONDS", "0"), ("PAST_DUE_INTERVAL_SECONDS", "soon")],
)
def test_a_bad_schedule_setting_stops_start_up_with_its_name(tmp_path, name, value):
    code, error = settings_with(tmp_path, DEBUG="true", **{name: value})
    assert code != 0
    assert "ImproperlyConfigured" in error and name in error


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_four_runs_at_once_mark_each_report_once_with_one_history_row(make_report):
    now = timezone.now()
    reports = [make_report(now=now - timedelta(days=4, minutes=n)) for n in range(40)]
    results, errors = run_at_once(*[reports_mark_past_due] * 4)
    assert errors == []  # a deadlock or a unique violation would land here
    assert sorted(results) == [0, 0, 0, len(reports)]
    assert ReportEvent.objects.filter(kind=Kind.PAST_DUE).count() == len(reports)
    assert not Report.objects.filter(past_due_at__isnull=True).exists()


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_a_resolve_racing_the_job_either_wins_in_time_or_is_recorded_late(make_report, owner):
    reports = [make_report(now=timezone.now() - timedelta(days=4)) for _ in range(20)]

    def resolve_all():
        for report in reports:
            report_resolve(report=report, actor=owner)

    _, errors = run_at_once(resolve_all, reports_mark_past_due)
    assert errors == []
    for report in Report.objects.all():
        resolved = report.events.get(kind=Kind.RESOLVED)
        # The history agrees with the mark: "late" exactly when the job got there first.
        assert resolved.data["late"] is (report.past_due_at is not None)
        assert report.events.filter(kind=Kind.PAST_DUE).count() == int(report.is_past_due)
