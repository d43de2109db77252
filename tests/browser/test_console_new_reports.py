"""New reports while the list is open: the notice, in a real Chromium."""

import pytest
from playwright.sync_api import expect

from reports.models import Category
from tests.browser.test_console import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def box(locator) -> tuple:
    rect = locator.bounding_box()
    return rect["x"], rect["y"]


def test_a_report_filed_while_reading_is_announced_and_shown(
    page, live_server, owner, make_report, settings
):
    settings.CONSOLE_NEW_REPORTS_POLL_SECONDS = 1
    first = make_report(details="Already there")
    signed_in(page, owner, live_server)
    page.goto("/console/acme/reports/")
    notice = page.locator("#new-reports")
    expect(notice).to_have_attribute("aria-live", "polite")
    expect(notice).to_be_empty()
    row = page.locator(f"#row-{first.report_id}")

    # A report of another category while the list is filtered to experience: nothing new.
    page.goto("/console/acme/reports/?category=experience")
    before = box(row)
    make_report(Category.PAYMENT)
    page.wait_for_timeout(2500)  # two polls
    expect(notice).to_be_empty()

    arrived = make_report(details="Arrived while the list was open")
    expect(notice).to_have_text("1 new report, show it")
    assert box(row) == before  # the rows under the cursor did not move
    expect(page.locator(f"#row-{arrived.report_id}")).to_have_count(0)  # not until asked

    latest = make_report(details="And another one")
    expect(notice).to_have_text("2 new reports, show them")
    page.get_by_role("button", name="2 new reports, show them").click()
    # The list again from its top: the newest first, the payment report still filtered out.
    expect(page.locator("[data-report-row]").first).to_have_id(f"row-{latest.report_id}")
    expect(page.locator(f"#row-{arrived.report_id}")).to_be_visible()
    expect(page.locator("[data-report-row]")).to_have_count(3)
    expect(notice).to_be_empty()
    expect(page.locator(f"#row-{latest.report_id} a[href]").first).to_be_focused()
    # Polling goes on from the new top.
    make_report(details="A third one")
    expect(notice).to_have_text("1 new report, show it")


def test_a_list_sorted_otherwise_does_not_poll(page, live_server, owner, make_report, settings):
    settings.CONSOLE_NEW_REPORTS_POLL_SECONDS = 1
    make_report()
    signed_in(page, owner, live_server)
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "new-count" in r.url else None)
    page.goto("/console/acme/reports/?ordering=status")
    make_report()
    page.wait_for_timeout(2500)
    assert requests == []
    expect(page.locator("#new-reports")).to_be_empty()
