"""The owner's Settings and Integration pages in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from reports.models import MiniApp, Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_owner_rotates_the_secret_and_a_generated_link_files_with_the_open_id(
    page, new_page, owner, mini_app, live_server, settings
):
    settings.SITE_URL = live_server.url  # the links the console makes point at this server
    page.goto("/console/")
    page.get_by_label("E-mail or username").fill(owner.username)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name=re.compile("^Settings"))).to_be_visible()

    page.get_by_role("button", name="Rotate the signing secret").click()
    expect(page.get_by_role("status")).to_contain_text("A new signing secret is active now")
    expect(page.locator("#grace-note")).to_contain_text("the previous one is still accepted until")
    new_secret = MiniApp.objects.get(pk=mini_app.pk).signing_secret
    assert new_secret != "s3cret"
    page.get_by_role("button", name="Reveal the signing secret").click()
    expect(page.get_by_label("Current secret")).to_have_value(new_secret)

    page.get_by_role("navigation", name="Console").get_by_role("link", name="Integration").click()
    page.get_by_label("Open ID").fill("oid-chromium-7")
    page.get_by_role("button", name="Generate a signed link").click()
    link = page.get_by_label("Signed link for oid-chromium-7").input_value()
    assert "open_id=oid-chromium-7" in link

    # A reporter, in a browser of their own, opens the link the mini app would send them.
    reporter = new_page()
    reporter.goto(link)
    reporter.get_by_role("link", name=re.compile("Experience and usage")).click()
    expect(reporter.get_by_text("Reporting as a signed-in user")).to_be_visible()
    reporter.get_by_label("App crashes or freezes").check()
    reporter.get_by_label(re.compile("^Report details")).fill("It crashes when I open my cart.")
    reporter.get_by_role("button", name="Submit report").click()
    expect(reporter.get_by_role("heading", name=re.compile("Report received"))).to_be_visible()
    assert Report.objects.get().open_id == "oid-chromium-7"
