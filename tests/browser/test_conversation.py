"""The conversation in real Chromium, on both sides: the developer replies and dismisses with a
reason; the reporter, from the e-mailed link, reads both, adds information with a screenshot;
the developer sees the report flagged in the list and what was added in the panel."""

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client
from playwright.sync_api import expect

from reports.models import OutboundEmail, Report, Status
from tests.factories import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(page, user, live_server):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    return page


def test_reply_dismiss_read_add_information_and_see_it_flagged(
    new_page, live_server, teammate, make_report
):
    report = make_report(
        details="The cart freezes after paying",
        contact_email="reporter@example.net",
        reporter_language="en",
    )
    other = make_report(details="Search shows a spinner forever")
    developer = signed_in(new_page(timezone_id="UTC"), teammate, live_server)

    # The developer replies, then dismisses with a reason and a last word.
    developer.goto("/console/acme/reports/")
    row = developer.get_by_role("row", name=re.compile(report.report_id))
    row.get_by_role("link").first.click()  # the report ID
    panel = developer.get_by_role("complementary", name="Report panel")
    expect(panel.get_by_text("cannot be edited once sent")).to_be_visible()
    panel.get_by_label("Reply to reporter").fill("Which app version do you use?")
    panel.get_by_role("button", name="Send reply").click()
    expect(panel.get_by_role("status")).to_have_text("Reply sent to the reporter.")
    panel.get_by_label("Reason for dismissing").select_option(label="Not enough information")
    panel.get_by_label("Reply to reporter").fill("Closing for now: add a screenshot if it recurs.")
    panel.get_by_role("button", name="Dismiss").click()
    expect(panel.get_by_role("status")).to_have_text("Report dismissed.")
    expect(row).to_contain_text("Dismissed")

    # The reporter follows the link from the e-mail and reads both, and the reason.
    [reply_email] = OutboundEmail.objects.filter(dedupe_key__startswith="reports:reply:")
    link = re.search(r"https?://\S+", reply_email.body).group(0)
    reporter = new_page(timezone_id="Europe/Madrid")
    parts = urlsplit(link)  # the site's configured address; the test server has its own
    reporter.goto(f"{parts.path}?{parts.query}")
    history = reporter.get_by_role("region", name="History")
    expect(history).to_contain_text("Which app version do you use?")
    expect(history).to_contain_text("Closing for now: add a screenshot if it recurs.")
    expect(history).to_contain_text("Acme Shop replied")
    expect(reporter.get_by_text("Not enough information").first).to_be_visible()
    expect(reporter.get_by_text(teammate.email)).to_have_count(0)
    expect(reporter.get_by_text("Answer due by")).to_have_count(0)

    # ... and adds information with a screenshot.
    reporter.get_by_label("What would you like to add?").fill("Version 3.2.1, Android 14.")
    reporter.get_by_label("Screenshots (optional, up to 3)").set_input_files(
        files=[{"name": "freeze.png", "mimeType": "image/png", "buffer": png_bytes()}]
    )
    reporter.get_by_role("button", name="Add information").click()
    expect(reporter.get_by_text("The team can now see what you added")).to_be_visible()
    expect(history).to_contain_text("You added information")
    expect(history).to_contain_text("Version 3.2.1, Android 14.")
    expect(history).to_contain_text("1 screenshot attached")
    report.refresh_from_db()
    assert report.status == Status.DISMISSED  # adding information does not reopen it

    # The developer sees the report flagged, filters for it, and reads it in the panel.
    developer.reload()
    row = developer.get_by_role("row", name=re.compile(report.report_id))
    expect(row).to_contain_text("Reporter replied")
    developer.get_by_text("More filters", exact=True).click()  # the toolbar's menu
    developer.get_by_label("Reporter replied").select_option(value="true")
    expect(developer.get_by_role("row", name=re.compile(other.report_id))).to_have_count(0)
    row = developer.get_by_role("row", name=re.compile(report.report_id))
    row.get_by_role("link").first.click()  # the report ID
    panel = developer.get_by_role("complementary", name="Report panel")
    expect(panel).to_contain_text("Reporter added information")
    expect(panel).to_contain_text("Version 3.2.1, Android 14.")
    image = panel.get_by_role("img", name=re.compile("Screenshot 1 the reporter added"))
    expect(image).to_be_visible()
    # A lazy image with its size set is visible before it has loaded: wait for the pixels
    # (make test on PostgreSQL once read a naturalWidth of 0 right after it showed).
    developer.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
    )
    assert Report.objects.get(pk=report.pk).reporter_replied_at is not None
