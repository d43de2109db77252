"""Bulk resolve/dismiss through the services, and the streamed CSV export."""

import csv
import io

import pytest
from django.urls import reverse

from reports.export import csv_safe
from reports.models import Category, ReportEvent, Status
from reports.services import report_resolve

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(client, owner):
    client.force_login(owner)
    return owner


def bulk(client, **data):
    return client.post(reverse("reports:reports_bulk", args=["acme"]), data, follow=True)


def test_bulk_resolve_selected_with_one_note_records_each(client, member, teammate, make_report):
    first, second, untouched = make_report(), make_report(), make_report()
    report_resolve(report=second, actor=teammate, notes="Already done.")
    response = bulk(
        client,
        action="resolve",
        selected=[first.report_id, second.report_id],
        note="Fixed in 3.2.2",
        query="status=pending",
    )
    html = response.content.decode()
    assert response.redirect_chain[-1][0].endswith("/console/acme/reports/?status=pending")
    assert "Resolved 1 report." in html
    assert "1 left as they were" in html
    assert f"{second.report_id}: This report was already resolved by {teammate.username}" in html
    first.refresh_from_db()
    second.refresh_from_db()
    untouched.refresh_from_db()
    assert (first.status, first.notes, first.handled_by) == (
        Status.RESOLVED,
        "Fixed in 3.2.2",
        member,
    )
    assert second.notes == "Already done." and second.handled_by == teammate
    assert untouched.status == Status.PENDING
    kinds = list(ReportEvent.objects.filter(report=first).values_list("kind", flat=True))
    assert kinds == ["submitted", "notes_edited", "resolved"]


def test_bulk_note_is_added_below_existing_notes(client, member, make_report):
    report = make_report()
    from reports.services import report_notes_edit

    report = report_notes_edit(report=report, actor=member, notes="Investigating.")
    bulk(client, action="dismiss", selected=[report.report_id], note="Duplicate.", reason="spam")
    report.refresh_from_db()
    assert report.status == Status.DISMISSED
    assert report.notes == "Investigating.\n\nDuplicate."


def test_bulk_on_all_matching_uses_the_filters(client, member, make_report, other_app):
    payments = [make_report(Category.PAYMENT) for _ in range(3)]
    crash = make_report()
    theirs = make_report(Category.PAYMENT, app=other_app)
    response = bulk(
        client, action="dismiss", all_matching="on", query="category=payment", reason="spam"
    )
    assert "Dismissed 3 reports." in response.content.decode()
    for report in payments:
        report.refresh_from_db()
        assert report.status == Status.DISMISSED
    crash.refresh_from_db()
    theirs.refresh_from_db()
    assert crash.status == Status.PENDING and theirs.status == Status.PENDING


def test_bulk_on_all_matching_keeps_a_filter_that_comes_after_a_long_parameter(
    client, member, make_report
):
    payment, crash = make_report(Category.PAYMENT), make_report()
    # A list URL with a long parameter of its own (a tracking tag), then the filter: cut at
    # 2,000 characters, the filter was lost and every pending report was dismissed.
    query = "utm_content=" + "x" * 1990 + "&category=payment"
    response = bulk(client, action="dismiss", all_matching="on", query=query, reason="spam")
    assert "Dismissed 1 report." in response.content.decode()
    payment.refresh_from_db()
    crash.refresh_from_db()
    assert payment.status == Status.DISMISSED and crash.status == Status.PENDING
    too_long = bulk(client, action="dismiss", all_matching="on", query="x" * 4001)
    assert "too long to act on" in too_long.content.decode()
    crash.refresh_from_db()
    assert crash.status == Status.PENDING


def test_bulk_without_a_selection_says_what_to_do(client, member, make_report):
    report = make_report()
    response = bulk(client, action="resolve")
    assert "Select at least one report" in response.content.decode()
    report.refresh_from_db()
    assert report.status == Status.PENDING


def test_bulk_cannot_touch_another_apps_reports(client, member, make_report, other_app):
    theirs = make_report(app=other_app)
    response = bulk(client, action="resolve", selected=[theirs.report_id])
    assert "Resolved 0 reports." in response.content.decode()
    theirs.refresh_from_db()
    assert theirs.status == Status.PENDING


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def test_csv_export_of_the_filtered_list(client, member, make_report, other_app):
    refund = make_report(Category.PAYMENT, open_id="ou_9", details="Refund me, please")
    make_report()
    make_report(Category.PAYMENT, app=other_app)
    client.cookies["reportdesk_tz"] = "Asia/Tokyo"
    url = reverse("reports:reports_export", args=["acme"]) + "?category=payment"
    response = client.get(url)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="reports-acme-')
    rows = read_csv(response)
    assert rows[0][:7] == [
        "Report ID",
        "Open ID",
        "Category",
        "Issue type",
        "Report details",
        "Report time (UTC)",
        "Report time (Asia/Tokyo)",
    ]
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Report ID"] == refund.report_id
    assert row["Report details"] == "Refund me, please"
    assert row["Status"] == "Pending" and row["Order ID"] == "ORD-1"
    utc_hour = int(row["Report time (UTC)"][11:13])
    tokyo_hour = int(row["Report time (Asia/Tokyo)"][11:13])
    assert (utc_hour + 9) % 24 == tokyo_hour


def test_csv_neutralises_spreadsheet_formulas(client, member, make_report):
    make_report(details='=HYPERLINK("http://evil.example","click")', open_id="@SUM(A1)")
    rows = read_csv(client.get(reverse("reports:reports_export", args=["acme"])))
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["Report details"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["Open ID"] == "'@SUM(A1)"
    for dangerous in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert csv_safe(dangerous) == "'" + dangerous
    assert csv_safe("plain") == "plain" and csv_safe(None) == ""
