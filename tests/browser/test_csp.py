"""Under the Content-Security-Policy, nothing the pages need is blocked (htmx, previews, admin)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from tests.factories import png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the browser sees is logged to the console, where the test collects it.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  const what = `${event.violatedDirective} ${event.blockedURI}`;
  console.error(`Content Security Policy violation: ${what}`);
});
"""


def collect_csp_violations(page) -> list[str]:
    """The list every CSP violation the page meets from now on is appended to."""
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(REPORT_VIOLATIONS)
    return violations


def session_for(page, user, live_server):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_console_help_center_and_admin_run_without_csp_violations(
    page, live_server, owner, mini_app, make_report, tmp_path
):
    violations = collect_csp_violations(page)
    report = make_report(details="The cart freezes after paying")

    # The console list, then the report panel, loaded by htmx.
    session_for(page, owner, live_server)
    page.goto(f"/console/{mini_app.slug}/reports/")
    row = page.get_by_role("row", name=re.compile(report.report_id))
    row.get_by_role("link").first.click()  # the report ID
    panel = page.get_by_role("complementary", name="Report panel")
    expect(panel.get_by_role("heading", name=f"Report {report.report_id}")).to_be_visible()
    panel.get_by_role("button", name="Resolve").click()
    expect(panel.get_by_role("status")).to_have_text("Report resolved.")

    # A help-center form, with the screenshot preview (a blob: image).
    shot = tmp_path / "evidence.png"
    shot.write_bytes(png_bytes(size=(120, 80)))
    page.goto(f"/help/{mini_app.slug}/")
    page.get_by_role("link", name=re.compile("Community Guidelines violation")).click()
    page.get_by_label(re.compile("^Screenshots")).set_input_files(str(shot))
    expect(page.get_by_role("img", name="evidence.png")).to_be_visible()

    # The Django admin: its own scripts and styles are files too.
    admin = get_user_model().objects.create_superuser(
        username="admin@example.com", email="admin@example.com", password="x"
    )
    session_for(page, admin, live_server)
    page.goto("/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto("/admin/reports/report/")
    expect(page.get_by_role("link", name=report.report_id)).to_be_visible()
    page.goto("/admin/auth/user/add/")
    expect(page.get_by_label("Username")).to_be_visible()

    assert violations == []
