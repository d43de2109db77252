"""Assignment (issue 15): a report assigned to an owner or handler of its app, from the panel,
shown on the row, filtered on the list, recorded in the history, and given back to the team
when the member leaves it or stops handling."""

import re
import threading
import time

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.models import MemberRole, Membership, Report, ReportEvent
from reports.roles import RoleRequired
from reports.services import ReportConflict, ReportRuleError, report_assign
from reports.team.services import member_remove, member_role_change
from tests.conftest import on_postgres

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


def url(name, *args):
    return reverse(f"reports:{name}", args=["acme", *args])


def kinds(report):
    return list(report.events.order_by("id").values_list("kind", flat=True))


def test_assign_records_who_to_whom_and_bumps_the_version(make_report, owner, teammate):
    report = make_report()
    assigned = report_assign(report=report, assignee=teammate, actor=owner, expected_version=1)
    assert assigned.assignee_id == teammate.pk and assigned.version == 2
    event = assigned.events.get(kind=ReportEvent.Kind.ASSIGNED)
    assert event.actor == owner
    assert event.data == {"assignee": "teammate@acme.example", "assignee_id": teammate.pk}

    again = report_assign(report=assigned, assignee=owner, actor=owner, expected_version=2)
    event = again.events.filter(kind="assigned").latest("id")
    assert event.data["previous"] == "teammate@acme.example"
    unassigned = report_assign(report=again, assignee=None, actor=teammate, expected_version=3)
    assert unassigned.assignee_id is None
    event = unassigned.events.get(kind=ReportEvent.Kind.UNASSIGNED)
    assert (event.actor, event.data) == (teammate, {"previous": "owner@acme.example"})


def test_assigning_to_the_current_assignee_changes_nothing(make_report, owner):
    report = report_assign(report=make_report(), assignee=owner, actor=owner)
    same = report_assign(report=report, assignee=owner, actor=owner, expected_version=2)
    assert same.version == 2
    assert kinds(same).count("assigned") == 1


def test_a_viewer_or_non_member_cannot_be_assigned_and_nothing_is_stored(
    make_report, owner, viewer, outsider, make_user
):
    report = make_report()
    with pytest.raises(ReportRuleError, match="Viewer role and cannot handle reports"):
        report_assign(report=report, assignee=viewer, actor=owner)
    # A member of another app (tenant isolation) is no member here.
    with pytest.raises(ReportRuleError, match="is not a member of this mini app"):
        report_assign(report=report, assignee=outsider, actor=owner)
    inactive = make_user("gone@acme.example", is_active=False)
    Membership.objects.create(mini_app=report.mini_app, user=inactive)
    with pytest.raises(ReportRuleError, match="is not a member"):
        report_assign(report=report, assignee=inactive, actor=owner)
    report.refresh_from_db()
    assert report.assignee_id is None and report.version == 1
    assert kinds(report) == ["submitted"]


def test_a_viewer_or_an_outsider_cannot_assign(make_report, viewer, outsider, owner):
    report = make_report()
    for actor in (viewer, outsider):
        with pytest.raises(RoleRequired):
            report_assign(report=report, assignee=owner, actor=actor)
    assert Report.objects.get(pk=report.pk).assignee_id is None


def test_a_stale_version_is_refused(make_report, owner, teammate):
    report = make_report()
    report_assign(report=report, assignee=teammate, actor=teammate, expected_version=1)
    with pytest.raises(ReportConflict):
        report_assign(report=report, assignee=owner, actor=owner, expected_version=1)
    assert Report.objects.get(pk=report.pk).assignee_id == teammate.pk


def test_the_panel_assigns_to_me_without_javascript(client, make_report, teammate):
    report = make_report()
    client.force_login(teammate)
    panel = client.get(url("report_detail", report.report_id)).content.decode()
    assert "data-assign-form" in panel and 'data-action="assign-me"' in panel
    response = client.post(
        url("report_assign", report.report_id), {"version": 1, "assign_me": "on"}, follow=True
    )
    body = response.content.decode()
    assert "Report assigned to you." in body
    assert Report.objects.get(pk=report.pk).assignee_id == teammate.pk
    # The button is gone for the assignee; the history names the change and who made it.
    assert 'data-action="assign-me"' not in body
    assert "Assigned</strong>" in body


def test_the_panel_assigns_a_member_over_htmx_and_swaps_the_row(
    client, make_report, owner, teammate
):
    report = make_report()
    client.force_login(owner)
    response = client.post(
        url("report_assign", report.report_id),
        {"version": 1, "assignee": str(teammate.pk)},
        headers=HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Report assigned to teammate@acme.example." in body
    assert re.search(rf'<tr id="row-{report.report_id}"[^>]* hx-swap-oob="true"', body)
    assert 'class="assignee" title="Assigned to teammate@acme.example"' in body


def test_the_panel_refuses_a_viewer_assignee_with_the_reason(client, make_report, owner, viewer):
    report = make_report()
    client.force_login(owner)
    # Not offered in the select: the form refuses it as any unknown choice.
    response = client.post(
        url("report_assign", report.report_id), {"version": 1, "assignee": str(viewer.pk)}
    )
    assert response.status_code == 422
    assert "Choose an owner or a handler of this mini app" in response.content.decode()
    assert Report.objects.get(pk=report.pk).version == 1


def test_a_disabled_account_is_not_offered_but_stays_shown_while_assigned(
    client, make_report, owner, teammate
):
    first, second = make_report(), make_report()
    report_assign(report=first, assignee=teammate, actor=owner)
    teammate.is_active = False
    teammate.save()
    client.force_login(owner)

    def options(report):
        html = client.get(url("report_detail", report.report_id)).content.decode()
        return re.findall(r'<option value="(\d*)"( selected)?>([^<]*)</option>', html)

    assert (str(teammate.pk), "", "teammate@acme.example") not in options(second)
    assert [o for o in options(second) if o[0] == str(teammate.pk)] == []
    assert (str(teammate.pk), " selected", "teammate@acme.example (disabled)") in options(first)
    # Saving the panel unchanged keeps them; choosing them for another report is refused.
    response = client.post(
        url("report_assign", first.report_id), {"version": 2, "assignee": str(teammate.pk)}
    )
    assert response.status_code == 302
    response = client.post(
        url("report_assign", second.report_id), {"version": 1, "assignee": str(teammate.pk)}
    )
    assert response.status_code == 422
    assert Report.objects.get(pk=second.pk).assignee_id is None


def test_the_panel_answers_a_stale_assignment_with_409(client, make_report, owner, teammate):
    report = make_report()
    report_assign(report=report, assignee=teammate, actor=teammate)
    client.force_login(owner)
    response = client.post(
        url("report_assign", report.report_id), {"version": 1, "assign_me": "on"}, headers=HTMX
    )
    assert response.status_code == 409
    assert "changed after you opened it" in response.content.decode()
    assert Report.objects.get(pk=report.pk).assignee_id == teammate.pk


def test_a_viewer_sees_the_assignee_but_no_assign_form(client, make_report, owner, viewer):
    report = report_assign(report=make_report(), assignee=owner, actor=owner)
    client.force_login(viewer)
    body = client.get(url("report_detail", report.report_id)).content.decode()
    assert "data-assign-form" not in body
    assert 'title="Assigned to owner@acme.example"' in body
    response = client.post(url("report_assign", report.report_id), {"version": 2})
    assert response.status_code == 403


def test_removing_a_member_unassigns_their_reports_with_history(
    make_report, owner, teammate, other_app, outsider
):
    mine = report_assign(report=make_report(), assignee=teammate, actor=owner)
    other = report_assign(report=make_report(), assignee=owner, actor=owner)
    member_remove(membership=Membership.objects.get(user=teammate), actor=owner)
    mine.refresh_from_db()
    assert mine.assignee_id is None and mine.version == 3
    event = mine.events.filter(kind="unassigned").get()
    assert event.actor == owner
    assert event.data == {"previous": "teammate@acme.example", "why": "removed from the team"}
    assert Report.objects.get(pk=other.pk).assignee_id == owner.pk


@pytest.mark.django_db(transaction=True)
@on_postgres
def test_an_assignment_during_the_members_removal_waits_for_it_and_is_refused(
    make_report, owner, teammate
):
    report = make_report()
    removing = threading.Event()

    def remove():
        try:
            with transaction.atomic():  # held open: the removal is under way, not committed
                member_remove(membership=Membership.objects.get(user=teammate), actor=owner)
                removing.set()
                time.sleep(0.5)
        finally:
            connection.close()

    remover = threading.Thread(target=remove)
    remover.start()
    assert removing.wait(10)
    # Read before the removal committed, the membership would still be there and the report
    # assigned: only a check that waited for the commit can find no member.
    with pytest.raises(ReportRuleError, match="not a member"):
        report_assign(report=report, assignee=teammate, actor=owner)
    remover.join()
    assert Report.objects.get(pk=report.pk).assignee_id is None


def test_a_member_who_becomes_a_viewer_is_unassigned(make_report, owner, teammate):
    report = report_assign(report=make_report(), assignee=teammate, actor=owner)
    membership = Membership.objects.get(user=teammate)
    member_role_change(membership=membership, actor=owner, role=MemberRole.OWNER)
    assert Report.objects.get(pk=report.pk).assignee_id == teammate.pk
    member_role_change(membership=membership, actor=owner, role=MemberRole.VIEWER)
    report.refresh_from_db()
    assert report.assignee_id is None
    assert report.events.get(kind="unassigned").data["why"] == "role changed to Viewer"


# --- The list: the row, the assignee filter and the "Assigned to me" tab


def test_the_row_shows_the_assignee_and_the_filter_finds_them(client, make_report, owner, teammate):
    mine = report_assign(report=make_report(details="Mine."), assignee=teammate, actor=owner)
    theirs = report_assign(report=make_report(details="Theirs."), assignee=owner, actor=owner)
    nobody = make_report(details="Nobody's.")
    client.force_login(teammate)
    list_url = url("report_list")

    def ids(query):
        body = client.get(list_url, query).content.decode()
        return {r.report_id for r in (mine, theirs, nobody) if f"row-{r.report_id}" in body}

    body = client.get(list_url).content.decode()
    assert 'class="assignee" title="Assigned to teammate@acme.example"' in body
    assert ids({"assignee": "me"}) == {mine.report_id}
    assert ids({"assignee": "none"}) == {nobody.report_id}
    assert ids({"assignee": str(owner.pk)}) == {theirs.report_id}
    assert ids({"assignee": "me", "status": "pending"}) == {mine.report_id}
    # The select offers Unassigned, Me and each handling member.
    assert '<option value="none">Unassigned</option>' in body
    assert f'<option value="{owner.pk}">owner@acme.example</option>' in body


def test_an_unknown_assignee_is_a_filter_error_not_a_500(client, owner, outsider, make_report):
    make_report()
    client.force_login(owner)
    for value in (str(outsider.pk), "12x", "0"):
        response = client.get(url("report_list"), {"assignee": value})
        assert response.status_code == 200
        assert "Select a valid choice" in response.content.decode()


def test_the_assigned_to_me_tab_is_current_under_its_query(client, make_report, teammate, viewer):
    report_assign(report=make_report(), assignee=teammate, actor=teammate)
    client.force_login(teammate)
    body = client.get(url("report_list"), {"assignee": "me"}).content.decode()
    nav = body.split('aria-label="Saved views"')[1].split("</nav>")[0]
    assert '?assignee=me" aria-current="page">Assigned to me' in nav
    client.force_login(viewer)  # a viewer is never assigned: no such tab
    body = client.get(url("report_list")).content.decode()
    assert "Assigned to me</a>" not in body


def test_the_list_query_count_stays_constant_with_assignees(client, make_report, owner, teammate):
    for n in range(3):
        report_assign(report=make_report(), assignee=teammate if n else owner, actor=owner)
    client.force_login(owner)
    client.get(url("report_list"))  # warm the session
    with CaptureQueriesContext(connection) as first:
        client.get(url("report_list"))
    for _ in range(5):
        report_assign(report=make_report(), assignee=teammate, actor=owner)
    with CaptureQueriesContext(connection) as second:
        client.get(url("report_list"))
    assert len(second.captured_queries) == len(first.captured_queries)


def test_export_and_bulk_all_matching_read_assigned_to_me_as_the_member(
    client, make_report, owner, teammate
):
    mine = report_assign(report=make_report(), assignee=teammate, actor=owner)
    theirs = report_assign(report=make_report(), assignee=owner, actor=owner)
    client.force_login(teammate)
    csv = b"".join(client.get(url("reports_export"), {"assignee": "me"}).streaming_content)
    assert mine.report_id.encode() in csv and theirs.report_id.encode() not in csv
    client.post(
        url("reports_bulk"),
        {"action": "resolve", "all_matching": "on", "query": "assignee=me"},
    )
    assert Report.objects.get(pk=mine.pk).status == "resolved"
    assert Report.objects.get(pk=theirs.pk).status == "pending"


def test_the_assignee_filter_shows_as_a_chip_that_removes_it(client, make_report, owner):
    client.force_login(owner)
    make_report()
    list_url = url("report_list")
    response = client.get(list_url + "?assignee=me&category=payment")
    html = response.content.decode()
    assert response.status_code == 200
    chips = re.findall(r'<a class="chip" href="([^"]*)">([^:<]*):', html)
    assert (f"{list_url}?category=payment", "Assignee") in chips
