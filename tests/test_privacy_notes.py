"""Notes are private, replies are public (DESIGN.md): the team's notes, and who wrote them, never
reach the reporter (status page, any e-mail to them, the API); a reply reaches the reporter
there and is shown to the team in the panel, and nowhere else."""

import pytest
from django.core import mail
from django.urls import reverse

from reports.models import Category, OutboundEmail
from reports.outbox import email_deliver
from reports.services import (
    Dismissal,
    report_dismiss,
    report_notes_edit,
    report_reopen,
    report_reply,
    report_resolve,
)
from tests.tickets.api_client import api_get
from tickets.services import report_information_add

pytestmark = pytest.mark.django_db
NOTE = "Internal 8JW: refund abuser, see ticket 4411"
REPLY = "Public 3PX: we refunded your order."
REPORTER = "reporter@example.net"


@pytest.fixture
def conversation(make_report, owner, teammate):
    """A payment report through everything #13 adds, notes written at every step."""
    report = make_report(Category.PAYMENT, contact_email=REPORTER, reporter_language="es")
    report_notes_edit(report=report, actor=owner, notes=NOTE)
    report.refresh_from_db()
    report_information_add(report=report, text="It was order 77.")
    report_reply(report=report, actor=teammate, text=REPLY)
    report.refresh_from_db()
    report = report_dismiss(
        report=report,
        actor=owner,
        dismissal=Dismissal("other", text="Order cancelled by the shop."),
        notes=f"{NOTE} (dismissing)",
        reply="Sorry, the order was cancelled.",
    )
    report = report_reopen(report=report, actor=teammate, notes=f"{NOTE} (reopened)")
    report = report_resolve(report=report, actor=teammate, notes=f"{NOTE} (resolved)")
    for email in OutboundEmail.objects.filter(sent_at__isnull=True):
        email_deliver(email_id=email.pk)
    return report


def private_words(owner, teammate) -> list[str]:
    return ["8JW", "refund abuser", owner.email, teammate.email, "owner@", "teammate@"]


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_status_page_shows_replies_and_no_note_nor_its_author(
    client, conversation, owner, teammate, language
):
    client.cookies["django_language"] = language
    url = reverse("tickets:report_status", args=["acme", conversation.report_id])
    page = client.get(url, {"key": conversation.access_key}).content.decode()
    assert REPLY in page and "Order cancelled by the shop." in page
    for word in private_words(owner, teammate):
        assert word not in page


def test_no_email_to_the_reporter_holds_a_note_or_its_author(conversation, owner, teammate):
    to_reporter = [m for m in mail.outbox if m.to == [REPORTER]]
    # The reply, the decision (with its reply), the reopen and the second decision.
    assert len(to_reporter) == 4
    for message in to_reporter:
        text = message.subject + message.body + "".join(a[0] for a in message.alternatives)
        for word in private_words(owner, teammate):
            assert word not in text
    assert any(REPLY in m.body for m in to_reporter)


def test_the_api_holds_replies_and_no_note_nor_its_author(
    client, mini_app, conversation, owner, teammate
):
    raw = api_get(client, mini_app, conversation.report_id).content.decode()
    assert REPLY in raw
    for word in private_words(owner, teammate):
        assert word not in raw


def test_replies_are_shown_to_the_team_only_in_the_panel(client, conversation, owner):
    client.force_login(owner)
    panel = reverse("reports:report_detail", args=["acme", conversation.report_id])
    assert REPLY in client.get(panel).content.decode()
    listing = client.get(reverse("reports:report_list", args=["acme"])).content.decode()
    export = client.get(reverse("reports:reports_export", args=["acme"]))
    csv = b"".join(export.streaming_content).decode()
    assert REPLY not in listing and REPLY not in csv
    to_team = [m for m in mail.outbox if m.to != [REPORTER]]
    assert all(REPLY not in m.body for m in to_team)


def test_answer_due_by_shows_only_while_pending(client, make_report, owner):
    report = make_report()
    url = reverse("tickets:report_status", args=["acme", report.report_id])
    assert "Answer due by" in client.get(url, {"key": report.access_key}).content.decode()
    report = report_resolve(report=report, actor=owner)
    assert "Answer due by" not in client.get(url, {"key": report.access_key}).content.decode()
