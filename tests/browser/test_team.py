"""The team in a real Chromium: the owner invites a handler and a viewer, each accepts from the
e-mailed link and lands in the app; the handler resolves a report, the viewer cannot (no
button, and a forged POST is refused with 403)."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from reports.models import MemberRole, Membership, OutboundEmail, Report, Status
from reports.outbox import email_deliver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"http://\S+(?P<path>/accounts/invitations/[\w-]+/)")
PASSWORD = "a long new passphrase 42"


def invitation_path(to: str) -> str:
    for email in OutboundEmail.objects.filter(sent_at__isnull=True).order_by("pk"):
        email_deliver(email_id=email.pk)
    message = next(m for m in reversed(mail.outbox) if m.to == [to])
    return LINK.search(message.body).group("path")


def invite(page, email: str, role: str) -> None:
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Role", exact=True).select_option(label=role)
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_role("status")).to_contain_text(f"Invitation sent to {email} as {role}")


def accept(page, path: str, name: str) -> None:
    page.goto(path)
    expect(page.get_by_role("heading", name="Join Acme Shop")).to_be_visible()
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    page.get_by_role("button", name="Create account and join").click()
    expect(page.get_by_role("heading", name=re.compile("User reports"))).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("Welcome to Acme Shop")


def test_owner_invites_a_handler_and_a_viewer_who_each_accept(page, new_page, owner, make_report):
    first = make_report(details="The cart freezes after paying")
    second = make_report(details="Search shows a spinner forever")

    # The owner signs in and invites from the Team page, reached from the header.
    page.goto("/accounts/login/")
    page.get_by_label("E-mail or username").fill("OWNER@acme.example")  # any case
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("navigation", name="Console").get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name=re.compile("^Team"))).to_be_visible()
    invite(page, "handler@example.org", "Handler")
    invite(page, "viewer@example.org", "Viewer")
    invitations = page.get_by_role("region", name="Invitations")
    expect(invitations.get_by_role("row", name=re.compile("handler@example.org"))).to_be_visible()

    # The handler accepts from the e-mailed link and resolves a report.
    handler = new_page()
    accept(handler, invitation_path("handler@example.org"), "Hana Handler")
    handler.goto(f"/console/acme/reports/{first.report_id}/")
    handler.get_by_role("button", name="Resolve").click()
    expect(handler.get_by_role("status").first).to_have_text("Report resolved.")
    assert Report.objects.get(pk=first.pk).status == Status.RESOLVED

    # The viewer accepts too, reads the report, has no button, and a forged POST is a 403.
    viewer = new_page()
    accept(viewer, invitation_path("viewer@example.org"), "Victor Viewer")
    viewer.goto(f"/console/acme/reports/{second.report_id}/")
    expect(viewer.get_by_text("Search shows a spinner forever")).to_be_visible()
    expect(viewer.get_by_role("button", name="Resolve")).to_have_count(0)
    expect(viewer.get_by_role("button", name="Save notes")).to_have_count(0)
    status = viewer.evaluate(
        """async ([url, version]) => {
            const token = JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"];
            const body = new URLSearchParams({version: String(version), notes: "forged"});
            const response = await fetch(url, {
                method: "POST", body, headers: {"X-CSRFToken": token}, credentials: "same-origin",
            });
            return response.status;
        }""",
        [f"/console/acme/reports/{second.report_id}/resolve/", second.version],
    )
    assert status == 403
    assert Report.objects.get(pk=second.pk).status == Status.PENDING

    # The owner sees both members with their roles, and the audit log of it all.
    page.reload()
    members = page.get_by_role("region", name="Members")
    expect(members.get_by_role("row", name=re.compile("Hana Handler"))).to_contain_text("Handler")
    expect(members.get_by_role("row", name=re.compile("Victor Viewer"))).to_contain_text("Viewer")
    expect(page.get_by_role("region", name="Audit log")).to_contain_text("Member added")
    roles = dict(
        Membership.objects.filter(mini_app__slug="acme").values_list("user__email", "role")
    )
    assert roles == {
        "owner@acme.example": MemberRole.OWNER,
        "handler@example.org": MemberRole.HANDLER,
        "viewer@example.org": MemberRole.VIEWER,
    }
