"""The insights page in a real Chromium, at a laptop's and a phone's width: nothing overflows
sideways, every chart is drawn, a bar opens the list filtered to it."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from reports.models import Category
from reports.services import Dismissal, report_dismiss, report_resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reports(make_report, owner):
    report_resolve(report=make_report(), actor=owner)
    report_dismiss(
        report=make_report(Category.PAYMENT, contact_email="p@example.net"),
        actor=owner,
        dismissal=Dismissal("spam"),
    )
    make_report(Category.COMMUNITY)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_page_fits_the_width_and_draws_every_chart(
    new_page, live_server, owner, reports, width
):
    page = new_page(viewport={"width": width, "height": 900}, timezone_id="UTC")
    client = Client()
    client.force_login(owner)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page.goto("/console/acme/insights/?period=7")
    expect(page.get_by_role("heading", level=1, name=re.compile("Insights"))).to_be_visible()
    for summary in page.locator("summary").all():
        summary.click()  # the tables, too, must fit (they scroll inside their box)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    wide = page.evaluate(
        "w => [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > w).slice(0, 8)"
        ".map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)",
        width,
    )
    assert overflow <= 0, f"{overflow} px of horizontal overflow at {width} px: {wide}"
    charts = page.locator("svg.chart")
    assert charts.count() == 10
    for chart in charts.all():
        box = chart.bounding_box()
        assert box["width"] > 0 and box["x"] >= 0 and box["x"] + box["width"] <= width
    page.get_by_role("link", name=re.compile("Community Guidelines violation 1")).first.click()
    expect(page).to_have_url(re.compile(r"/reports/\?category=community&reported_from="))
    expect(page.get_by_role("heading", name=re.compile("User reports"))).to_be_visible()
