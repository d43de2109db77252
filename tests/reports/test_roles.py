"""Roles: a viewer reads everything of the app and changes nothing; handlers and owners handle.

The rule lives in the services (reports.roles.role_require), so every entry point obeys it:
these tests call the services directly and post to the console as each role would.
"""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from appeals.services import appeal_overturn, appeal_submit, appeal_uphold
from reports.models import Category, Membership, Report, ReportEvent, Status
from reports.roles import RoleRequired, role_require
from reports.services import (
    report_dismiss,
    report_notes_edit,
    report_reopen,
    report_resolve,
)

pytestmark = pytest.mark.django_db


def _state(report: Report) -> tuple:
    report.refresh_from_db()
    return report.status, report.notes, report.version, report.events.count()


@pytest.mark.parametrize(
    "service",
    [report_resolve, report_dismiss, report_notes_edit],
    ids=["resolve", "dismiss", "notes"],
)
def test_a_viewer_cannot_change_a_report_through_any_service(service, viewer, make_report):
    report = make_report()
    before = _state(report)
    with pytest.raises(RoleRequired):
        service(report=report, actor=viewer, notes="Viewer's note")
    assert _state(report) == before


def test_a_viewer_cannot_reopen_a_handled_report(viewer, owner, make_report):
    report = report_resolve(report=make_report(), actor=owner)
    before = _state(report)
    with pytest.raises(RoleRequired):
        report_reopen(report=report, actor=viewer)
    assert _state(report) == before


def test_a_handler_and_an_owner_handle_reports(owner, teammate, make_report):
    resolved = report_resolve(report=make_report(), actor=teammate, notes="Fixed in 2.1")
    assert resolved.status == Status.RESOLVED
    reopened = report_reopen(report=resolved, actor=owner)
    assert reopened.status == Status.PENDING


def test_a_member_of_another_app_cannot_handle_this_apps_reports(outsider, make_report):
    report = make_report()
    with pytest.raises(RoleRequired):
        report_resolve(report=report, actor=outsider)
    assert Report.objects.get(pk=report.pk).status == Status.PENDING


def test_a_demoted_member_loses_the_right_at_once(teammate, mini_app, make_report):
    Membership.objects.filter(user=teammate).update(role=Membership.Role.VIEWER)
    with pytest.raises(RoleRequired):
        report_resolve(report=make_report(), actor=teammate)


def test_an_inactive_member_can_change_nothing(teammate, make_report):
    teammate.is_active = False
    teammate.save()
    with pytest.raises(RoleRequired):
        report_resolve(report=make_report(), actor=teammate)


def test_the_system_and_installation_admins_may_change_any_app(make_user, make_report):
    report = make_report()
    role_require(actor=None, mini_app_id=report.mini_app_id, roles=["owner"])
    admin = make_user("ops@reportdesk.example", is_staff=True)
    with pytest.raises(RoleRequired):  # staff without the permission is nobody here
        report_resolve(report=report, actor=admin)
    admin.user_permissions.add(Permission.objects.get(codename="change_report"))
    admin = type(admin).objects.get(pk=admin.pk)  # permissions are cached per instance
    assert report_resolve(report=report, actor=admin).status == Status.RESOLVED


def test_a_viewer_cannot_decide_an_appeal(viewer, owner, make_report):
    report = report_resolve(
        report=make_report(Category.PAYMENT, contact_email="r@example.net"), actor=owner
    )
    appeal = appeal_submit(
        report=report, contact_email="r@example.net", reason="The refund never arrived at all."
    )
    with pytest.raises(RoleRequired):
        appeal_uphold(appeal=appeal, actor=viewer, reply="It stands.")
    with pytest.raises(RoleRequired):
        appeal_overturn(appeal=appeal, actor=viewer, reply="Changed.", new_status="dismissed")
    appeal.refresh_from_db()
    assert appeal.state == "open"


# --- The console as a viewer: everything to read, no control to change it, POSTs refused


def test_a_viewer_reads_the_list_and_panel_without_handling_controls(client, viewer, make_report):
    report = make_report(details="Viewer can read this")
    client.force_login(viewer)
    listing = client.get(reverse("reports:report_list", args=["acme"])).content.decode()
    assert report.report_id in listing
    assert "Resolve selected" not in listing
    panel = client.get(
        reverse("reports:report_detail", args=["acme", report.report_id])
    ).content.decode()
    assert "Viewer can read this" in panel
    assert ">Resolve</button>" not in panel
    assert ">Save notes</button>" not in panel
    assert "Viewer role" in panel


def test_a_handler_sees_the_handling_controls(client, teammate, make_report):
    report = make_report()
    client.force_login(teammate)
    panel = client.get(
        reverse("reports:report_detail", args=["acme", report.report_id])
    ).content.decode()
    assert ">Resolve</button>" in panel
    assert ">Save notes</button>" in panel


@pytest.mark.parametrize(
    "action", ["report_resolve", "report_dismiss", "report_notes", "report_reply"]
)
def test_a_viewers_post_is_refused_with_403_and_changes_nothing(
    client, viewer, make_report, action
):
    report = make_report()
    before = _state(report)
    client.force_login(viewer)
    response = client.post(
        reverse(f"reports:{action}", args=["acme", report.report_id]),
        {
            "version": report.version,
            "notes": "Viewer's note",
            "reply": "Viewer's reply",
            "reason": "spam",
        },
    )
    assert response.status_code == 403
    assert _state(report) == before
    assert not ReportEvent.objects.filter(actor=viewer).exists()


def test_a_viewers_bulk_post_is_refused_and_changes_nothing(client, viewer, make_report):
    reports = [make_report(), make_report()]
    client.force_login(viewer)
    response = client.post(
        reverse("reports:reports_bulk", args=["acme"]),
        {"action": "resolve", "selected": [r.report_id for r in reports], "note": ""},
    )
    assert response.status_code == 403
    assert all(_state(r)[0] == Status.PENDING for r in reports)
