"""One report per submission: the one-time token, and the same reporter's identical report."""

import secrets
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reports.models import Category, OutboundEmail, Report
from reports.services import ReportInput
from tests.factories import png_bytes, upload
from tests.tickets.api_client import api_post
from tickets.services import ticket_submit

pytestmark = pytest.mark.django_db


def post(client, category="experience", files=(), **data):
    payload = {"submission_key": secrets.token_urlsafe(24), **data}
    if files:
        payload["screenshots"] = list(files)
    return client.post(f"/help/acme/new/{category}/", payload)


CRASH = {"issue_type": "experience.crash", "details": "It crashes when I pay."}


def test_a_double_click_files_one_report(client, mini_app):
    token = secrets.token_urlsafe(24)
    first = post(client, **CRASH, submission_key=token)
    second = post(client, **CRASH, submission_key=token)
    assert Report.objects.count() == 1
    assert first["Location"] == second["Location"]


def test_a_resubmit_with_the_same_token_finds_the_report_even_if_the_text_changed(client, mini_app):
    token = secrets.token_urlsafe(24)
    post(client, **CRASH, submission_key=token)
    again = post(client, issue_type="experience.slow", details="Other", submission_key=token)
    report = Report.objects.get()
    assert again["Location"].startswith(f"/help/acme/tickets/{report.report_id}/")


def test_same_open_id_same_report_within_a_day_is_shown_the_existing_one(
    client, mini_app, signed_link
):
    signed = signed_link(mini_app, open_id="oid-1")
    first = post(client, **CRASH, **signed)
    second = post(client, **CRASH, **signed)
    assert Report.objects.count() == 1
    assert second["Location"] == first["Location"]
    page = client.get(second["Location"]).content.decode()
    assert "You already sent this report" in page


def test_same_email_same_report_is_not_filed_twice_and_the_link_goes_by_email(
    client, mini_app, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        post(client, **CRASH, contact_email="ana@example.net")
        response = post(client, **CRASH, contact_email="ANA@example.net")
    report = Report.objects.get()
    page = response.content.decode()
    assert response.status_code == 200
    assert "You already sent this report" in page
    assert report.report_id in page
    assert report.access_key not in page  # typing someone's e-mail must not open their report
    links = OutboundEmail.objects.filter(body__contains=report.access_key)
    assert links.count() == 2  # the confirmation, then the link again


def test_same_payment_report_with_another_order_id_is_a_new_report(client, mini_app):
    data = {"issue_type": "payment.refund", "details": "Refund", "contact_email": "a@b.example"}
    post(client, "payment", order_id="ORD-1", **data)
    post(client, "payment", order_id="ORD-2", **data)
    assert Report.objects.count() == 2


def test_different_details_or_issue_type_is_a_new_report(client, mini_app):
    post(client, **CRASH, contact_email="a@b.example")
    post(client, issue_type="experience.crash", details="Other text", contact_email="a@b.example")
    post(
        client, issue_type="experience.slow", details=CRASH["details"], contact_email="a@b.example"
    )
    assert Report.objects.count() == 3


def test_anonymous_identical_reports_are_both_filed(client, mini_app):
    post(client, **CRASH)
    post(client, **CRASH)
    assert Report.objects.count() == 2


def test_after_24_hours_the_same_report_is_filed_again(client, make_report):
    make_report(
        contact_email="a@b.example",
        details=CRASH["details"],
        now=timezone.now() - timedelta(hours=25),
    )
    post(client, **CRASH, contact_email="a@b.example")
    assert Report.objects.count() == 2


def test_community_reports_with_different_evidence_are_different_reports(
    client, mini_app, signed_link
):
    signed = signed_link(mini_app)
    spam = {"issue_type": "community.spam", **signed}
    post(client, Category.COMMUNITY, files=[upload(png_bytes(color=(1, 1, 1)))], **spam)
    post(client, Category.COMMUNITY, files=[upload(png_bytes(color=(1, 1, 1)))], **spam)
    assert Report.objects.count() == 1
    post(client, Category.COMMUNITY, files=[upload(png_bytes(color=(9, 9, 9)))], **spam)
    assert Report.objects.count() == 2


def test_a_chosen_token_cannot_open_another_submission(client, mini_app):
    from tests.tickets.api_client import api_post

    api = api_post(
        client,
        mini_app,
        {"category": "experience", "issue_type": "crash", "details": "From the app"},
        headers={"HTTP_IDEMPOTENCY_KEY": "order-1001"},
    )
    victim = Report.objects.get(report_id=api.json()["report_id"])
    # The API stores its key as "api:order-1001"; a form claiming it is just a new report.
    response = post(client, **CRASH, submission_key="api:order-1001")
    assert victim.access_key not in response["Location"]
    assert Report.objects.count() == 2


TRICKY_DETAILS = [
    "Error: 'NullPointer' at com.acme.Cart::pay() — see https://acme.example/x?y=1&z=2",
    "Crash!!! can't open; tried twice... (v2.3.1-beta) on iPhone 15/iOS 17.2",
    "支付失败，错误代码 E-1024 😡 & <script>alert(1)</script>",
    "x" * 300 + " then " + "y" * 150,
    "a:b | c & !d <-> e:* 'quoted' \\backslash",
    "!!! ???",
    "— … 😡",
]


@pytest.mark.parametrize("details", TRICKY_DETAILS)
def test_identical_tricky_details_are_still_found(make_report, details):
    from reports.services import ReportInput
    from tests.factories import issue_type
    from tickets.selectors import report_find_duplicate

    first = make_report(details=details, contact_email="ana@example.net")
    data = ReportInput(
        category=Category.EXPERIENCE,
        issue_type=issue_type("experience.crash"),
        details=details,
        contact_email="ana@example.net",
    )
    found = report_find_duplicate(mini_app=first.mini_app, data=data, now=timezone.now())
    assert found == first


def key_lookups(queries) -> int:
    """Reads of a report by its submission key (the INSERT names the column too)."""
    return sum(
        1
        for query in queries
        if query["sql"].startswith("SELECT") and '"submission_key" =' in query["sql"]
    )


def test_a_form_submission_looks_its_key_up_once(client, mini_app):
    token = secrets.token_urlsafe(24)
    with CaptureQueriesContext(connection) as first:
        post(client, **CRASH, contact_email="ana@example.net", submission_key=token)
    with CaptureQueriesContext(connection) as again:
        post(client, **CRASH, contact_email="ana@example.net", submission_key=token)
    assert Report.objects.count() == 1
    assert key_lookups(first.captured_queries) == 1
    assert key_lookups(again.captured_queries) == 1


def test_an_api_submission_looks_its_idempotency_key_up_once(client, mini_app):
    body = {"category": "experience", "issue_type": "crash", "details": "Crashes on start"}
    key = {"HTTP_IDEMPOTENCY_KEY": "order-1001-crash"}
    # The retry is signed anew (another timestamp): a copy of the signed request is a replay.
    # Both timestamps are fixed before the first request, so a slow one cannot make them equal.
    first_ts = int(time.time())
    with CaptureQueriesContext(connection) as first:
        response = api_post(client, mini_app, body, ts=str(first_ts), headers=key)
        assert response.status_code == 201
    with CaptureQueriesContext(connection) as retry:
        response = api_post(client, mini_app, body, ts=str(first_ts - 1), headers=key)
        assert response.status_code == 200
    assert key_lookups(first.captured_queries) == 1
    assert key_lookups(retry.captured_queries) == 1


def same_as(report: Report, **fields) -> ReportInput:
    """What a reporter submits again: the same category, issue type and details as `report`."""
    return ReportInput(
        category=report.category, issue_type=report.issue_type, details=report.details, **fields
    )


def link_emails(report: Report) -> int:
    return OutboundEmail.objects.filter(body__contains=report.access_key).count()


def test_the_submission_service_mails_the_link_of_a_duplicate_matched_by_email(make_report):
    # The rule lives in tickets.services.ticket_submit, not in a view.
    first = make_report(contact_email="ana@example.net")
    outcome = ticket_submit(
        mini_app=first.mini_app, data=same_as(first, contact_email="ana@example.net")
    )
    assert (outcome.report, outcome.duplicate, outcome.link_emailed) == (first, True, True)
    assert link_emails(first) == 1  # (make_report filed it without its confirmation)


def test_a_duplicate_of_the_reporters_own_signed_open_id_is_shown_not_mailed(make_report):
    first = make_report(contact_email="ana@example.net", open_id="oid-ana")
    outcome = ticket_submit(
        mini_app=first.mini_app,
        data=same_as(first, contact_email="ana@example.net", open_id="oid-ana"),
    )
    assert (outcome.report, outcome.duplicate, outcome.link_emailed) == (first, True, False)
    assert link_emails(first) == 0


def test_the_api_is_told_its_duplicate_and_no_link_is_mailed(make_report):
    # The signed API answers the mini app's own server, as it did before the rule moved.
    first = make_report(contact_email="ana@example.net")
    outcome = ticket_submit(
        mini_app=first.mini_app,
        data=same_as(first, contact_email="ana@example.net", source=Report.Source.API),
    )
    assert (outcome.report, outcome.duplicate, outcome.link_emailed) == (first, True, False)
    assert link_emails(first) == 0
