"""The console by keyboard only (static/js/console_keys.js), in a real Chromium."""

import re

import pytest
from playwright.sync_api import expect

from reports.models import Status
from tests.browser.test_console import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def selected_ids(page) -> list[str]:
    return page.eval_on_selector_all("[data-report-row].is-selected", "rows => rows.map(r => r.id)")


def focused_row(page) -> str | None:
    return page.evaluate(
        "() => { const r = document.activeElement.closest('[data-report-row]'); "
        "return r ? r.id : null; }"
    )


def test_a_whole_handling_session_by_keyboard(page, live_server, owner, make_report):
    older = make_report(details="The cart freezes after paying")
    newer = make_report(details="The cart freezes on the second try")
    other = make_report(details="Search shows a spinner forever")
    signed_in(page, owner, live_server)
    page.goto("/console/acme/reports/")
    expect(page.get_by_role("button", name="Press ? for keyboard shortcuts")).to_be_visible()
    keys = page.keyboard
    search = page.locator("#id_q")

    # `/` focuses the search box; letters typed there are text, never shortcuts.
    keys.press("/")
    expect(search).to_be_focused()
    keys.type("j")
    expect(search).to_have_value("j")
    assert selected_ids(page) == []
    keys.press("Backspace")
    keys.type("freezes")
    expect(page.locator(f"#row-{other.report_id}")).to_have_count(0)
    expect(page.locator("[data-report-row]")).to_have_count(2)
    assert selected_ids(page) == []
    expect(page).to_have_url(re.compile(r"q=freezes"))
    page.wait_for_load_state("networkidle")

    # Esc leaves the search box, keeping the search; j/k move the selection.
    keys.press("Escape")
    expect(search).not_to_be_focused()
    expect(search).to_have_value("freezes")
    keys.press("j")
    assert selected_ids(page) == [f"row-{newer.report_id}"]
    keys.press("j")
    assert selected_ids(page) == [f"row-{older.report_id}"]
    keys.press("k")
    assert selected_ids(page) == [f"row-{newer.report_id}"]
    assert focused_row(page) == f"row-{newer.report_id}"

    # Enter opens the selected report's panel.
    panel = page.locator("#panel")
    keys.press("Enter")
    expect(panel.get_by_role("heading", name=f"Report {newer.report_id}")).to_be_visible()
    expect(page.locator("#panel-title")).to_be_focused()  # the panel takes focus once swapped

    # n: the notes; Ctrl+Enter saves them.
    keys.press("n")
    expect(page.locator("#id_notes")).to_be_focused()
    keys.type("Reproduced on 3.2.1.")
    keys.press("r")  # typed into the notes, not a shortcut
    expect(page.locator("#id_notes")).to_have_value("Reproduced on 3.2.1.r")
    keys.press("Backspace")
    keys.press("Control+Enter")
    expect(panel.get_by_role("status")).to_have_text("Notes saved.")
    expect(page.locator("#panel-title")).to_be_focused()  # out of the (replaced) notes box

    # r resolves the open report.
    keys.press("r")
    expect(panel.get_by_role("status")).to_have_text("Report resolved.")
    expect(page.locator("#panel-title")).to_be_focused()
    expect(page.locator(f"#row-{newer.report_id}")).to_contain_text("Resolved")
    newer.refresh_from_db()
    assert (newer.status, newer.notes) == (Status.RESOLVED, "Reproduced on 3.2.1.")
    # The row re-rendered beside the panel keeps the keyboard selection.
    assert selected_ids(page) == [f"row-{newer.report_id}"]

    # The next report: d asks for the reason and dismisses nothing without one.
    keys.press("j")
    keys.press("o")
    expect(panel.get_by_role("heading", name=f"Report {older.report_id}")).to_be_visible()
    expect(page.locator("#panel-title")).to_be_focused()
    keys.press("d")
    reason = page.locator("#id_reason")
    expect(reason).to_be_focused()
    keys.press("Enter")  # no reason chosen yet
    expect(page.locator("#kbd-status")).to_contain_text("Choose a reason first")
    older.refresh_from_db()
    assert older.status == Status.PENDING
    keys.press("ArrowDown")
    expect(reason).not_to_have_value("")
    keys.press("Enter")
    expect(panel.get_by_role("status")).to_have_text("Report dismissed.")
    older.refresh_from_db()
    assert older.status == Status.DISMISSED and older.dismiss_reason

    # Esc closes the panel and puts focus back on the report's row; again, nothing breaks.
    keys.press("Escape")
    expect(panel.get_by_role("heading")).to_have_count(0)
    assert focused_row(page) == f"row-{older.report_id}"
    keys.press("Escape")
    assert focused_row(page) == f"row-{older.report_id}"
    assert selected_ids(page) == [f"row-{older.report_id}"]

    # ? shows the shortcuts in a dialog; Esc closes it, focus comes back.
    keys.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for key in ("/", "j", "k", "Enter", "Esc", "n", "r", "d", "?"):
        listed = dialog.locator("kbd", has_text=re.compile(f"^{re.escape(key)}$"))
        expect(listed).not_to_have_count(0)
    keys.press("j")  # the dialog is open: no shortcut runs behind it
    assert selected_ids(page) == [f"row-{older.report_id}"]
    keys.press("Escape")
    expect(dialog).to_be_hidden()
    assert focused_row(page) == f"row-{older.report_id}"
    # The page was never reloaded: the search is still the one typed.
    expect(page).to_have_url(re.compile(r"\?q=freezes"))


def test_modifier_keys_pass_through(page, live_server, owner, make_report):
    make_report()
    signed_in(page, owner, live_server)
    page.goto("/console/acme/reports/")
    page.keyboard.press("Control+j")
    page.keyboard.press("Alt+j")
    assert selected_ids(page) == []


def test_a_viewer_reads_but_the_handling_keys_do_nothing(page, live_server, viewer, make_report):
    report = make_report()
    signed_in(page, viewer, live_server)
    page.goto("/console/acme/reports/")
    keys = page.keyboard
    keys.press("j")
    keys.press("Enter")
    title = page.locator("#panel").get_by_role("heading", name=f"Report {report.report_id}")
    expect(title).to_be_visible()
    for key in ("r", "d", "n"):
        keys.press(key)
        expect(page.locator("#kbd-status")).to_contain_text("Viewer role")
    report.refresh_from_db()
    assert report.status == Status.PENDING
    keys.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    expect(dialog.locator("kbd", has_text=re.compile("^r$"))).to_have_count(0)
