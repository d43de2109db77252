"""Replies to the reporter: a public history line, on the status page under the app's name,
e-mailed in the reporter's language and timezone with the status link; never edited."""

from datetime import UTC, datetime

import pytest
from django.core import mail
from django.urls import reverse

from reports.models import Category, OutboundEmail, ReportEvent
from reports.outbox import email_deliver
from reports.roles import RoleRequired
from reports.services import ReportRuleError, report_reply, report_resolve

pytestmark = pytest.mark.django_db
Kind = ReportEvent.Kind
HTMX = {"HX-Request": "true"}


def deliver_all() -> list:
    for email in OutboundEmail.objects.filter(sent_at__isnull=True).order_by("pk"):
        email_deliver(email_id=email.pk)
    return mail.outbox


def status_page(client, report) -> str:
    url = reverse("tickets:report_status", args=[report.mini_app.slug, report.report_id])
    return client.get(url, {"key": report.access_key}).content.decode()


def panel_url(report, name="report_detail") -> str:
    return reverse(f"reports:{name}", args=["acme", report.report_id])


def test_a_reply_is_a_public_history_line_emailed_in_the_reporters_language_and_zone(
    make_report, teammate
):
    report = make_report(
        contact_email="ana@example.net", reporter_language="es", reporter_timezone="Asia/Tokyo"
    )
    at = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)  # 08:30 on 2 Dec in Tokyo
    event = report_reply(
        report=report, actor=teammate, text="  We found the bug; a fix ships Friday.\r\n", now=at
    )
    assert event.kind == Kind.REPLIED and event.is_public
    assert event.data == {"text": "We found the bug; a fix ships Friday."}
    [email] = deliver_all()
    assert email.to == ["ana@example.net"]
    assert email.subject == f"Acme Shop respondió sobre tu reporte {report.report_id}"
    assert "El equipo de Acme Shop respondió" in email.body
    assert "We found the bug; a fix ships Friday." in email.body
    assert "2 Dic 2026, 08:30 (Asia/Tokyo)" in email.body
    assert f"/help/acme/tickets/{report.report_id}/?key={report.access_key}" in email.body
    assert teammate.email not in email.body + email.subject


def test_an_english_reporter_without_a_known_zone_reads_utc(make_report, owner):
    report = make_report(contact_email="bo@example.net", reporter_language="en")
    at = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    report_reply(report=report, actor=owner, text="Thanks, looking into it.", now=at)
    [email] = deliver_all()
    assert email.subject == f"Acme Shop replied about your report {report.report_id}"
    assert "1 Dec 2026, 23:30 (UTC)" in email.body


def test_a_reply_to_a_reporter_without_an_address_is_only_on_the_status_page(
    client, make_report, owner
):
    report = make_report()
    report_reply(report=report, actor=owner, text="Please update the app.")
    assert not OutboundEmail.objects.exists()
    page = status_page(client, report)
    assert "Acme Shop replied" in page and "Please update the app." in page
    assert owner.email not in page


@pytest.mark.parametrize("text", ["", "   \n ", "x" * 5001])
def test_an_empty_or_too_long_reply_is_refused_and_nothing_is_kept(make_report, owner, text):
    report = make_report(contact_email="bo@example.net")
    with pytest.raises(ReportRuleError):
        report_reply(report=report, actor=owner, text=text)
    assert not report.events.filter(kind=Kind.REPLIED).exists()
    assert not OutboundEmail.objects.exists()


def test_a_viewer_cannot_reply(make_report, viewer):
    report = make_report(contact_email="bo@example.net")
    with pytest.raises(RoleRequired):
        report_reply(report=report, actor=viewer, text="Hello")
    assert not report.events.filter(kind=Kind.REPLIED).exists()
    assert not OutboundEmail.objects.exists()


def test_the_panel_sends_a_reply_and_says_replies_cannot_be_edited(client, teammate, make_report):
    report = make_report(contact_email="bo@example.net")
    client.force_login(teammate)
    page = client.get(panel_url(report)).content.decode()
    assert "Reply to reporter" in page and "Send reply" in page
    assert "cannot be edited once sent" in page
    response = client.post(
        panel_url(report, "report_reply"),
        {"version": report.version, "notes": "", "reply": "Could you send a screenshot?"},
        headers=HTMX,
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Reply sent to the reporter." in body
    assert "Could you send a screenshot?" in body  # in the history, marked as sent
    assert "sent to the reporter" in body
    [event] = report.events.filter(kind=Kind.REPLIED)
    assert event.actor == teammate
    assert OutboundEmail.objects.count() == 1


def test_an_empty_reply_from_the_panel_is_refused_with_a_message(client, owner, make_report):
    report = make_report(contact_email="bo@example.net")
    client.force_login(owner)
    response = client.post(
        panel_url(report, "report_reply"), {"version": report.version, "reply": " "}, headers=HTMX
    )
    assert response.status_code == 422
    assert "Write the reply before sending it." in response.content.decode()
    assert not report.events.filter(kind=Kind.REPLIED).exists()


def test_notes_typed_beside_a_reply_stay_in_the_editor_unsaved(client, owner, make_report):
    report = make_report()
    client.force_login(owner)
    response = client.post(
        panel_url(report, "report_reply"),
        {"version": report.version, "notes": "Half-written note", "reply": "Hello"},
        headers=HTMX,
    )
    body = response.content.decode()
    assert "Your notes (not saved yet)" in body and "Half-written note" in body
    report.refresh_from_db()
    assert report.notes == ""


def test_resolve_with_a_reply_sends_one_decision_email_holding_the_reply(
    client, make_report, owner
):
    report = make_report(contact_email="bo@example.net", reporter_language="en")
    report = report_resolve(report=report, actor=owner, reply="Refund sent today.")
    assert [e.kind for e in report.events.order_by("id")] == [
        Kind.SUBMITTED,
        Kind.RESOLVED,
        Kind.REPLIED,
    ]
    [email] = deliver_all()
    assert email.subject == f"Your report {report.report_id} was resolved (Acme Shop)"
    assert "Refund sent today." in email.body
    page = status_page(client, report)
    assert "Acme Shop replied" in page and "Refund sent today." in page


def test_the_status_page_is_a_timeline_newest_first(client, make_report, owner):
    report = make_report()
    report_reply(report=report, actor=owner, text="First answer")
    report_reply(report=report, actor=owner, text="Second answer")
    page = status_page(client, report)
    assert page.index("Second answer") < page.index("First answer") < page.index("Report received")


def test_a_reply_on_a_spanish_status_page(client, make_report, owner):
    report = make_report(Category.PAYMENT)
    report_reply(report=report, actor=owner, text="Hola")
    client.cookies["django_language"] = "es"
    page = status_page(client, report)
    assert "Acme Shop respondió" in page
