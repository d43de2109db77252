"""Submit, press Back, Submit again, in a real Chromium: one report, and the second submit shows
the first one's page (the browser restores the filled form; it must restore its one-time key)."""

import re

import pytest
from playwright.sync_api import expect

from reports.models import Report

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DETAILS = "The app closes when I open my cart, every time since the update."


def fill_and_submit(page):
    page.get_by_role("radio", name="App crashes or freezes").check()
    page.get_by_label(re.compile("^Report details")).fill(DETAILS)
    page.get_by_role("button", name="Submit report").click()


def test_back_then_submit_again_files_one_report_and_shows_it(page, mini_app):
    page.goto("/help/acme/new/experience/")
    fill_and_submit(page)
    expect(page.get_by_role("heading", name="Report received")).to_be_visible()
    first = Report.objects.get()
    first_page = page.url

    page.go_back()
    expect(page.get_by_role("button", name="Submit report")).to_be_visible()
    expect(page.get_by_label(re.compile("^Report details"))).to_have_value(DETAILS)
    page.get_by_role("button", name="Submit report").click()

    expect(page.get_by_text(first.report_id, exact=True)).to_be_visible()
    assert page.url == first_page
    assert Report.objects.count() == 1


def test_a_new_visit_to_the_form_files_a_new_report(page, mini_app):
    page.goto("/help/acme/new/experience/")
    fill_and_submit(page)
    expect(page.get_by_role("heading", name="Report received")).to_be_visible()

    page.goto("/help/acme/")
    page.goto("/help/acme/new/experience/")
    page.get_by_role("radio", name="App crashes or freezes").check()
    page.get_by_label(re.compile("^Report details")).fill("Another problem: the search is empty.")
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_role("heading", name="Report received")).to_be_visible()
    assert Report.objects.count() == 2
