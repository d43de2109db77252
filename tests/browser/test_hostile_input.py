"""Hostile text in a real Chromium: shown literally, never run, and a bidi override cannot flip
the page around it."""

import re

import pytest
from playwright.sync_api import expect

from reports.services import report_notes_edit

from .test_console import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RLO = "\u202e"
DETAILS = (
    "<script>alert('details')</script>\"><img src=x onerror=\"alert('img')\">"
    f"{{{{ request.user }}}} {RLO}gnp.exe"
)
NOTES = "<b onmouseover=alert('notes')>bold?</b> javascript:alert(1) \U0001f600"
TYPED = "</textarea><script>alert('typed')</script>=cmd"


def test_hostile_report_in_the_panel_is_text_only(page, live_server, owner, make_report):
    report = make_report(details=DETAILS, open_id=f"user{RLO}42")
    report_notes_edit(report=report, actor=owner, notes=NOTES, expected_version=report.version)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    signed_in(page, owner, live_server)

    # Through the list: the panel arrives as an HTMX swap.
    page.goto("/console/acme/reports/")
    row = page.get_by_role("row", name=re.compile(report.report_id))
    row.get_by_role("link").first.click()  # the report ID
    panel = page.get_by_role("complementary", name="Report panel")
    details = panel.get_by_text(DETAILS, exact=True)
    expect(details).to_be_visible()
    expect(panel).to_contain_text(NOTES)
    assert panel.locator("img[src=x], b[onmouseover]").count() == 0

    # The override stays inside its own element: the browser isolates it (dir="auto").
    assert details.evaluate("el => getComputedStyle(el).unicodeBidi") == "isolate"

    # Typed into the editor and saved over HTMX: comes back as text too.
    panel.get_by_label("Notes", exact=True).fill(TYPED)
    panel.get_by_role("button", name="Save notes").click()
    expect(panel.get_by_role("status")).to_have_text("Notes saved.")
    expect(panel.get_by_label("Notes", exact=True)).to_have_value(TYPED)

    # And on a direct load of the panel page.
    page.goto(f"/console/acme/reports/{report.report_id}/")
    expect(page.get_by_text(DETAILS, exact=True)).to_be_visible()
    expect(page.get_by_label("Notes", exact=True)).to_have_value(TYPED)
    assert dialogs == []
    assert page.evaluate("typeof window.__proto__") == "object"  # the page still runs
