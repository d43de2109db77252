"""One timezone for the console and the help center, in a real Chromium with its own zone:
the browser's zone is used until the developer picks one, and a pick is never overwritten."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from tests.browser.test_console import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 18:44 UTC on 1 December: 13:44 in New York, 03:44 the next day in Tokyo.
FILED = datetime(2026, 12, 1, 18, 44, tzinfo=UTC)


def zone_cookie(page) -> str | None:
    # Django quotes a value with "/" when it sets the cookie; browsers keep the quotes.
    values = [c["value"] for c in page.context.cookies() if c["name"] == "reportdesk_tz"]
    return values[0].strip('"') if values else None


def test_a_zone_picked_in_the_console_survives_a_visit_to_the_help_center(
    new_page, owner, make_report, live_server
):
    report = make_report(now=FILED)
    page = signed_in(new_page(timezone_id="America/New_York"), owner, live_server)
    page.goto("/console/acme/reports/")
    # The browser's own zone, found on the first visit.
    expect(page.locator("time").first).to_have_text("1 Dec 2026, 13:44")
    assert zone_cookie(page) == "America/New_York"

    page.get_by_role("link", name="Change timezone").click()
    page.get_by_label("Timezone").select_option("Asia/Tokyo")
    page.get_by_role("button", name="Use this timezone").click()
    expect(page.locator("time").first).to_have_text("2 Dec 2026, 03:44")

    # The help center speaks the same zone, and leaves the pick alone.
    page.goto("/help/acme/")
    page.goto(f"/help/acme/tickets/{report.report_id}/?key={report.access_key}")
    expect(page.locator("dd", has_text="(Asia/Tokyo)").first).to_contain_text("2 Dec 2026, 03:44")
    assert zone_cookie(page) == "Asia/Tokyo"

    page.goto("/console/acme/reports/")
    expect(page.locator("time").first).to_have_text("2 Dec 2026, 03:44")
    expect(page.locator(".tz-note")).to_contain_text("Times are in Asia/Tokyo")


def test_a_first_visit_on_the_help_center_gives_the_console_the_browsers_zone(
    new_page, owner, make_report, live_server
):
    report = make_report(now=FILED)
    page = signed_in(new_page(timezone_id="America/New_York"), owner, live_server)
    page.goto(f"/help/acme/tickets/{report.report_id}/?key={report.access_key}")
    expect(page.locator("dd", has_text="(America/New_York)").first).to_contain_text(
        "1 Dec 2026, 13:44"
    )
    expect(page.get_by_text("did not tell us your time zone")).to_have_count(0)

    page.goto("/console/acme/reports/")
    page.evaluate("window.notReloaded = true")
    expect(page.locator("time").first).to_have_text("1 Dec 2026, 13:44")
    expect(page.locator(".tz-note")).to_contain_text("Times are in America/New_York")
    assert page.evaluate("window.notReloaded") is True  # known already: no reload


def test_the_url_encoded_cookie_the_help_center_used_to_write_is_read(client, owner, make_report):
    make_report(now=FILED)
    client.force_login(owner)
    client.cookies["reportdesk_tz"] = "Asia%2FTokyo"
    html = client.get("/console/acme/reports/").content.decode()
    assert ">2 Dec 2026, 03:44</time>" in html
    assert "Times are in <strong>Asia/Tokyo</strong>" in html
