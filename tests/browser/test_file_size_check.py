"""A file above the 10 MB limit is refused in the browser, before any of it is uploaded."""

import re

import pytest
from playwright.sync_api import expect

from reports.models import Category, Report
from reports.screenshots import MAX_BYTES
from reports.services import report_resolve
from tests.browser.test_csp import collect_csp_violations
from tests.factories import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TOO_LARGE = "huge.png: This image is larger than 10 MB. Please attach a smaller screenshot."


@pytest.fixture
def files(tmp_path):
    huge = tmp_path / "huge.png"
    huge.write_bytes(png_bytes() + b"\x00" * (20 * 1024 * 1024))  # a real 20 MB file
    assert huge.stat().st_size > MAX_BYTES
    small = tmp_path / "small.png"
    small.write_bytes(png_bytes())
    return huge, small


def posts_sent(page) -> list[str]:
    sent: list[str] = []
    page.on(
        "request", lambda request: sent.append(request.url) if request.method == "POST" else None
    )
    return sent


def test_the_report_form_refuses_a_20_mb_file_without_uploading_it(page, mini_app, files):
    huge, small = files
    violations = collect_csp_violations(page)
    page.goto("/help/acme/new/experience/")
    sent = posts_sent(page)
    page.get_by_role("radio", name=re.compile("crash", re.I)).first.check()
    page.get_by_label(re.compile("^Report details")).fill("The app closes on start.")
    screenshots = page.get_by_label(re.compile("^Screenshots"))
    screenshots.set_input_files(str(huge))
    expect(page.get_by_role("alert")).to_have_text(TOO_LARGE)
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_role("alert")).to_have_text(TOO_LARGE)
    expect(screenshots).to_be_focused()
    assert sent == []
    assert Report.objects.count() == 0

    # A file inside the limit clears the message and goes through.
    screenshots.set_input_files(str(small))
    expect(page.get_by_text(TOO_LARGE)).to_be_hidden()
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_role("heading", name="Report received")).to_be_visible()
    assert len(sent) == 1
    assert violations == []


def test_the_appeal_form_refuses_a_20_mb_file_without_uploading_it(
    page, mini_app, make_report, owner, files
):
    huge, _small = files
    report = make_report(Category.PAYMENT, contact_email="ana@example.net")
    report = report_resolve(report=report, actor=owner, notes="Refund refused.")
    violations = collect_csp_violations(page)
    page.goto(f"/help/acme/tickets/{report.report_id}/appeal/?key={report.access_key}")
    sent = posts_sent(page)
    page.get_by_label(re.compile("^Why do you disagree")).fill(
        "I cancelled on day 3, well inside the 14 days. Bank statement attached."
    )
    page.get_by_label(re.compile("^Screenshots")).set_input_files(str(huge))
    page.get_by_role("button", name="Submit appeal").click()
    expect(page.get_by_role("alert")).to_have_text(TOO_LARGE)
    assert sent == []
    assert violations == []


def test_files_chosen_before_the_page_script_loads_are_previewed_and_checked(page, mini_app, files):
    """On a slow connection the file field is there before help.js is: files chosen then get
    their preview and their size check once it runs (they got neither, and test_csp flaked)."""
    huge, small = files
    held = []
    page.route("**/js/help*.js", lambda route: held.append(route))
    page.goto("/help/acme/new/community/", wait_until="commit")
    screenshots = page.get_by_label(re.compile("^Screenshots"))
    screenshots.set_input_files([str(small), str(huge)])
    expect(page.get_by_role("img", name="small.png")).to_have_count(0)
    assert held, "help.js was not held back"

    held[0].continue_()
    expect(page.get_by_role("img", name="small.png")).to_be_visible()
    expect(page.get_by_role("img", name="huge.png")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_text(TOO_LARGE)
    expect(screenshots).to_have_attribute("aria-invalid", "true")
