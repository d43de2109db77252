"""Hostile values, stored as given, are shown inert everywhere they appear: every console page
(list, HTMX fragment, panel), the reporter's status and appeal pages, the appeals queue and
panel, the admin, every e-mail (HTML part escaped, text part literal, Subject one line) and the
CSV export (formula cells neutralised, everything else byte for byte)."""

import csv
import email
import io
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st

from appeals.services import appeal_submit, appeal_uphold
from reports.models import Category, OutboundEmail, Report
from reports.outbox import email_deliver
from reports.reminders import reminders_past_due_send
from reports.services import report_notes_edit, report_resolve
from tickets.services import report_confirmation_email_enqueue, report_status_link_send

from .checks import body
from .strategies import RLO, SCRIPT, hostile_settings, hostile_text

pytestmark = pytest.mark.django_db

IMG = '"><img src=x onerror=alert(1)>'
# Markup, template syntax, a bidi override and an astral emoji; no newline, so the escaped
# value appears verbatim whatever filter (linebreaksbr) shows it.
CORE = f"{SCRIPT}{IMG}{{{{ request.user }}}}{{% debug %}}{RLO}gnp.exe \U0001f600"
VALUES = {
    "details": "=1+2 " + CORE,
    "notes": "+notes " + CORE,
    "order_id": "@ORD" + SCRIPT + RLO,
    "open_id": "-oid" + SCRIPT + RLO + "\U0001f600",
    "contact_email": '"<script>alert(1)</script>"@example.com',
    "reason": "\tMy reason " + CORE,
    "reply": "Our reply " + CORE,
}
# The admin refuses line breaks and bidi controls in a name (test_admin_refuses_...); one
# stored some other way (a shell, a fixture) still never splits an e-mail header.
APP_NAME = f"Acme {SCRIPT}\r\nBcc: victim@evil.example"
RAW_MARKUP = (SCRIPT, "<img src=x onerror=alert(1)>")
CSV_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# Where text cannot change the direction of anything around it.
NOT_RENDERED_AS_TEXT = {"title", "textarea", "script", "style", "option"}


class _BidiAudit(HTMLParser):
    """Finds text holding a bidi override whose innermost element does not isolate it."""

    VOID = {"br", "img", "input", "meta", "link", "hr", "col", "source", "wbr", "area", "base"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, dict]] = []
        self.leaks: list[str] = []
        self.seen = 0

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data):
        if RLO not in data or not self.stack:
            return
        tag, attrs = self.stack[-1]
        if tag in NOT_RENDERED_AS_TEXT:
            return
        self.seen += 1
        if tag != "bdi" and "dir" not in attrs:
            self.leaks.append(f"<{tag} {attrs}>{data[:60]!r}")


def assert_inert(response, *shown: str) -> str:
    """No raw markup from the values; each value in `shown` is on the page, escaped; every bidi
    override sits in an element that isolates it."""
    assert response.status_code == 200, response.status_code
    page = body(response)
    for raw in RAW_MARKUP:
        assert raw not in page, f"unescaped: {raw}"
    for value in shown:
        assert escape(value) in page, f"not shown (escaped): {value[:40]!r}"
    audit = _BidiAudit()
    audit.feed(page)
    assert not audit.leaks, audit.leaks
    if any(RLO in value for value in shown):
        assert audit.seen, "the audit found no bidi override to check"
    return page


@pytest.fixture
def world(mini_app, make_report, owner):
    mini_app.name = APP_NAME
    mini_app.save()
    payment = make_report(
        Category.PAYMENT,
        details=VALUES["details"],
        order_id=VALUES["order_id"],
        open_id=VALUES["open_id"],
        contact_email=VALUES["contact_email"],
    )
    report_confirmation_email_enqueue(report=payment)
    report_status_link_send(
        mini_app=mini_app, report_id=payment.report_id, email=VALUES["contact_email"]
    )
    payment = report_resolve(report=payment, actor=owner, notes=VALUES["notes"])
    appeal = appeal_submit(
        report=payment, contact_email=VALUES["contact_email"], reason=VALUES["reason"]
    )
    appeal = appeal_uphold(appeal=appeal, actor=owner, reply=VALUES["reply"])
    pending = make_report(details=VALUES["details"], open_id=VALUES["open_id"])
    pending = report_notes_edit(
        report=pending, actor=owner, notes=VALUES["notes"], expected_version=pending.version
    )
    # The past-due digest names the mini app (subject, text and HTML).
    now = timezone.now()
    Report.objects.filter(pk=pending.pk).update(past_due_at=now - timedelta(minutes=1))
    reminders_past_due_send(now=now)
    return {"payment": Report.objects.get(pk=payment.pk), "pending": pending, "appeal": appeal}


def test_the_values_are_stored_exactly_as_given(world):
    report = world["payment"]
    for field in ("details", "order_id", "open_id", "contact_email", "notes"):
        assert getattr(report, field) == VALUES[field]
    assert world["appeal"].reason == VALUES["reason"]
    assert world["appeal"].reply == VALUES["reply"]


def test_console_list_page_and_fragment(client, owner, world):
    client.force_login(owner)
    shown = (VALUES["order_id"], VALUES["open_id"], VALUES["details"][:40])
    assert_inert(client.get("/console/acme/reports/"), *shown)
    assert_inert(client.get("/console/acme/reports/", HTTP_HX_REQUEST="true"), *shown)


@pytest.mark.parametrize("which", ["payment", "pending"])
@pytest.mark.parametrize("htmx", [False, True])
def test_handling_panel(client, owner, world, which, htmx):
    client.force_login(owner)
    report = world[which]
    url = f"/console/acme/reports/{report.report_id}/"
    response = client.get(url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
    shown = [VALUES["details"], VALUES["open_id"], VALUES["notes"]]
    if which == "payment":
        shown += [VALUES["order_id"], VALUES["contact_email"]]
    page = assert_inert(response, *shown)
    # The notes editor holds them too, escaped inside the textarea.
    assert f">\n{escape(VALUES['notes'])}</textarea>" in page


def test_reporter_status_and_appeal_pages(client, world):
    report = world["payment"]
    key = f"?key={report.access_key}"
    status = assert_inert(
        client.get(f"/help/acme/tickets/{report.report_id}/{key}"),
        VALUES["order_id"],
        VALUES["reply"],
    )
    assert escape(VALUES["notes"]) not in status  # internal notes stay internal
    assert_inert(
        client.get(f"/help/acme/tickets/{report.report_id}/appeal/{key}"),
        VALUES["order_id"],
        VALUES["reply"],
    )
    assert_inert(client.get("/help/acme/"), APP_NAME)


def test_appeals_queue_and_panel(client, owner, world):
    client.force_login(owner)
    appeal = world["appeal"]
    assert_inert(client.get("/console/acme/appeals/"), VALUES["order_id"])
    assert_inert(
        client.get(f"/console/acme/appeals/{appeal.pk}/"),
        VALUES["contact_email"],
        VALUES["reason"].strip(),
        VALUES["order_id"],
        VALUES["open_id"],
        VALUES["details"],
        VALUES["notes"],
        VALUES["reply"],
    )


@pytest.fixture
def staff_client(client, db):
    staff = get_user_model().objects.create_superuser(
        username="root@reportdesk.example", email="root@reportdesk.example", password="x" * 20
    )
    client.force_login(staff)
    return client


def test_admin_pages(staff_client, world):
    report, appeal = world["payment"], world["appeal"]
    pages = {
        reverse("admin:reports_report_changelist"): [VALUES["order_id"], VALUES["open_id"]],
        reverse("admin:reports_report_change", args=[report.pk]): [
            VALUES["order_id"],
            VALUES["open_id"],
            VALUES["contact_email"],
        ],
        reverse("admin:appeals_appeal_changelist"): [],
        reverse("admin:appeals_appeal_change", args=[appeal.pk]): [VALUES["contact_email"]],
        reverse("admin:reports_miniapp_changelist"): [],
        reverse("admin:reports_outboundemail_changelist"): [],
    }
    for url, shown in pages.items():
        response = staff_client.get(url)
        assert response.status_code == 200, url
        page = body(response)
        for raw in RAW_MARKUP:
            assert raw not in page, (url, raw)
        for value in shown:
            assert escape(value) in page, (url, value[:30])
    # Admin templates are Django's own: they escape, but do not isolate bidi text (left alone).


def test_emails_escape_html_keep_text_literal_and_keep_subjects_on_one_line(world):
    for email_id in OutboundEmail.objects.values_list("pk", flat=True):
        email_deliver(email_id=email_id)
    html_parts = []
    for message in mail.outbox:
        assert "\r" not in message.subject and "\n" not in message.subject, message.subject
        assert "&lt;" not in message.subject and "&amp;" not in message.subject, message.subject
        assert "&lt;" not in message.body and "&#x27;" not in message.body, message.subject
        for content, mimetype in getattr(message, "alternatives", []):
            assert mimetype == "text/html"
            for raw in RAW_MARKUP:
                assert raw not in content, (message.subject, raw)
            html_parts.append(content)
        message.message()  # the headers really serialise (no BadHeaderError)
    assert any(escape(SCRIPT) in html for html in html_parts)  # the app's name, escaped
    bodies = "\n".join(message.body for message in mail.outbox)
    assert VALUES["reason"].strip() in bodies  # the reporter's own words, literally
    assert VALUES["reply"] in bodies
    for message in mail.outbox:
        # The name's "Bcc: victim" stays inside the Subject: no recipient, no header of its own
        # (EmailMessage.message() never writes a Bcc header, so the serialised bytes are read).
        assert "victim@evil.example" not in message.recipients(), message.subject
        headers = email.message_from_bytes(message.message().as_bytes())
        assert headers.get_all("Bcc") is None, message.subject
    # Confirmation, status link, appeal received, new appeal, outcome, past-due digest.
    assert len(mail.outbox) >= 6, [m.subject for m in mail.outbox]


def _csv_rows(client) -> list[dict]:
    response = client.get("/console/acme/reports/export.csv")
    assert response.status_code == 200
    text = body(response)
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:], newline="")))


def csv_cell(value: str) -> str:
    return f"'{value}" if value.startswith(CSV_PREFIXES) else value


def test_csv_export_neutralises_formulas_and_keeps_the_rest(client, owner, world):
    client.force_login(owner)
    rows = {row["Report ID"]: row for row in _csv_rows(client)}
    row = rows[world["payment"].report_id]
    assert row["Report details"] == "'" + VALUES["details"]
    assert row["Notes"] == "'" + VALUES["notes"]
    assert row["Order ID"] == "'" + VALUES["order_id"]
    assert row["Open ID"] == "'" + VALUES["open_id"]
    assert row["Contact e-mail"] == VALUES["contact_email"]


@hostile_settings
@given(
    details=hostile_text.filter(lambda t: "\x00" not in t and t.strip()),
    notes=hostile_text.filter(lambda t: "\x00" not in t),
    order_id=hostile_text.filter(lambda t: "\x00" not in t and t.strip()).map(lambda t: t[:64]),
    open_id=hostile_text.filter(lambda t: "\x00" not in t).map(lambda t: t[:128]),
)
def test_csv_cells_round_trip(client, owner, make_report, details, notes, order_id, open_id):
    """Any stored text comes back from the export cell for cell (CR/LF included), prefixed
    with ' only when a spreadsheet would read it as a formula."""
    client.force_login(owner)
    Report.objects.all().delete()
    report = make_report(Category.PAYMENT, details=details, order_id=order_id, open_id=open_id)
    report_resolve(report=report, actor=owner, notes=notes)

    (row,) = _csv_rows(client)

    assert row["Report details"] == csv_cell(details)
    assert row["Order ID"] == csv_cell(order_id)
    assert row["Open ID"] == csv_cell(open_id)
    assert row["Notes"] == csv_cell(notes)
    for cell in row.values():
        assert not cell.startswith(CSV_PREFIXES)


@hostile_settings
@given(
    details=hostile_text.filter(lambda t: "\x00" not in t and t.strip()),
    notes=hostile_text.filter(lambda t: "\x00" not in t and t.strip()),
    htmx=st.booleans(),
)
def test_panel_shows_any_text_escaped(client, owner, make_report, details, notes, htmx):
    client.force_login(owner)
    report = make_report(details=details)
    report = report_notes_edit(report=report, actor=owner, notes=notes, expected_version=1)

    response = client.get(
        f"/console/acme/reports/{report.report_id}/",
        **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
    )

    page = assert_inert(response, details, notes)
    if "<" in details:
        assert f">{details}<" not in page


@pytest.mark.parametrize(
    ("name", "accepted"),
    [
        (f"Acme {SCRIPT}", True),  # shown escaped everywhere (above)
        ("\u0645\u062a\u062c\u0631 Acme", True),  # right-to-left script is fine
        (f"Acme {RLO}pohS", False),
        ("Acme\r\nBcc: victim@evil.example", False),
        ("Acme\u2066Shop", False),
    ],
)
def test_admin_refuses_names_that_could_disguise_text(staff_client, mini_app, name, accepted):
    url = reverse("admin:reports_miniapp_change", args=[mini_app.pk])
    form = staff_client.get(url).context["adminform"].form
    data = {key: value for key, value in form.initial.items() if value is not None}
    data.update(
        {
            "name": name,
            "created_at_0": mini_app.created_at.strftime("%Y-%m-%d"),
            "created_at_1": mini_app.created_at.strftime("%H:%M:%S"),
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    data.pop("created_at", None)

    response = staff_client.post(url, data)

    mini_app.refresh_from_db()
    if accepted:
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert mini_app.name == name
    else:
        assert response.status_code == 200
        assert "text-direction controls" in body(response)
        assert mini_app.name == "Acme Shop"
