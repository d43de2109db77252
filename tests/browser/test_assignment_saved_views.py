"""Assignment and saved views (issue 15) in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from reports.models import Category, Report, SavedView
from tests.browser.test_console import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_assign_to_me_from_the_panel_shows_on_the_row_and_in_assigned_to_me(
    page, live_server, teammate, owner, make_report
):
    target = make_report(details="The cart freezes after paying")
    other = make_report(details="Search shows a spinner forever")
    signed_in(page, teammate, live_server)
    page.goto("/console/acme/reports/")
    page.evaluate("window.notReloaded = true")
    row = page.locator(f"#row-{target.report_id}")
    row.get_by_role("link", name=target.report_id).click()
    panel = page.locator("#panel")
    expect(panel.get_by_role("heading", name=f"Report {target.report_id}")).to_be_visible()

    panel.locator('[data-assign-form] [data-action="assign-me"]').click()
    expect(panel.get_by_role("status")).to_have_text("Report assigned to you.")
    # The row beside the panel shows the assignee, without a reload.
    expect(row.locator(".assignee")).to_have_text("Assigned to teammate")
    expect(panel.locator('[data-action="assign-me"]')).to_have_count(0)
    expect(panel.get_by_role("list").last).to_contain_text("Assigned")
    assert page.evaluate("window.notReloaded") is True

    page.get_by_role("navigation", name="Saved views").get_by_role(
        "link", name="Assigned to me"
    ).click()
    expect(page).to_have_url(re.compile(r"\?assignee=me$"))
    expect(page.locator(f"#row-{target.report_id}")).to_be_visible()
    expect(page.locator(f"#row-{other.report_id}")).to_have_count(0)
    expect(page.get_by_label("Assignee")).to_have_value("me")
    assert Report.objects.get(pk=target.pk).assignee_id == teammate.pk


def test_save_a_view_open_it_share_it_and_a_teammate_sees_it(
    new_page, live_server, owner, teammate, make_report
):
    payment = make_report(Category.PAYMENT, details="Refund missing")
    crash = make_report(details="It crashes")
    alice = signed_in(new_page(timezone_id="UTC"), owner, live_server)
    alice.goto("/console/acme/reports/")
    alice.get_by_text("Category", exact=True).first.click()  # the toolbar's menu
    alice.get_by_label("Category").select_option("payment")
    expect(alice).to_have_url(re.compile(r"category=payment"))
    expect(alice.locator(f"#row-{crash.report_id}")).to_have_count(0)

    alice.get_by_text("Save this view").click()
    alice.get_by_label("Name of the view").fill("Payments")
    alice.get_by_role("button", name="Save view").click()
    expect(alice.get_by_text("View “Payments” saved.")).to_be_visible()
    views = alice.get_by_role("navigation", name="Saved views")
    expect(views.get_by_role("link", name="Payments")).to_have_attribute("aria-current", "page")

    # From the whole list, the tab brings the view back.
    alice.goto("/console/acme/reports/")
    expect(alice.locator(f"#row-{crash.report_id}")).to_be_visible()
    alice.get_by_role("navigation", name="Saved views").get_by_role("link", name="Payments").click()
    expect(alice.locator(f"#row-{crash.report_id}")).to_have_count(0)
    expect(alice.locator(f"#row-{payment.report_id}")).to_be_visible()
    expect(alice.get_by_label("Category")).to_have_value("payment")

    # Not shared yet: the teammate does not see it.
    bob = signed_in(new_page(timezone_id="UTC"), teammate, live_server)
    bob.goto("/console/acme/reports/")
    bob_views = bob.get_by_role("navigation", name="Saved views")
    expect(bob_views.get_by_role("link", name=re.compile("Payments"))).to_have_count(0)

    alice.get_by_role("link", name="Manage views").click()
    alice.get_by_role("checkbox", name="Share with the team").check()
    alice.get_by_role("button", name=re.compile("Save")).first.click()
    expect(alice.get_by_text("View “Payments” saved.")).to_be_visible()
    assert SavedView.objects.get().shared

    bob.reload()
    tab = bob.get_by_role("navigation", name="Saved views").get_by_role(
        "link", name=re.compile("Payments")
    )
    expect(tab).to_contain_text("shared by owner@acme.example")
    tab.click()
    expect(bob.locator(f"#row-{crash.report_id}")).to_have_count(0)
    expect(bob.locator(f"#row-{payment.report_id}")).to_be_visible()
