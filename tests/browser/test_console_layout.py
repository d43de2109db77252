"""The console list's layout in a real Chromium (issue #15): the drawer, the whole row opening it,
the filter chips, the bulk bar, compact rows at 1280×800 and cards at 390 px.

The screenshots in docs/screenshots/ come from test_screenshots: set REPORTDESK_SCREENSHOTS to a
directory to keep them (otherwise they go to the test's tmp_path, so the run writes nothing else).
"""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import Category, Report, Status
from reports.services import report_resolve, reports_mark_past_due
from tests.browser.test_console import signed_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIST = "/console/acme/reports/"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def row_of(page, report):
    return page.get_by_role("row", name=re.compile(report.report_id))


def drawer(page):
    return page.get_by_role("complementary", name="Report panel")


def test_the_whole_row_opens_the_drawer_and_esc_returns_to_the_row(
    page, live_server, owner, make_report
):
    first = make_report(details="The cart freezes after paying")
    second = make_report(details="Search shows a spinner forever")
    page.set_viewport_size(DESKTOP)
    signed_in(page, owner, live_server)
    page.goto(LIST)
    list_url = page.url
    expect(drawer(page)).to_be_hidden()

    # A click on the details cell (not the link) opens the panel in the drawer.
    row_of(page, first).get_by_role("cell", name=re.compile("cart freezes")).click()
    panel = drawer(page)
    expect(panel.get_by_role("heading", name=f"Report {first.report_id}")).to_be_visible()
    region = panel.get_by_role("region", name=f"Report {first.report_id}")
    expect(region).to_be_visible()  # the drawer's content is a region labelled by its heading
    expect(row_of(page, first)).to_have_attribute("aria-selected", "true")
    expect(row_of(page, first)).to_have_class(re.compile(r"\bis-open\b"))
    assert page.url == list_url  # the list keeps its URL; the panel has its own page:
    own_page = panel.get_by_role("link", name="Open on its own page")
    expect(own_page).to_have_attribute(
        "href", reverse("reports:report_detail", args=["acme", first.report_id])
    )
    # The drawer sits over the list's right side, not over its whole width (measured once its
    # 160 ms slide-in has ended: mid-slide it stands a few pixels further right).
    panel.evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")
    box = panel.bounding_box()
    assert box["x"] > 500 and box["x"] + box["width"] <= DESKTOP["width"] + 1

    # Another row's link moves the highlight.
    row_of(page, second).get_by_role("link", name=second.report_id).click()
    expect(panel.get_by_role("heading", name=f"Report {second.report_id}")).to_be_visible()
    expect(row_of(page, second)).to_have_attribute("aria-selected", "true")
    expect(row_of(page, first)).not_to_have_attribute("aria-selected", "true")

    page.keyboard.press("Escape")
    expect(drawer(page)).to_be_hidden()
    expect(row_of(page, second)).not_to_have_class(re.compile(r"\bis-open\b"))
    expect(row_of(page, second).get_by_role("link", name=second.report_id)).to_be_focused()
    assert page.url == list_url

    # The close button does the same; the checkbox selects without opening.
    row_of(page, first).get_by_role("link", name=first.report_id).click()
    drawer(page).get_by_role("button", name="Close the panel").click()
    expect(drawer(page)).to_be_hidden()
    expect(row_of(page, first).get_by_role("link", name=first.report_id)).to_be_focused()
    page.get_by_label(f"Select report {first.report_id}").check()
    expect(drawer(page)).to_be_hidden()


def test_a_decision_in_the_drawer_keeps_the_row_highlighted(page, live_server, owner, make_report):
    report = make_report()
    signed_in(page, owner, live_server)
    page.goto(LIST)
    row_of(page, report).get_by_role("link", name=report.report_id).click()
    drawer(page).get_by_role("button", name="Resolve").click()
    expect(drawer(page).get_by_role("status")).to_have_text("Report resolved.")
    expect(row_of(page, report)).to_contain_text("Resolved")  # swapped out of band
    expect(row_of(page, report)).to_have_attribute("aria-selected", "true")


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280", "390"])
def test_resolve_and_dismiss_stay_in_view_while_writing_notes_on_a_long_report(
    page, live_server, owner, make_report, size
):
    """A long report pushes the decision far below the notes; while the notes are in view, the
    Resolve and Dismiss bar stays on the drawer's bottom edge, and the focused field above it."""
    report = make_report(details="\n".join(f"Step {n}: tapped Pay again." for n in range(40)))
    page.set_viewport_size(size)
    signed_in(page, owner, live_server)
    page.goto(LIST)
    row_of(page, report).get_by_role("link", name=report.report_id).click()
    panel = drawer(page)
    expect(panel.get_by_role("heading", name=f"Report {report.report_id}")).to_be_visible()
    panel.evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")
    assert panel.evaluate("el => el.scrollHeight > 2 * el.clientHeight")  # really long

    notes = panel.get_by_label("Notes", exact=True)
    notes.focus()
    resolve = panel.get_by_role("button", name="Resolve")
    dismiss = panel.get_by_role("button", name="Dismiss")
    for button in (resolve, dismiss):
        box = button.bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= size["height"], box
    notes_box, bar_box = notes.bounding_box(), resolve.bounding_box()
    assert notes_box["y"] + notes_box["height"] <= bar_box["y"]  # the focused field is not under it

    notes.fill("Refunded the second charge.")
    resolve.click()
    expect(panel.get_by_role("status")).to_have_text("Report resolved.")
    report.refresh_from_db()
    assert report.status == Status.RESOLVED and report.notes == "Refunded the second charge."


def test_the_panels_own_page_is_full_width_with_an_h1(page, live_server, owner, make_report):
    report = make_report()
    page.set_viewport_size(DESKTOP)
    signed_in(page, owner, live_server)
    page.goto(reverse("reports:report_detail", args=["acme", report.report_id]))
    heading = page.get_by_role("heading", level=1, name=f"Report {report.report_id}")
    expect(heading).to_be_visible()
    expect(page.get_by_role("link", name="Open on its own page")).to_have_count(0)
    assert page.locator("#panel").bounding_box()["width"] > 1100

    # A form posted from the page (through htmx) keeps the page's <h1>.
    page.get_by_label("Notes", exact=True).fill("Seen on 3.2.1.")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("status")).to_have_text("Notes saved.")
    expect(heading).to_be_visible()
    expect(page.get_by_role("link", name="Open on its own page")).to_have_count(0)


def test_filters_show_as_chips_that_remove_themselves(page, live_server, owner, make_report):
    refund = make_report(Category.PAYMENT, details="Refund please", order_id="ORD-77")
    crash = make_report(details="Crash on start")
    signed_in(page, owner, live_server)
    page.goto(LIST)
    expect(page.get_by_role("link", name=re.compile("remove this filter"))).to_have_count(0)

    # A filter chosen in a toolbar menu applies at once and shows as a chip.
    page.get_by_text("Category", exact=True).first.click()
    page.get_by_label("Category").select_option(value="payment")
    chip = page.get_by_role("link", name=re.compile(r"Category: Payment.*remove this filter"))
    expect(chip).to_be_visible()
    expect(row_of(page, crash)).to_have_count(0)
    page.get_by_label("Search", exact=True).fill("Refund")
    expect(page.get_by_role("link", name=re.compile("Search: Refund"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"category=payment"))

    chip.click()
    expect(page).not_to_have_url(re.compile("category="))
    expect(page).to_have_url(re.compile(r"q=Refund"))
    expect(page.get_by_label("Category")).to_have_value("")
    expect(page.get_by_role("link", name=re.compile("Category: "))).to_have_count(0)
    expect(row_of(page, refund)).to_be_visible()

    page.get_by_role("link", name="Clear all").click()
    expect(page.get_by_role("link", name=re.compile("remove this filter"))).to_have_count(0)
    expect(page.get_by_label("Search", exact=True)).to_have_value("")
    expect(row_of(page, crash)).to_be_visible()


def test_leaving_the_search_box_does_not_ask_for_the_list_again(
    page, live_server, owner, make_report
):
    """Typing asks for the list; the search box's change on leaving it must not ask for the
    same list again (that late answer would re-render the rows under the cursor)."""
    make_report(Category.PAYMENT, details="The refund freezes")
    signed_in(page, owner, live_server)
    page.goto(LIST)
    asked = []
    page.on(
        "request",
        lambda request: (
            asked.append(request.url) if request.url.split("?")[0].endswith(LIST) else 0
        ),
    )
    page.get_by_label("Search", exact=True).fill("freezes")
    expect(page).to_have_url(re.compile(r"q=freezes"))
    page.keyboard.press("Tab")  # leaves the box: its change event
    page.get_by_text("Category", exact=True).first.click()
    page.get_by_label("Category").select_option(value="payment")
    expect(page).to_have_url(re.compile(r"category=payment"))
    assert len(asked) == 2, asked  # the search, then the category: nothing in between


def test_the_bulk_bar_appears_only_while_rows_are_selected(page, live_server, owner, make_report):
    one, two = make_report(), make_report()
    signed_in(page, owner, live_server)
    page.goto(LIST)
    bar = page.get_by_role("form", name=re.compile("selected|Handle several"))
    resolve = page.get_by_role("button", name="Resolve selected")
    expect(resolve).to_be_hidden()

    page.get_by_label(f"Select report {one.report_id}").check()
    expect(resolve).to_be_visible()
    expect(bar).to_contain_text("1 selected")
    page.get_by_label(f"Select report {two.report_id}").check()
    expect(bar).to_contain_text("2 selected")
    page.get_by_label(f"Select report {one.report_id}").uncheck()
    page.get_by_label(f"Select report {two.report_id}").uncheck()
    expect(resolve).to_be_hidden()

    page.get_by_label("Select all reports on this page").check()
    expect(bar).to_contain_text("2 selected")
    resolve.click()
    expect(page.get_by_text("Resolved 2 reports")).to_be_visible()
    assert set(Report.objects.values_list("status", flat=True)) == {Status.RESOLVED}


def test_the_bulk_form_stays_visible_without_javascript(chromium, live_server, owner, make_report):
    make_report()
    context = chromium.new_context(
        base_url=live_server.url, java_script_enabled=False, timezone_id="UTC"
    )
    try:
        page = signed_in(context.new_page(), owner, live_server)
        page.goto(LIST)
        expect(page.get_by_role("button", name="Resolve selected")).to_be_visible()
    finally:
        context.close()


def test_status_pills_past_due_in_red_and_time_left_amber(page, live_server, owner, make_report):
    late = make_report(now=timezone.now() - timedelta(days=4))
    reports_mark_past_due()
    soon = make_report()
    Report.objects.filter(pk=soon.pk).update(due_at=timezone.now() + timedelta(hours=5, minutes=5))
    signed_in(page, owner, live_server)
    page.goto(LIST)
    pill = row_of(page, late).get_by_text(re.compile(r"^Past due · \d+ (d|h)$"))
    expect(pill).to_be_visible()
    color = pill.evaluate("e => getComputedStyle(e).color")
    red, green, blue = map(int, re.findall(r"\d+", color)[:3])
    assert red > 120 and green < 80 and blue < 80, color
    left = row_of(page, soon).get_by_text("5 h left")
    expect(left).to_have_class(re.compile(r"\bsoon\b"))


def test_fifty_compact_rows_fit_in_two_screens_with_ids_on_one_line(
    page, live_server, owner, make_report
):
    long_order = "ORD-NOEMAIL-" + "7" * 40
    for index in range(50):
        make_report(
            Category.PAYMENT,
            details="The payment went through but the order stays unpaid. " * 6,
            order_id=f"{long_order}-{index}",
            open_id=f"oPENID_{index:02d}_abcdefghijklmnopqrstuvwxyz",
        )
    page.set_viewport_size(DESKTOP)
    signed_in(page, owner, live_server)
    page.goto(LIST)
    expect(page.get_by_role("row")).to_have_count(51)
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= 1700, f"50 rows make a {height} px page"
    # Every ID, order ID and Open ID on one line (no mid-token break), ellipsis when too long,
    # the whole value in the cell's title; the details on one line too.
    lines = page.evaluate(
        """() => [...document.querySelectorAll(
                '[data-report-row] .mono, [data-report-row] .details')]
             .map(e => ({h: e.getBoundingClientRect().height, w: e.scrollWidth > e.clientWidth,
                         title: e.title, text: e.textContent}))"""
    )
    assert lines and all(line["h"] <= 30 for line in lines), lines[:3]  # 2 lines: 44 px
    orders = [line for line in lines if line["text"].startswith(long_order)]
    assert orders and all(line["title"] == line["text"] for line in orders)
    # The header row stays at the top of the screen while the list scrolls.
    page.mouse.wheel(0, 900)
    page.wait_for_function("window.scrollY > 500")
    header = page.get_by_role("columnheader", name="Report ID").bounding_box()
    assert -1 <= header["y"] <= 2, header


def test_at_390_px_rows_are_cards_and_nothing_scrolls_sideways(
    page, live_server, owner, make_report
):
    report = make_report(
        Category.PAYMENT,
        details="A very long explanation without spaces " + "x" * 200,
        order_id="ORD-NOEMAIL-" + "9" * 48,  # 60 of the 64 allowed
    )
    page.set_viewport_size(PHONE)
    signed_in(page, owner, live_server)
    page.goto(LIST + "?category=payment")

    def no_sideways_scroll():
        width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert width <= inner, f"the page is {width} px wide at {inner} px"

    no_sideways_scroll()
    row_box = row_of(page, report).bounding_box()
    assert row_box["width"] <= PHONE["width"]
    # The header's items do not overlap one another.
    boxes = page.evaluate(
        """() => [...document.querySelectorAll(
                'header.topbar a, header.topbar button, header.topbar summary, header.topbar span')]
             .filter(e => e.checkVisibility() && !e.closest('.visually-hidden'))
             .map(e => { const r = e.getBoundingClientRect(), t = e.textContent.trim();
                         return {t: t, x: r.x, y: r.y, r: r.right, b: r.bottom}; })"""
    )
    leaves = [b for b in boxes if b["t"]]
    for i, a in enumerate(leaves):
        assert a["r"] <= PHONE["width"] + 0.5, a
        for b in leaves[i + 1 :]:
            if a["t"] in b["t"] or b["t"] in a["t"]:
                continue  # an element and its own content
            overlap_x = min(a["r"], b["r"]) - max(a["x"], b["x"])
            overlap_y = min(a["b"], b["b"]) - max(a["y"], b["y"])
            assert overlap_x <= 1 or overlap_y <= 1, (a, b)

    row_of(page, report).get_by_role("link", name=report.report_id).click()
    expect(drawer(page).get_by_role("heading", name=f"Report {report.report_id}")).to_be_visible()
    no_sideways_scroll()
    page.keyboard.press("Escape")  # at 390 px the drawer covers the whole list
    page.get_by_text("Category", exact=True).first.click()
    expect(page.get_by_label("Category")).to_be_visible()
    no_sideways_scroll()


def test_screenshots(page, live_server, owner, make_report, screenshot, tmp_path):
    """The pictures in docs/screenshots/ (REPORTDESK_SCREENSHOTS=docs/screenshots to refresh)."""
    out = Path(os.environ.get("REPORTDESK_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    old = timezone.now() - timedelta(days=3, hours=2)
    samples = [
        (Category.PAYMENT, "Charged twice for order, refund only one of them", "ORD-2026-118842"),
        (Category.EXPERIENCE, "App freezes on the checkout screen after tapping Pay", ""),
        (Category.PAYMENT, "Payment went through but the order still says unpaid", "ORD-NOEMAIL-1"),
        (Category.COMMUNITY, "", ""),
        (Category.EXPERIENCE, "Search shows a spinner forever when I type an emoji", ""),
    ]
    reports = []
    for index in range(14):
        category, details, order = samples[index % len(samples)]
        fields = {"details": details} if details else {}
        if order:
            fields["order_id"] = f"{order}-{index}"
        if index % 4 == 1:
            fields["now"] = old
        if index % 3 == 0:
            fields["screenshots"] = [screenshot]
        reports.append(make_report(category, **fields))
    reports_mark_past_due()
    Report.objects.filter(pk=reports[2].pk).update(due_at=timezone.now() + timedelta(hours=6))
    report_resolve(report=Report.objects.get(pk=reports[3].pk), actor=owner)
    signed_in(page, owner, live_server)
    for name, size in (("1280", DESKTOP), ("390", PHONE)):
        page.set_viewport_size(size)
        page.goto(LIST)
        page.screenshot(path=str(out / f"console-list-{name}.png"))
        row_of(page, reports[-1]).get_by_role("link", name=reports[-1].report_id).click()
        expect(drawer(page).get_by_role("heading", level=2)).to_be_visible()
        page.wait_for_timeout(250)  # the drawer's slide-in
        page.screenshot(path=str(out / f"console-drawer-{name}.png"))
    page.set_viewport_size(DESKTOP)
    page.goto(LIST + "?category=payment&past_due=true")
    page.get_by_label(f"Select report {reports[5].report_id}").check()
    page.screenshot(path=str(out / "console-chips-bulk-1280.png"))
    assert len(list(out.glob("console-*.png"))) == 5
