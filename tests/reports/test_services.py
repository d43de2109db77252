"""The state changes of a report and the history rows each one writes."""

import functools
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.db import IntegrityError
from django.utils import timezone

from reports.models import Category, Report, ReportEvent, Screenshot, Status
from reports.services import (
    Dismissal,
    ReportConflict,
    ReportInput,
    ReportRuleError,
    report_dismiss,
    report_notes_edit,
    report_reopen,
    report_resolve,
    report_submit,
    reports_mark_past_due,
)
from tests.conftest import on_postgres, run_at_once
from tests.factories import issue_type

pytestmark = pytest.mark.django_db
Kind = ReportEvent.Kind


def kinds(report: Report) -> list[str]:
    return list(report.events.values_list("kind", flat=True))


def test_submit_stores_the_report_with_a_72_hour_deadline_and_a_received_event(make_report):
    report = make_report(Category.PAYMENT, order_id="ORD-77", contact_email="a@b.example")
    assert report.status == Status.PENDING
    assert report.due_at - report.created_at == timedelta(hours=72)
    assert len(report.report_id) == 10
    assert report.access_key
    assert kinds(report) == [Kind.SUBMITTED]


def test_report_ids_use_only_unambiguous_characters(make_report):
    ids = {make_report().report_id for _ in range(20)}
    assert len(ids) == 20
    assert not set("".join(ids)) & set("01OILU")


def test_submit_keeps_only_the_fields_of_the_category(make_report):
    report = make_report(Category.EXPERIENCE, order_id="ORD-9")
    assert report.order_id == ""


def test_submit_refuses_an_issue_type_of_another_category(mini_app):
    with pytest.raises(ReportRuleError):
        report_submit(
            mini_app=mini_app,
            data=ReportInput(
                category=Category.EXPERIENCE,
                issue_type=issue_type("payment.refund"),
                details="x",
            ),
        )
    assert Report.objects.count() == 0


def test_the_same_submission_key_returns_the_first_report(mini_app):
    data = ReportInput(
        category=Category.EXPERIENCE,
        issue_type=issue_type("experience.slow"),
        details="Slow.",
        submission_key="tok-1",
    )
    first = report_submit(mini_app=mini_app, data=data)
    again = report_submit(mini_app=mini_app, data=data)
    assert again.pk == first.pk
    assert Report.objects.count() == 1


def test_screenshots_are_stored_with_the_report(make_report, screenshot):
    report = make_report(Category.COMMUNITY, screenshots=[screenshot, screenshot])
    shots = list(report.screenshots.all())
    assert [shot.position for shot in shots] == [0, 1]
    for shot in shots:
        assert default_storage.exists(shot.image.name)
        assert default_storage.exists(shot.thumbnail.name)
        assert shot.image.name.startswith("screenshots/")


def test_a_failed_submission_leaves_no_row_and_no_file(mini_app, screenshot, media_root):
    # A payment report without an order ID violates a constraint after the files are written.
    with pytest.raises(IntegrityError):
        report_submit(
            mini_app=mini_app,
            data=ReportInput(
                category=Category.PAYMENT,
                issue_type=issue_type("payment.refund"),
                details="x",
                screenshots=[screenshot],
            ),
        )
    assert Report.objects.count() == 0
    assert Screenshot.objects.count() == 0
    stored = list((media_root / "screenshots").glob("*")) if media_root.exists() else []
    assert stored == []


def test_resolve_records_who_and_when(make_report, owner):
    report = make_report()
    resolved = report_resolve(report=report, actor=owner, notes="Fixed in 3.2.2")
    assert resolved.status == Status.RESOLVED
    assert resolved.handled_by == owner
    assert resolved.handled_at is not None
    assert resolved.notes == "Fixed in 3.2.2"
    assert resolved.version == report.version + 1
    assert kinds(resolved) == [Kind.SUBMITTED, Kind.NOTES_EDITED, Kind.RESOLVED]
    event = resolved.events.get(kind=Kind.RESOLVED)
    assert event.actor == owner


def test_dismiss_without_notes_writes_one_event(make_report, owner):
    dismissed = report_dismiss(
        report=make_report(), actor=owner, dismissal=Dismissal("not_reproducible")
    )
    assert dismissed.status == Status.DISMISSED
    assert kinds(dismissed) == [Kind.SUBMITTED, Kind.DISMISSED]


def test_resolving_a_report_someone_dismissed_says_who(make_report, owner, teammate):
    report = make_report()
    report_dismiss(report=report, actor=teammate, dismissal=Dismissal("not_reproducible"))
    with pytest.raises(ReportConflict) as refused:
        report_resolve(report=report, actor=owner, expected_version=report.version)
    assert "dismissed by teammate@acme.example" in refused.value.message
    assert refused.value.current.status == Status.DISMISSED
    assert Report.objects.get(pk=report.pk).status == Status.DISMISSED


def test_a_stale_notes_save_is_refused_and_nothing_is_overwritten(make_report, owner, teammate):
    report = make_report()
    report_notes_edit(report=report, actor=teammate, notes="Teammate's notes", expected_version=1)
    with pytest.raises(ReportConflict) as refused:
        report_notes_edit(report=report, actor=owner, notes="Mine", expected_version=1)
    assert "changed by someone else" in refused.value.message
    assert refused.value.current.notes == "Teammate's notes"
    assert Report.objects.get(pk=report.pk).notes == "Teammate's notes"


def test_notes_stay_editable_after_handling_and_each_version_is_kept(make_report, owner):
    report = report_resolve(report=make_report(), actor=owner)
    report = report_notes_edit(report=report, actor=owner, notes="First")
    report = report_notes_edit(report=report, actor=owner, notes="Second")
    assert report.status == Status.RESOLVED
    edits = report.events.filter(kind=Kind.NOTES_EDITED)
    assert [event.data["notes"] for event in edits] == ["First", "Second"]


def test_reopen_returns_to_pending_and_keeps_the_deadline(make_report, owner):
    report = make_report()
    resolved = report_resolve(report=report, actor=owner)
    reopened = report_reopen(report=resolved, actor=owner)
    assert reopened.status == Status.PENDING
    assert reopened.handled_at is None and reopened.handled_by is None
    assert reopened.due_at == report.due_at
    assert kinds(reopened)[-1] == Kind.REOPENED


def test_reopen_with_notes_saves_both_in_one_call(make_report, owner):
    resolved = report_resolve(report=make_report(), actor=owner)
    reopened = report_reopen(report=resolved, actor=owner, notes="Came back: still failing")
    reopened.refresh_from_db()
    assert reopened.status == Status.PENDING
    assert reopened.notes == "Came back: still failing"
    assert kinds(reopened)[-2:] == [Kind.REOPENED, Kind.NOTES_EDITED]


def test_a_stale_reopen_with_notes_changes_neither(make_report, owner, teammate):
    resolved = report_resolve(report=make_report(), actor=owner)
    report_notes_edit(report=resolved, actor=teammate, notes="teammate's", expected_version=None)
    with pytest.raises(ReportConflict):
        report_reopen(report=resolved, actor=owner, notes="mine", expected_version=resolved.version)
    resolved.refresh_from_db()
    assert resolved.status == Status.RESOLVED and resolved.notes == "teammate's"


def test_a_pending_report_cannot_be_reopened(make_report, owner):
    with pytest.raises(ReportRuleError):
        report_reopen(report=make_report(), actor=owner)


class TestMarkPastDue:
    def test_marks_only_pending_reports_past_their_deadline(self, make_report, owner):
        now = timezone.now()
        overdue = make_report(now=now - timedelta(hours=73))
        fresh = make_report(now=now - timedelta(hours=71))
        handled_in_time = make_report(now=now - timedelta(hours=80))
        report_resolve(report=handled_in_time, actor=owner)

        assert reports_mark_past_due(now=now) == 1

        overdue.refresh_from_db()
        fresh.refresh_from_db()
        handled_in_time.refresh_from_db()
        assert overdue.past_due_at == now
        assert fresh.past_due_at is None
        assert handled_in_time.past_due_at is None
        assert kinds(overdue) == [Kind.SUBMITTED, Kind.PAST_DUE]

    def test_is_exact_at_the_deadline(self, make_report):
        report = make_report()
        assert reports_mark_past_due(now=report.due_at - timedelta(seconds=1)) == 0
        assert reports_mark_past_due(now=report.due_at) == 1

    def test_a_second_run_marks_nothing_and_writes_no_event(self, make_report):
        now = timezone.now()
        report = make_report(now=now - timedelta(days=4))
        assert reports_mark_past_due(now=now) == 1
        assert reports_mark_past_due(now=now + timedelta(minutes=1)) == 0
        assert report.events.filter(kind=Kind.PAST_DUE).count() == 1

    def test_a_report_handled_late_keeps_its_mark(self, make_report, owner):
        now = timezone.now()
        report = make_report(now=now - timedelta(days=4))
        reports_mark_past_due(now=now)
        resolved = report_resolve(report=Report.objects.get(pk=report.pk), actor=owner)
        assert resolved.is_past_due
        assert resolved.events.get(kind=Kind.RESOLVED).data["late"] is True

    def test_marking_does_not_make_an_open_panel_stale(self, make_report, owner):
        report = make_report(now=timezone.now() - timedelta(days=4))
        reports_mark_past_due()
        report_resolve(report=report, actor=owner, expected_version=report.version)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_mark_each_report_once(make_report):
    now = timezone.now()
    reports = [make_report(now=now - timedelta(days=4)) for _ in range(30)]
    results, errors = run_at_once(*[lambda: reports_mark_past_due(now=timezone.now())] * 2)
    assert errors == []
    assert sum(results) == len(reports)
    assert ReportEvent.objects.filter(kind=Kind.PAST_DUE).count() == len(reports)


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_developers_resolving_at_once_exactly_one_wins(make_report, owner, teammate):
    report = make_report()

    def act(handle, actor):
        return lambda: handle(report=report, actor=actor, expected_version=report.version)

    dismiss = functools.partial(report_dismiss, dismissal=Dismissal("spam"))
    won, lost = run_at_once(act(report_resolve, owner), act(dismiss, teammate))
    assert len(won) == 1
    [conflict] = lost  # the other one is told who got there first
    assert isinstance(conflict, ReportConflict)
    assert won[0].handled_by.get_username() in conflict.message
    assert report.events.filter(kind__in=[Kind.RESOLVED, Kind.DISMISSED]).count() == 1
