"""The report form: each category's fields, validation messages, and what gets stored."""

import secrets

import pytest
from django.core import mail
from django.test import Client

from reports.models import OutboundEmail, Report, ReportEvent, Screenshot
from reports.outbox import email_deliver
from tests.factories import png_bytes, upload

pytestmark = pytest.mark.django_db


def form_url(category, app="acme"):
    return f"/help/{app}/new/{category}/"


def post(client, category, data, files=(), app="acme", **extra):
    payload = {"submission_key": secrets.token_urlsafe(24), **data}
    if files:
        payload["screenshots"] = list(files)
    return client.post(form_url(category, app), payload, **extra)


def test_help_center_offers_the_three_categories_and_the_guide(client, mini_app):
    page = client.get("/help/acme/").content.decode()
    assert "Experience and usage" in page
    assert "Payment and orders" in page
    assert "Community Guidelines violation" in page
    assert "How to write a good report" in page
    assert 'href="/help/acme/new/payment/"' in page
    assert "Check a report" in page


def test_unknown_app_and_unknown_category_are_404(client, mini_app):
    assert client.get("/help/nope/").status_code == 404
    assert client.get("/help/acme/new/nope/").status_code == 404


def test_experience_form_has_exactly_its_fields(client, mini_app):
    page = client.get(form_url("experience")).content.decode()
    assert 'name="details"' in page
    assert 'name="order_id"' not in page
    assert 'name="screenshots"' in page
    assert 'name="contact_email"' in page
    assert "App crashes or freezes" in page
    assert 'type="radio"' in page
    assert "Submit report" in page


def test_community_form_asks_no_details(client, mini_app):
    page = client.get(form_url("community")).content.decode()
    assert 'name="details"' not in page
    assert 'name="order_id"' not in page
    assert "Harassment or bullying" in page


def test_experience_report_is_filed_and_confirmed(
    client, mini_app, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = post(
            client,
            "experience",
            {
                "issue_type": "experience.crash",
                "details": "The app closes when I open my cart.",
                "contact_email": "Ana@Example.net",
            },
            files=[upload(png_bytes())],
        )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == (
        f"/help/acme/tickets/{report.report_id}/?key={report.access_key}"
    )
    assert report.details == "The app closes when I open my cart."
    assert report.contact_email == "ana@example.net"
    assert report.open_id == ""
    assert report.source == Report.Source.HELP_CENTER
    assert report.screenshots.count() == 1
    page = client.get(response["Location"]).content.decode()
    assert "Report received" in page
    assert report.report_id in page
    assert "You will hear back within 72 hours" in page
    assert "Keep this link" in page
    # The e-mail is an outbox row, queued for the worker; deliver it as the worker would.
    email = OutboundEmail.objects.get()
    assert email_deliver(email_id=email.pk)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.net"]
    assert report.report_id in mail.outbox[0].subject
    assert response["Location"] in mail.outbox[0].body


def test_payment_report_needs_an_order_id(client, mini_app):
    response = post(client, "payment", {"issue_type": "payment.refund", "details": "Refund me"})
    assert response.status_code == 200
    assert "Enter the order ID of the payment" in response.content.decode()
    assert Report.objects.count() == 0
    response = post(
        client,
        "payment",
        {"issue_type": "payment.refund", "details": "Refund me", "order_id": "ORD-991"},
    )
    assert response.status_code == 302
    assert Report.objects.get().order_id == "ORD-991"


def test_community_report_needs_a_screenshot_and_stores_no_details(client, mini_app):
    response = post(client, "community", {"issue_type": "community.spam", "details": "ignored"})
    assert "Attach at least one screenshot that shows the violation." in response.content.decode()
    assert Report.objects.count() == 0
    response = post(
        client,
        "community",
        {"issue_type": "community.spam", "details": "ignored"},
        files=[upload(png_bytes()), upload(png_bytes(color=(0, 0, 255)))],
    )
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.details == ""
    assert list(report.screenshots.values_list("position", flat=True)) == [0, 1]


def test_errors_name_each_problem_and_keep_what_was_typed(client, mini_app):
    response = post(
        client,
        "payment",
        {
            "issue_type": "payment.refund",
            "details": "",
            "order_id": "ORD-5",
            "contact_email": "not-an-address",
        },
        files=[upload(png_bytes())],
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in page
    assert "Describe what happened, so the developer can look into it." in page
    assert "Enter a valid e-mail address, like name@example.com." in page
    assert 'value="ORD-5"' in page
    assert 'value="not-an-address"' in page
    assert 'value="payment.refund"' in page and "checked" in page
    assert "please attach your screenshots again" in page
    assert Report.objects.count() == 0


def test_missing_issue_type_and_foreign_issue_type_are_refused(client, mini_app):
    response = post(client, "experience", {"details": "x"})
    assert "Choose the issue type that best describes the problem." in response.content.decode()
    response = post(client, "experience", {"issue_type": "payment.refund", "details": "x"})
    assert "Choose one of the issue types listed." in response.content.decode()
    assert Report.objects.count() == 0


def test_too_long_details_say_how_long(client, mini_app):
    response = post(client, "experience", {"issue_type": "experience.crash", "details": "a" * 5001})
    assert "Keep the description to 5000 characters or fewer (it has 5001)." in (
        response.content.decode()
    )


def test_more_than_three_screenshots_are_refused(client, mini_app):
    response = post(
        client,
        "experience",
        {"issue_type": "experience.crash", "details": "x"},
        files=[upload(png_bytes()) for _ in range(4)],
    )
    assert "Attach at most 3 screenshots (you attached 4)." in response.content.decode()
    assert Report.objects.count() == 0
    assert Screenshot.objects.count() == 0


def test_an_open_id_typed_into_the_form_is_ignored(client, mini_app):
    post(
        client,
        "experience",
        {"issue_type": "experience.crash", "details": "x", "open_id": "admin"},
    )
    assert Report.objects.get().open_id == ""


def test_the_form_is_csrf_protected(mini_app):
    client = Client(enforce_csrf_checks=True)
    response = post(client, "experience", {"issue_type": "experience.crash", "details": "x"})
    assert response.status_code == 403
    assert Report.objects.count() == 0


def test_the_received_event_is_public_history(client, mini_app):
    response = post(client, "experience", {"issue_type": "experience.crash", "details": "x"})
    report = Report.objects.get()
    assert list(report.events.values_list("kind", flat=True)) == [ReportEvent.Kind.SUBMITTED]
    page = client.get(response["Location"]).content.decode()
    assert "History" in page and "Report received" in page


def test_no_email_given_queues_no_email(client, mini_app):
    post(client, "experience", {"issue_type": "experience.crash", "details": "x"})
    assert OutboundEmail.objects.count() == 0


def test_report_received_shows_once_and_costs_no_session(client, mini_app):
    from django.contrib.sessions.models import Session

    response = post(client, "experience", {"issue_type": "experience.crash", "details": "x"})
    first = client.get(response["Location"]).content.decode()
    again = client.get(response["Location"]).content.decode()
    report = Report.objects.get()
    assert "<h1>Report received</h1>" in first
    assert f"<h1>Report {report.report_id}</h1>" in again
    assert Session.objects.count() == 0
