"""A double-click's two requests really at once: one report, one confirmation e-mail."""

import secrets

import pytest

from reports.models import Category, OutboundEmail, Report
from reports.services import ReportInput
from tests.conftest import on_postgres, run_at_once
from tests.factories import issue_type
from tickets.services import ticket_submit


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_submissions_with_one_token_at_once_file_one_report(mini_app, screenshot, media_root):
    token = secrets.token_urlsafe(24)
    data = ReportInput(
        category=Category.EXPERIENCE,
        issue_type=issue_type("experience.crash"),
        details="Double-clicked",
        contact_email="ana@example.net",
        screenshots=[screenshot],
        submission_key=token,
    )

    def submit():
        outcome = ticket_submit(mini_app=mini_app, data=data)
        return outcome.report.report_id

    results, errors = run_at_once(*[submit] * 4)
    assert errors == []
    assert len(set(results)) == 1
    assert Report.objects.count() == 1
    assert OutboundEmail.objects.count() == 1
    report = Report.objects.get()
    assert report.screenshots.count() == 1
    # The losers' stored files were removed: only the winner's image and thumbnail remain.
    assert len([path for path in media_root.rglob("*") if path.is_file()]) == 2
