"""One time format everywhere: the console's list and panel, the status page, and e-mails, all
in the reader's timezone, so the same instant reads the same wherever a person meets it."""

import re
import secrets
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from reports.models import OutboundEmail, Report
from reports.outbox import email_deliver
from tickets.services import report_confirmation_email_enqueue

pytestmark = pytest.mark.django_db

BERLIN = "Europe/Berlin"
# 18:44 UTC on 1 December is 19:44 in Berlin (CET, UTC+1); due 72 hours later.
FILED = datetime(2026, 12, 1, 18, 44, tzinfo=UTC)
FILED_IN_BERLIN = "1 Dec 2026, 19:44"
DUE_IN_BERLIN = "4 Dec 2026, 19:44"


def shown_times(html: str) -> list[str]:
    return re.findall(r"<time datetime=\"[^\"]+\" title=\"[^\"]+\">([^<]+)</time>", html)


def delivered_email() -> mail.EmailMultiAlternatives:
    assert email_deliver(email_id=OutboundEmail.objects.get().pk)
    return mail.outbox[-1]


def test_a_berlin_reporter_is_e_mailed_berlin_clock_times(client, mini_app):
    client.cookies["reportdesk_tz"] = BERLIN
    response = client.post(
        "/help/acme/new/experience/",
        {
            "submission_key": secrets.token_urlsafe(24),
            "issue_type": "experience.crash",
            "details": "The app closes when I open my cart.",
            "contact_email": "ana@example.net",
        },
    )
    assert response.status_code == 302
    report = Report.objects.get()
    berlin = report.created_at.astimezone(ZoneInfo(BERLIN))
    expected = f"{berlin.day} {berlin:%b %Y, %H:%M} ({BERLIN})"
    message = delivered_email()
    assert expected in message.body
    assert expected in message.alternatives[0][0]


def test_the_confirmation_names_the_reporters_clock_time_not_utc(make_report):
    report = make_report(now=FILED, contact_email="ana@example.net")
    report_confirmation_email_enqueue(report=report, tz_name=BERLIN)
    message = delivered_email()
    assert f"Submitted: {FILED_IN_BERLIN} ({BERLIN})" in message.body
    assert f"by {DUE_IN_BERLIN} ({BERLIN})" in message.body
    assert "18:44" not in message.body and "6:44" not in message.body


def test_the_same_instant_reads_the_same_in_list_panel_status_page_and_e_mail(
    client, owner, make_report
):
    report = make_report(now=FILED, contact_email="ana@example.net")
    report_confirmation_email_enqueue(report=report, tz_name=BERLIN)
    client.cookies["reportdesk_tz"] = BERLIN
    client.force_login(owner)
    listed = shown_times(client.get("/console/acme/reports/").content.decode())
    panel = shown_times(client.get(f"/console/acme/reports/{report.report_id}/").content.decode())
    status = client.get(f"/help/acme/tickets/{report.report_id}/?key={report.access_key}")
    on_status_page = shown_times(status.content.decode())
    assert listed == [FILED_IN_BERLIN]
    assert panel[:2] == [FILED_IN_BERLIN, DUE_IN_BERLIN]
    assert on_status_page[:2] == [FILED_IN_BERLIN, DUE_IN_BERLIN]
    message = delivered_email()
    assert FILED_IN_BERLIN in message.body and FILED_IN_BERLIN in message.alternatives[0][0]


def test_every_time_carries_its_exact_utc_instant(client, owner, make_report):
    make_report(now=FILED)
    client.cookies["reportdesk_tz"] = BERLIN
    client.force_login(owner)
    html = client.get("/console/acme/reports/").content.decode()
    exact = 'datetime="2026-12-01T18:44:00+00:00" title="2026-12-01 18:44:00 UTC"'
    assert f"<time {exact}>{FILED_IN_BERLIN}</time>" in html
