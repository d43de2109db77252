"""The reporter's status page and screenshots: the right key shows them, anything else is 404."""

from datetime import timedelta

import pytest
from django.utils import timezone

from config import celery_app
from reports.models import Category
from reports.services import Dismissal, report_dismiss, report_notes_edit, reports_mark_past_due

pytestmark = pytest.mark.django_db


def status_url(report, key=None, app="acme"):
    key = report.access_key if key is None else key
    return f"/help/{app}/tickets/{report.report_id}/?key={key}"


def test_the_status_page_and_the_appeal_form_read_the_report_id_in_any_case(
    client, make_report, owner
):
    # A reporter reading the ID aloud or typing it by hand may type it in lower case.
    report = report_dismiss(
        report=make_report(category="payment"), actor=owner, dismissal=Dismissal("not_reproducible")
    )
    typed = report.report_id.lower()
    status = client.get(f"/help/acme/tickets/{typed}/?key={report.access_key}")
    appeal = client.get(f"/help/acme/tickets/{typed}/appeal/?key={report.access_key}")
    assert status.status_code == 200
    assert report.report_id in status.content.decode()
    assert appeal.status_code == 200
    assert client.get(f"/help/acme/tickets/{typed}/?key=wrong").status_code == 404


def test_right_key_shows_status_due_time_and_public_history(client, make_report, owner):
    report = make_report(contact_email="r@example.net")
    report_notes_edit(report=report, actor=owner, notes="Internal: probably bug 123")
    report = report_dismiss(report=report, actor=owner, dismissal=Dismissal("not_reproducible"))
    response = client.get(status_url(report))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Dismissed" in page
    assert "Report received" in page  # the history's first line
    assert "Answer due by" not in page  # the answer came: no deadline any more
    assert "Decided" in page
    assert "Internal: probably bug 123" not in page  # notes are for developers only
    assert "Notes edited" not in page
    assert response["Cache-Control"] == "private, no-store"
    # The secret URL never leaves the site as a referrer.
    assert response["Referrer-Policy"] == "same-origin"
    assert "Appeal" not in page  # appeals are for payment reports only


def test_a_pending_report_shows_when_the_answer_is_due(client, make_report):
    page = client.get(status_url(make_report())).content.decode()
    assert "Answer due by" in page
    assert "Decided" not in page


def test_a_handled_payment_report_offers_the_appeal(client, make_report, owner):
    report = report_dismiss(
        report=make_report(Category.PAYMENT), actor=owner, dismissal=Dismissal("not_reproducible")
    )
    page = client.get(status_url(report)).content.decode()
    appeal_link = f"/help/acme/tickets/{report.report_id}/appeal/?key={report.access_key}"
    assert appeal_link in page


def test_wrong_or_missing_key_is_404(client, make_report):
    report = make_report()
    assert client.get(status_url(report, key="wrong")).status_code == 404
    assert client.get(f"/help/acme/tickets/{report.report_id}/").status_code == 404
    assert client.get("/help/acme/tickets/NOSUCHID00/?key=x").status_code == 404


def test_another_apps_url_is_404_even_with_the_right_key(client, make_report, other_app):
    report = make_report()
    assert client.get(status_url(report, app="globex")).status_code == 404


def test_due_time_in_the_reporters_timezone_else_utc_with_a_note(client, make_report):
    created = timezone.now().replace(year=2026, month=1, day=10, hour=12, minute=0, second=0)
    report = make_report(now=created)
    page = client.get(status_url(report)).content.decode()
    assert "(UTC)" in page
    assert "Times are shown in UTC because your browser did not tell us your time zone." in page
    client.cookies["reportdesk_tz"] = "Asia/Tokyo"
    page = client.get(status_url(report)).content.decode()
    # 72 hours after 12:00 UTC on 10 January is 21:00 in Tokyo on 13 January.
    assert "13 Jan 2026, 21:00</time> (Asia/Tokyo)" in page
    assert "did not tell us your time zone" not in page
    assert report.due_at - report.created_at == timedelta(hours=72)


def test_screenshots_are_served_to_the_keyholder_only(client, make_report, screenshot):
    report = make_report(Category.COMMUNITY, screenshots=[screenshot])
    url = f"/help/acme/tickets/{report.report_id}/screenshots/1/"
    response = client.get(f"{url}?key={report.access_key}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    thumb = client.get(f"{url}thumbnail/?key={report.access_key}")
    assert thumb.status_code == 200
    # Read to the end, which closes the file the way the test client expects.
    assert b"".join(thumb.streaming_content).startswith(b"\x89PNG")
    assert client.get(f"{url}?key=wrong").status_code == 404
    assert client.get(url).status_code == 404
    missing = f"/help/acme/tickets/{report.report_id}/screenshots/2/?key={report.access_key}"
    assert client.get(missing).status_code == 404


def test_check_a_report_answers_the_same_whether_or_not_it_matches(
    client, make_report, django_capture_on_commit_callbacks
):
    from reports.models import OutboundEmail

    report = make_report(contact_email="ana@example.net")
    OutboundEmail.objects.all().delete()
    # The worker's part (looking the report up, queueing the e-mail) runs inline here.
    celery_app.conf.task_always_eager = True
    try:
        with django_capture_on_commit_callbacks(execute=True):
            right = client.post(
                "/help/acme/check/",
                {"report_id": report.report_id.lower(), "email": "ANA@example.net"},
                follow=True,
            )
            wrong = client.post(
                "/help/acme/check/",
                {"report_id": report.report_id, "email": "eve@example.net"},
                follow=True,
            )
    finally:
        celery_app.conf.task_always_eager = False
    message = "If a report with this ID was filed with this e-mail address"
    assert message in right.content.decode()
    assert message in wrong.content.decode()
    email = OutboundEmail.objects.get()
    assert email.to == "ana@example.net"
    assert f"/help/acme/tickets/{report.report_id}/?key={report.access_key}" in email.body


def test_check_a_report_validates_its_fields(client, mini_app):
    response = client.post("/help/acme/check/", {"report_id": "", "email": "nope"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter the report ID from your confirmation." in page
    assert "Enter a valid e-mail address" in page


def test_a_late_pending_report_says_so(client, make_report):
    report = make_report(now=timezone.now() - timedelta(hours=80))
    reports_mark_past_due()
    page = client.get(status_url(report)).content.decode()
    assert "Pending" in page
    assert "past its answer time" in page


def test_an_unknown_timezone_cookie_falls_back_to_utc(client, make_report):
    report = make_report()
    client.cookies["reportdesk_tz"] = "../../etc/passwd"
    page = client.get(status_url(report)).content.decode()
    assert "(UTC)" in page
    assert "did not tell us your time zone" in page


def test_the_check_form_url_leads_back_to_the_help_center(client, mini_app):
    response = client.get("/help/acme/check/")
    assert response.status_code == 302
    assert response["Location"] == "/help/acme/"


def test_a_non_ascii_key_is_a_plain_404(client, make_report):
    report = make_report()
    assert client.get(status_url(report, key="ключ")).status_code == 404
