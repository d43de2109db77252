"""A reporter files a Community Guidelines report with a screenshot, in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from reports.models import Report
from tests.factories import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reporter_files_a_community_report_with_a_screenshot(new_page, mini_app, tmp_path):
    shot = tmp_path / "evidence.png"
    shot.write_bytes(png_bytes(size=(300, 200)))
    page = new_page(timezone_id="America/New_York")
    page.set_default_timeout(10_000)

    page.goto("/help/acme/")
    page.get_by_role("link", name=re.compile("Community Guidelines violation")).click()
    expect(page.get_by_role("heading", name="Community Guidelines violation")).to_be_visible()

    # Submitting without a choice or a screenshot explains both problems, and keeps the page.
    page.get_by_role("button", name="Submit report").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Choose the issue type that best describes the problem.")
    expect(alert).to_contain_text("Attach at least one screenshot that shows the violation.")

    page.get_by_role("radio", name="Harassment or bullying").check()
    page.get_by_label(re.compile("^Screenshots")).set_input_files(str(shot))
    expect(page.get_by_role("img", name="evidence.png")).to_be_visible()  # the preview
    page.get_by_label(re.compile("^Your e-mail")).fill("ana@example.net")
    page.get_by_role("button", name="Submit report").click()

    expect(page.get_by_role("heading", name="Report received")).to_be_visible()
    report = Report.objects.get()
    expect(page.get_by_text(report.report_id, exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Copy report ID")).to_be_visible()
    expect(page.get_by_role("heading", name="You will hear back within 72 hours")).to_be_visible()
    # The due time is in the reporter's own timezone, detected by the browser.
    expect(page.get_by_text("(America/New_York)").first).to_be_visible()
    expect(page.get_by_role("img", name="Screenshot 1")).to_be_visible()
    # The page's language switcher works from here too (a POST from a page with a secret URL).
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change language").click()
    expect(page.get_by_role("heading", name="Historial")).to_be_visible()
    expect(page.get_by_text("Pendiente", exact=True)).to_be_visible()
    assert report.category == "community"
    assert report.screenshots.count() == 1
    assert report.contact_email == "ana@example.net"
