"""axe-core over every page of the help center, the console and the admin: 0 violations.

axe-core comes from npm (package.json, installed by `npm ci` before the tests run) and is read
from node_modules: nothing is downloaded at test time. It is evaluated through DevTools
(page.evaluate), not added as a <script>: our CSP forbids inline scripts, and a CSP-exempt
injection keeps the page's policy exactly as served.
"""

import functools
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from appeals.services import appeal_submit
from reports.models import Category, Membership
from reports.services import Dismissal, report_dismiss, report_reply, report_resolve

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE_SOURCE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# WCAG 2.0, 2.1 and 2.2, levels A and AA, and axe's best practices (one <h1>, landmarks):
# every impact level counts.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}


@functools.cache
def axe_source() -> str:
    if not AXE_SOURCE.exists():
        pytest.fail(f"{AXE_SOURCE} is missing: run `make node-modules` (npm ci) first.")
    return AXE_SOURCE.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now: id, impact, help and each target."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_source())
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [" ".join(map(str, node["target"])) for node in violation["nodes"]],
        }
        for violation in results["violations"]
    ]


def readable(violations: list[dict]) -> str:
    lines = [f"{len(violations)} axe-core violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
        lines.extend(f"    at {target}" for target in violation["targets"])
    return "\n".join(lines)


def signed_in(page, user, live_server) -> None:
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


@pytest.fixture
def site(owner, mini_app, other_app, make_report, screenshot, settings) -> dict:
    """One of everything the pages show: a pending report with a screenshot, a resolved
    payment report with an open appeal, an owner of two apps, and an admin."""
    Membership.objects.create(mini_app=other_app, user=owner)
    pending = make_report(
        details="The cart freezes after paying",
        contact_email="r@example.net",
        screenshots=[screenshot],
    )
    payment = report_resolve(
        report=make_report(Category.PAYMENT, contact_email="payer@example.net"),
        actor=owner,
        notes="Refund sent.",
    )
    appealable = report_resolve(
        report=make_report(Category.PAYMENT, contact_email="other@example.net"),
        actor=owner,
    )
    appeal = appeal_submit(
        report=payment,
        contact_email="payer@example.net",
        reason="The refund never arrived, my bank shows no credit for the order.",
    )
    admin = get_user_model().objects.create_superuser(
        username="admin@example.com", email="admin@example.com", password="x"
    )
    return {
        "owner": owner,
        "app": mini_app,
        "pending": pending,
        "appealable": appealable,
        "appeal": appeal,
        "admin": admin,
        "settings": settings,
    }


def status_path(report) -> str:
    path = reverse("tickets:report_status", args=[report.mini_app.slug, report.report_id])
    return f"{path}?key={report.access_key}"


# --- Each page, reached as a person would; each function leaves the page ready to audit.


def help_home(page, site, live_server):
    page.goto("/help/acme/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def report_form(category):
    def visit(page, site, live_server):
        page.goto(f"/help/acme/new/{category}/")
        expect(page.get_by_role("button", name="Submit report")).to_be_visible()

    return visit


def report_form_with_errors(page, site, live_server):
    page.goto("/help/acme/new/payment/")
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_role("alert")).to_contain_text("Please correct the following")


def report_status(page, site, live_server):
    page.goto(status_path(site["pending"]))
    expect(page.get_by_text(site["pending"].report_id).first).to_be_visible()


def report_status_handled(page, site, live_server):
    page.goto(status_path(site["appealable"]))
    expect(page.get_by_text(site["appealable"].report_id).first).to_be_visible()


def appeal_form(page, site, live_server):
    report = site["appealable"]
    page.goto(f"/help/acme/tickets/{report.report_id}/appeal/?key={report.access_key}")
    expect(page.get_by_role("button", name="Submit appeal")).to_be_visible()


def appeal_form_with_errors(page, site, live_server):
    appeal_form(page, site, live_server)
    page.get_by_role("button", name="Submit appeal").click()
    expect(page.get_by_role("alert").first).to_be_visible()


def duplicate_report(page, site, live_server):
    page.goto("/help/acme/new/experience/")
    page.get_by_label("App crashes or freezes").check()
    page.get_by_label(re.compile("^Report details")).fill("The cart freezes after paying")
    page.get_by_label(re.compile("^Your e-mail")).fill("r@example.net")
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_role("heading", name="You already sent this report")).to_be_visible()


def status_page_appealed(page, site, live_server):
    page.goto(status_path(site["appeal"].report))
    expect(page.get_by_text(site["appeal"].report.report_id).first).to_be_visible()


def check_report_sent(page, site, live_server):
    page.goto("/help/acme/")
    page.get_by_label("Report ID").fill(site["pending"].report_id)
    page.get_by_label("E-mail", exact=False).last.fill("r@example.net")
    page.get_by_role("button", name="Send the status link").click()
    expect(page.get_by_role("status")).to_contain_text("we have sent its status link")


def check_report_with_errors(page, site, live_server):
    page.goto("/help/acme/")
    page.get_by_role("button", name="Send the status link").click()
    expect(page.get_by_role("heading", name="Check a report")).to_be_visible()


def sign_in(page, site, live_server):
    page.goto("/accounts/login/")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()


def sign_in_with_errors(page, site, live_server):
    page.goto("/accounts/login/")
    page.get_by_label("E-mail or username").fill("owner@acme.example")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert").first).to_be_visible()


def console(path, ready):
    def visit(page, site, live_server):
        signed_in(page, site["owner"], live_server)
        page.goto(path(site) if callable(path) else path)
        ready(page, site)

    return visit


def heading(name):
    return lambda page, site: expect(page.get_by_role("heading", name=name).first).to_be_visible()


def report_list_filtered(page, site):
    expect(page.get_by_label("Search", exact=True)).to_have_value("freezes")


def panel_fragment(page, site):
    row = page.get_by_role("row", name=re.compile(site["pending"].report_id))
    row.get_by_role("link").first.click()  # the report ID
    panel = page.get_by_role("complementary", name="Report panel")
    expect(panel.get_by_role("heading", name=f"Report {site['pending'].report_id}")).to_be_visible()


def list_menu_open(page, site):
    page.get_by_text("Issue type", exact=True).first.click()
    expect(page.get_by_label("Issue type")).to_be_visible()


def list_bulk_bar_shown(page, site):
    page.get_by_label(f"Select report {site['pending'].report_id}").check()
    expect(page.get_by_text("1 selected")).to_be_visible()


def narrow(ready):
    def visit(page, site):
        page.set_viewport_size({"width": 390, "height": 844})
        ready(page, site)

    return visit


def panel_saved(page, site):
    page.get_by_label("Notes", exact=True).fill("Reproduced on 3.2.1.")
    page.get_by_role("button", name="Save notes").click()
    expect(page.get_by_role("status").first).to_have_text("Notes saved.")


def admin(path, ready):
    def visit(page, site, live_server):
        signed_in(page, site["admin"], live_server)
        page.goto(path(site) if callable(path) else path)
        ready(page)

    return visit


def admin_login(page, site, live_server):
    page.goto("/admin/login/")
    expect(page.get_by_role("button", name="Log in")).to_be_visible()


def admin_appeal_decision(page, site, live_server):
    signed_in(page, site["admin"], live_server)
    page.goto("/admin/appeals/appeal/")
    page.get_by_role("checkbox", name=re.compile(site["appeal"].report.report_id)).check()
    page.get_by_label("Action:").select_option("uphold_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.get_by_role("heading", name="Uphold appeals")).to_be_visible()


def admin_heading(name):
    return lambda page: expect(page.get_by_role("heading", name=name).first).to_be_visible()


def error_page(path, heading, language="en"):
    """An error page as production serves it: DEBUG off, with pages that fail on purpose
    (tests/error_urls.py); console pages for a signed-in developer."""

    def visit(page, site, live_server):
        site["settings"].DEBUG = False
        site["settings"].ROOT_URLCONF = "tests.error_urls"
        if path.startswith("/console/"):
            signed_in(page, site["owner"], live_server)
        page.set_extra_http_headers({"Accept-Language": language})
        page.goto(path)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)

    return visit


def conversation(site):
    """The pending report after a reply, information added with a screenshot, and a dismissal
    with a reason: every new kind of line on the status page and in the panel."""
    from reports.screenshots import image_process
    from tests.factories import png_bytes, upload
    from tickets.services import report_information_add

    report = site["pending"]
    report_reply(report=report, actor=site["owner"], text="Which app version do you use?")
    report_information_add(
        report=report, text="Version 3.2.1", screenshots=[image_process(upload(png_bytes()))]
    )
    report.refresh_from_db()
    dismissal = Dismissal("duplicate", duplicate_of=site["appealable"].report_id)
    return report_dismiss(report=report, actor=site["owner"], dismissal=dismissal, reply="Dup.")


def reporter_replied(site) -> str:
    from tickets.services import report_information_add

    report_information_add(report=site["pending"], text="Version 3.2.1")
    return "/console/acme/reports/?reporter_replied=true"


def status_page_conversation(page, site, live_server):
    report = conversation(site)
    page.goto(status_path(report))
    expect(page.get_by_role("heading", name="Add information")).to_be_visible()


def status_page_add_information_errors(page, site, live_server):
    page.goto(status_path(site["pending"]))
    page.get_by_role("button", name="Add information").click()
    expect(page.get_by_role("alert").first).to_contain_text("Write something")


def status_page_closed_to_information(page, site, live_server):
    from datetime import timedelta

    from django.utils import timezone

    from reports.models import Report

    report = site["appealable"]
    Report.objects.filter(pk=report.pk).update(handled_at=timezone.now() - timedelta(days=8))
    page.goto(status_path(report))
    expect(page.get_by_text("no longer takes new information")).to_be_visible()


def panel_conversation(page, site):
    expect(page.get_by_text("Version 3.2.1")).to_be_visible()


def panel_dismiss_without_reason(page, site):
    page.get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("alert").first).to_contain_text("Choose why you dismiss")


def shortcuts_dialog_open(page, site):
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()


def polling_every_second(site) -> str:
    site["settings"].CONSOLE_NEW_REPORTS_POLL_SECONDS = 1
    return "/console/acme/reports/"


def new_reports_notice(page, site):
    from reports.services import ReportInput, report_submit
    from tests.factories import issue_type

    expect(page.locator("[data-report-row]").first).to_be_visible()
    report_submit(
        mini_app=site["app"],
        data=ReportInput(
            category=Category.EXPERIENCE,
            issue_type=issue_type("experience.crash"),
            details="Filed while the list was open",
        ),
    )
    expect(page.get_by_role("button", name="1 new report, show it")).to_be_visible()


def saved_reply(site):
    from reports.services import saved_reply_save

    return saved_reply_save(
        mini_app=site["app"],
        actor=site["owner"],
        title="Thanks",
        body="Thanks for report {report_id}.",
    )


def panel_saved_reply_inserted(page, site):
    page.get_by_role("button", name="Insert saved reply").click()
    expect(page.get_by_label("Reply to reporter")).to_have_value(
        f"Thanks for report {site['pending'].report_id}."
    )


def saved_views(site) -> str:
    """A private and a shared view of the owner, and a teammate's shared one (issue 15)."""
    from reports.services import saved_view_save

    app, owner = site["app"], site["owner"]
    saved_view_save(mini_app=app, actor=owner, name="Mine", query="q=freezes", shared=False)
    saved_view_save(
        mini_app=app, actor=owner, name="Payment, past due", query="category=payment", shared=True
    )
    return "/console/acme/reports/?q=freezes"


def list_with_saved_views(page, site):
    nav = page.get_by_role("navigation", name="Saved views")
    expect(nav.get_by_role("link", name="Mine")).to_have_attribute("aria-current", "page")
    page.get_by_text("Save this view").click()  # the save form open, too
    expect(page.get_by_label("Name of the view")).to_be_visible()


def saved_view_refused(page):
    page.get_by_text("Save this view").click()
    page.get_by_label("Name of the view").fill("   ")  # blank once stripped: refused
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_role("alert").first).to_contain_text("Name the view")


def panel_with_assign_form_assigned(page, site):
    page.get_by_role("button", name="Assign to me").click()
    expect(page.get_by_role("status").first).to_have_text("Report assigned to you.")
    expect(page.get_by_label("Assign to")).to_be_visible()


def panel_assign_fragment(page, site):
    panel_fragment(page, site)
    page.get_by_role("button", name="Assign to me").click()
    expect(page.locator("#panel").get_by_role("status")).to_have_text("Report assigned to you.")


def csrf_failure_on_the_help_center(page, site, live_server):
    site["settings"].DEBUG = False
    page.goto("/help/acme/new/experience/")
    page.context.clear_cookies()  # the form's CSRF cookie is gone, as after a long pause
    page.get_by_role("button", name="Submit report").click()
    expect(page.get_by_role("heading", name="This form has expired")).to_be_visible()


# --- The team, invitations, passwords


TOKEN = "axe-invitation-token-0123456789abcdefghij"


def _invitation(site, **fields):
    from django.utils import timezone

    from reports.models import Invitation
    from reports.team.services import token_hash

    now = timezone.now()
    values = {
        "mini_app": site["app"],
        "email": "invitee@example.org",
        "role": "handler",
        "token_hash": token_hash(TOKEN),
        "invited_by": site["owner"],
        "expires_at": now + Invitation.VALID_FOR,
        **fields,
    }
    return Invitation.objects.create(**values)


def team_page(page, site, live_server):
    from reports.services import app_event_record

    _invitation(site)
    app_event_record(
        mini_app=site["app"], kind="member_invited", actor=site["owner"], email="x@example.org"
    )
    signed_in(page, site["owner"], live_server)
    page.goto("/console/acme/team/")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()


def team_page_with_errors(page, site, live_server):
    signed_in(page, site["owner"], live_server)
    page.goto("/console/acme/team/")
    page.get_by_label("E-mail address").fill("not an address")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("alert").first).to_be_visible()


def team_page_as_viewer(page, site, live_server):
    viewer = get_user_model().objects.create_user(
        username="v@acme.example", email="v@acme.example", password="x"
    )
    Membership.objects.create(mini_app=site["app"], user=viewer, role="viewer")
    signed_in(page, viewer, live_server)
    page.goto("/console/acme/team/")
    expect(page.get_by_text("Only owners invite people")).to_be_visible()


def invitation_page(page, site, live_server):
    _invitation(site)
    page.goto(f"/accounts/invitations/{TOKEN}/")
    expect(page.get_by_role("button", name="Create account and join")).to_be_visible()


def invitation_page_with_errors(page, site, live_server):
    invitation_page(page, site, live_server)
    page.get_by_label("Password", exact=True).fill("123")
    page.get_by_role("button", name="Create account and join").click()
    expect(page.get_by_role("alert").first).to_be_visible()


def invitation_wrong_account(page, site, live_server):
    _invitation(site)
    signed_in(page, site["owner"], live_server)
    page.goto(f"/accounts/invitations/{TOKEN}/")
    expect(page.get_by_role("alert")).to_contain_text("this invitation is for")


def invitation_expired(page, site, live_server):
    from django.utils import timezone

    _invitation(site, expires_at=timezone.now())
    page.goto(f"/accounts/invitations/{TOKEN}/")
    expect(page.get_by_role("heading", name="This invitation has expired")).to_be_visible()


def password_reset_with_errors(page, site, live_server):
    page.goto("/accounts/password_reset/")
    page.get_by_label("Email").fill("not an address")
    page.get_by_role("button", name="Send reset link").click()
    expect(page.get_by_role("alert").first).to_be_visible()


def password_change_with_errors(page, site, live_server):
    signed_in(page, site["owner"], live_server)
    page.goto("/accounts/password_change/")
    page.get_by_label("Old password").fill("wrong")
    page.get_by_label("New password", exact=True).fill("a brand new passphrase 77")
    page.get_by_label("New password confirmation").fill("a brand new passphrase 77")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_role("alert").first).to_be_visible()


def app_switcher_open(page, site, live_server):
    signed_in(page, site["owner"], live_server)
    page.goto("/console/acme/reports/")
    page.get_by_text("Acme Shop: switch to another mini app").click()
    expect(page.get_by_role("link", name=re.compile("Globex"))).to_be_visible()


def plain(path, heading_name):
    def visit(page, site, live_server):
        page.goto(path)
        expect(page.get_by_role("heading", name=heading_name)).to_be_visible()

    return visit


def with_faq(site) -> None:
    from reports.models import FaqEntry, HelpIntro

    HelpIntro.objects.get_or_create(
        mini_app=site["app"], language="en", defaults={"text": "Welcome to Acme help."}
    )
    FaqEntry.objects.get_or_create(
        mini_app=site["app"],
        language="en",
        question="Where is my refund?",
        defaults={"answer": "Refunds arrive within 5 days.", "position": 1},
    )


def settings_revealed(page, site, live_server):
    with_faq(site)
    signed_in(page, site["owner"], live_server)
    page.goto("/console/acme/settings/")
    page.get_by_role("button", name="Reveal the signing secret").click()
    expect(page.get_by_label("Current secret")).to_have_value("s3cret")


def settings_with_errors(page, site, live_server):
    signed_in(page, site["owner"], live_server)
    page.goto("/console/acme/settings/")
    page.get_by_role("button", name="Add the question").click()
    expect(page.get_by_text("Enter the question.")).to_be_visible()


def faq_edit(page, site, live_server):
    from reports.models import FaqEntry

    with_faq(site)
    signed_in(page, site["owner"], live_server)
    page.goto(f"/console/acme/settings/faq/{FaqEntry.objects.get().pk}/")
    expect(page.get_by_role("button", name="Save the question")).to_be_visible()


def integration_with_link(page, site, live_server):
    signed_in(page, site["owner"], live_server)
    page.goto("/console/acme/integration/")
    page.get_by_label("Open ID").fill("oid-42")
    page.get_by_role("button", name="Generate a signed link").click()
    expect(page.get_by_role("link", name="Open the signed link")).to_be_visible()


def help_home_faq_search(page, site, live_server):
    with_faq(site)
    page.goto("/help/acme/")
    page.get_by_label("Search the questions").fill("refund")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_text("1 question matches")).to_be_visible()


def support_email_confirm(page, site, live_server):
    import re as regex

    from reports.app_settings.services import support_email_change
    from reports.models import OutboundEmail

    support_email_change(mini_app=site["app"], actor=site["owner"], email="care@acme.example")
    body = OutboundEmail.objects.get(to="care@acme.example").body
    page.goto(regex.search(r"/console/support-email/\S+/", body).group(0))
    expect(page.get_by_role("button", name="Confirm this address")).to_be_visible()


def api_key_created(page, site):
    page.get_by_label("Key name").fill("CRM sync")
    page.get_by_label(re.compile("^Handle")).check()
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_role("heading", name="Copy your new key now")).to_be_visible()


def api_key_with_errors(page, site):
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_text("Give the key a name")).to_be_visible()


def webhook_endpoint(site):
    """An endpoint of acme with a delivered, a pending and a failed delivery in its log."""
    from django.utils import timezone

    from reports.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(
        mini_app=site["app"],
        url="https://93.184.216.34/hooks",
        event_types=EventType.values,
    )
    now = timezone.now()
    for status, code in (("delivered", 204), ("pending", 500), ("failed", 302)):
        WebhookDelivery.objects.create(
            endpoint=endpoint,
            event_type="report.created",
            payload="{}",
            status=status,
            attempts=1,
            last_status_code=code,
            last_duration_ms=12,
            last_error="" if code == 204 else f"HTTP {code}.",
            next_attempt_at=now if status == "pending" else None,
        )
    return endpoint


def webhook_added(page, site):
    page.get_by_label("Endpoint URL").fill("http://127.0.0.1:9/hooks")
    page.get_by_label(re.compile("^report.created")).check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("heading", name="Copy the endpoint's secret now")).to_be_visible()


def webhook_with_errors(page, site):
    page.get_by_label("Endpoint URL").fill("not a url")
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_text("Enter a valid URL")).to_be_visible()


def webhook_secret_shown(page, site):
    page.get_by_role("button", name="Show the secret").click()
    expect(page.get_by_role("textbox", name="Signing secret")).to_be_visible()


def webhook_secret_rotated(page, site):
    page.get_by_role("button", name="Rotate the secret").click()
    expect(page.get_by_role("status").filter(has_text="two signatures")).to_be_visible()


def insights_figures_open(page, site):
    expect(page.get_by_role("heading", level=1, name=re.compile("Insights"))).to_be_visible()
    for summary in page.locator("summary").all():
        summary.click()  # every chart's table open, so axe reads them too


def insights_with_errors(page, site):
    expect(page.get_by_role("alert")).to_contain_text("after")


PAGES = {
    "help home": help_home,
    "experience form": report_form("experience"),
    "payment form": report_form("payment"),
    "community form": report_form("community"),
    "form with errors": report_form_with_errors,
    "confirmation and status page": report_status,
    "status page of a handled report": report_status_handled,
    "status page of an appealed report": status_page_appealed,
    "status page with replies, a reason and added information": status_page_conversation,
    "status page, add information with errors": status_page_add_information_errors,
    "status page closed to new information": status_page_closed_to_information,
    "duplicate report": duplicate_report,
    "appeal form": appeal_form,
    "appeal form with errors": appeal_form_with_errors,
    "check a report, sent": check_report_sent,
    "check a report, with errors": check_report_with_errors,
    "sign-in": sign_in,
    "sign-in with errors": sign_in_with_errors,
    "console app list": console("/console/", heading("Your mini apps")),
    "reports list": console("/console/acme/reports/", heading(re.compile("User reports"))),
    "reports list with filters": console(
        "/console/acme/reports/?q=freezes&category=experience&past_due=no&ordering=-created_at",
        report_list_filtered,
    ),
    "panel fragment open": console("/console/acme/reports/", panel_fragment),
    "reports list, a filter menu open": console("/console/acme/reports/", list_menu_open),
    "reports list, bulk bar shown": console("/console/acme/reports/", list_bulk_bar_shown),
    "reports list at 390 px": console(
        "/console/acme/reports/?category=experience", narrow(heading(re.compile("User reports")))
    ),
    "reports list at 390 px, drawer open": console(
        "/console/acme/reports/", narrow(panel_fragment)
    ),
    "panel full page": console(
        lambda site: f"/console/acme/reports/{site['pending'].report_id}/",
        heading(re.compile("Report ")),
    ),
    "panel full page, notes saved": console(
        lambda site: f"/console/acme/reports/{site['pending'].report_id}/", panel_saved
    ),
    "panel with a reply, added information and a reason": console(
        lambda site: f"/console/acme/reports/{conversation(site).report_id}/", panel_conversation
    ),
    "panel, dismiss without a reason": console(
        lambda site: f"/console/acme/reports/{site['pending'].report_id}/",
        panel_dismiss_without_reason,
    ),
    "reports list, reporter replied filter": console(
        reporter_replied,
        lambda page, site: expect(page.get_by_text("Reporter replied").last).to_be_visible(),
    ),
    "reports list, shortcuts dialog open": console("/console/acme/reports/", shortcuts_dialog_open),
    "reports list, new reports notice": console(polling_every_second, new_reports_notice),
    "saved replies, with one and the add form": console(
        lambda site: saved_reply(site) and "/console/acme/saved-replies/",
        heading(re.compile("Saved replies")),
    ),
    "saved reply edit": console(
        lambda site: f"/console/acme/saved-replies/{saved_reply(site).pk}/",
        heading(re.compile("Edit saved reply")),
    ),
    "panel, saved reply inserted": console(
        lambda site: saved_reply(site) and f"/console/acme/reports/{site['pending'].report_id}/",
        panel_saved_reply_inserted,
    ),
    "reports list with saved views, save form open": console(saved_views, list_with_saved_views),
    "saved views page": console(
        lambda site: saved_views(site) and "/console/acme/views/",
        heading(re.compile("Saved views")),
    ),
    "saved views page with errors": console(
        "/console/acme/reports/",
        lambda page, site: saved_view_refused(page),
    ),
    "panel full page, assigned to me": console(
        lambda site: f"/console/acme/reports/{site['pending'].report_id}/",
        panel_with_assign_form_assigned,
    ),
    "panel fragment, assigned from the list": console(
        "/console/acme/reports/", panel_assign_fragment
    ),
    "insights, every table open": console("/console/acme/insights/", insights_figures_open),
    "insights, empty": console(
        "/console/globex/insights/",
        lambda page, site: expect(page.locator(".empty")).to_be_visible(),
    ),
    "insights, dates with errors": console(
        "/console/acme/insights/?period=custom&start=2026-02-09&end=2026-02-01",
        insights_with_errors,
    ),
    "appeals queue": console("/console/acme/appeals/", heading(re.compile("Appeals"))),
    "appeal panel": console(
        lambda site: f"/console/acme/appeals/{site['appeal'].pk}/",
        heading(re.compile("Appeal")),
    ),
    "notifications page": console("/console/acme/notifications/", heading(re.compile("."))),
    "timezone page": console("/console/timezone/", heading(re.compile("."))),
    "team page (owner: invitations, audit log)": team_page,
    "team page with invite errors": team_page_with_errors,
    "team page as a viewer": team_page_as_viewer,
    "invitation page, new person": invitation_page,
    "invitation page with errors": invitation_page_with_errors,
    "invitation page, wrong account": invitation_wrong_account,
    "invitation expired": invitation_expired,
    "header app switcher open": app_switcher_open,
    "password reset": plain("/accounts/password_reset/", "Reset your password"),
    "password reset with errors": password_reset_with_errors,
    "password reset sent": plain("/accounts/password_reset/done/", "Check your e-mail"),
    "password reset bad link": plain(
        "/accounts/reset/MQ/bad-token/", "This reset link does not work"
    ),
    "password reset complete": plain("/accounts/reset/done/", "Your password is changed"),
    "password change": console("/accounts/password_change/", heading("Change your password")),
    "password change with errors": password_change_with_errors,
    "settings page, secret revealed": settings_revealed,
    "settings page with errors": settings_with_errors,
    "FAQ entry edit": faq_edit,
    "integration page with a signed link": integration_with_link,
    "help home with FAQ search": help_home_faq_search,
    "support e-mail confirmation": support_email_confirm,
    "API keys page, none yet": console("/console/acme/integration/keys/", heading("API keys")),
    "API keys page, a key just created": console(
        "/console/acme/integration/keys/", api_key_created
    ),
    "API keys page, form with errors": console(
        "/console/acme/integration/keys/", api_key_with_errors
    ),
    "webhooks page, none yet": console(
        "/console/acme/integration/webhooks/", heading(re.compile("Webhooks"))
    ),
    "webhooks page, an endpoint just added": console(
        "/console/acme/integration/webhooks/", webhook_added
    ),
    "webhooks page, form with errors": console(
        "/console/acme/integration/webhooks/", webhook_with_errors
    ),
    "webhook endpoint page with its delivery log": console(
        lambda site: f"/console/acme/integration/webhooks/{webhook_endpoint(site).pk}/",
        heading(re.compile("Webhook endpoint")),
    ),
    "webhook endpoint page, secret shown": console(
        lambda site: f"/console/acme/integration/webhooks/{webhook_endpoint(site).pk}/",
        webhook_secret_shown,
    ),
    "webhook endpoint page, secret just rotated": console(
        lambda site: f"/console/acme/integration/webhooks/{webhook_endpoint(site).pk}/",
        webhook_secret_rotated,
    ),
    "400 on the help center": error_page("/help/acme/fail/400/", "Bad request"),
    "403 on the help center, in Spanish": error_page(
        "/help/acme/fail/403/", "Sin acceso a esta página", "es"
    ),
    "404 on the help center": error_page(
        "/help/acme/tickets/NOSUCHID/?key=wrong", "Page not found"
    ),
    "404 on the help center, in Spanish": error_page(
        "/help/acme/tickets/NOSUCHID/", "Página no encontrada", "es"
    ),
    "500 on the help center": error_page(
        "/help/acme/fail/500/", "Something went wrong on our side"
    ),
    "CSRF failure on the help center": csrf_failure_on_the_help_center,
    "403 in the console": error_page("/console/fail/403/", "No access to this page"),
    "404 in the console": error_page("/console/no-such-app/reports/", "Page not found"),
    "500 in the console": error_page("/console/fail/500/", "Something went wrong on our side"),
    "admin login": admin_login,
    "admin index": admin("/admin/", admin_heading("Site administration")),
    "admin report changelist": admin("/admin/reports/report/", admin_heading(re.compile("."))),
    "admin user form": admin("/admin/auth/user/add/", admin_heading(re.compile("."))),
    "admin report form": admin(
        lambda site: f"/admin/reports/report/{site['pending'].pk}/change/",
        admin_heading(re.compile(".")),
    ),
    "admin appeal decision": admin_appeal_decision,
    "admin appeal changelist": admin("/admin/appeals/appeal/", admin_heading(re.compile("."))),
}


@pytest.mark.parametrize("name", PAGES)
def test_page_has_no_axe_violations(name, page, live_server, site):
    PAGES[name](page, site, live_server)
    violations = axe_violations(page)
    assert violations == [], readable(violations)
