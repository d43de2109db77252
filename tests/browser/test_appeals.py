"""The whole appeal loop in a real Chromium: a payment report is filed and resolved, the
reporter appeals and sees the support e-mail, the developer overturns with a reply, and the
reporter reads it."""

import re

import pytest
from playwright.sync_api import expect

from appeals.models import Appeal
from reports.models import Report, ReportEvent, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
Kind = ReportEvent.Kind


def test_reporter_appeals_and_the_developer_overturns(new_page, mini_app, owner):
    reporter = new_page(timezone_id="UTC")
    # The reporter files a payment report through the help center.
    reporter.goto("/help/acme/new/payment/")
    reporter.get_by_role("radio", name="Refund request").check()
    reporter.get_by_label(re.compile("^Report details")).fill("I cancelled, still no refund.")
    reporter.get_by_label(re.compile("^Order ID")).fill("ORD-2024-77")
    reporter.get_by_label(re.compile("^Your e-mail")).fill("ana@example.net")
    reporter.get_by_role("button", name="Submit report").click()
    expect(reporter.get_by_role("heading", name="Report received")).to_be_visible()
    status_url = reporter.url
    report = Report.objects.get()

    # The developer signs in and resolves it in the console's handling panel.
    developer = new_page(timezone_id="UTC")
    developer.goto(f"/console/acme/reports/{report.report_id}/")
    developer.get_by_label("E-mail or username").fill(owner.username)
    developer.get_by_label("Password").fill("correct horse battery")
    developer.get_by_role("button", name="Sign in").click()
    developer.get_by_label("Notes", exact=True).fill("Refund refused: outside 14 days.")
    developer.get_by_role("button", name="Resolve").click()
    expect(developer.get_by_role("status")).to_have_text("Report resolved.")

    # The reporter appeals from the status page and sees the support e-mail.
    reporter.goto(status_url)
    reporter.get_by_role("link", name="Not satisfied? Appeal this decision").click()
    expect(reporter.get_by_label(re.compile("^Your e-mail address"))).to_have_value(
        "ana@example.net"
    )
    reporter.get_by_role("button", name="Submit appeal").click()
    expect(reporter.get_by_role("alert")).to_contain_text("Please correct the marked fields")
    reporter.get_by_label(re.compile("^Why do you disagree")).fill(
        "I cancelled on day 3, well inside the 14 days. Bank statement attached."
    )
    reporter.get_by_role("button", name="Submit appeal").click()
    expect(reporter.get_by_text("Your appeal was sent.")).to_be_visible()
    expect(reporter.get_by_text("You can also reach the developer at")).to_be_visible()
    expect(reporter.get_by_role("link", name="help@acme.example")).to_be_visible()
    expect(reporter.get_by_text("Refund refused")).to_have_count(0)  # notes stay internal

    # The developer finds the appeal through the console navigation and overturns it.
    developer.reload()
    console_nav = developer.get_by_role("navigation", name="Console")
    appeals_link = console_nav.get_by_role("link", name=re.compile("^Appeals"))
    expect(appeals_link).to_contain_text("1")  # the open-appeals badge
    appeals_link.click()
    expect(developer.get_by_role("heading", name=re.compile("^Appeals"))).to_be_visible()
    developer.get_by_role("link", name=report.report_id).click()
    expect(developer.get_by_text("Refund refused: outside 14 days.")).to_be_visible()
    developer.get_by_role("button", name="Overturn").click()
    expect(developer.get_by_role("alert")).to_contain_text("Write a reply to the reporter")
    developer.get_by_label("Reply to the reporter").fill(
        "You are right: we reopened it and will refund you."
    )
    developer.get_by_label("New status if you overturn").select_option(
        label="Pending (reopen it and handle it again)"
    )
    developer.get_by_role("button", name="Overturn").click()
    expect(developer.get_by_text("Appeal overturned: the report is now Pending.")).to_be_visible()

    # The reporter reads the outcome and the reply on the status page.
    reporter.goto(status_url)
    expect(reporter.get_by_text("the decision was overturned")).to_be_visible()
    expect(
        reporter.get_by_text("You are right: we reopened it and will refund you.")
    ).to_be_visible()
    expect(reporter.get_by_role("link", name="help@acme.example")).to_be_visible()

    appeal = Appeal.objects.get()
    assert appeal.state == Appeal.State.OVERTURNED
    report.refresh_from_db()
    assert report.status == Status.PENDING
    kinds = list(report.events.values_list("kind", flat=True))
    assert kinds[-3:] == [Kind.APPEAL_SUBMITTED, Kind.SUPPORT_EMAIL_SHARED, Kind.APPEAL_OVERTURNED]
