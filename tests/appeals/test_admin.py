"""The appeals admin: read-only rows, Uphold/Overturn actions through the same services."""

import pytest
from django.urls import reverse

from appeals.models import Appeal
from appeals.services import appeal_uphold
from reports.models import OutboundEmail, ReportEvent, Status

pytestmark = pytest.mark.django_db
Kind = ReportEvent.Kind
CHANGELIST = "admin:appeals_appeal_changelist"


def test_changelist_search_and_filters(admin_client, resolved_report, make_appeal, screenshot):
    appeal = make_appeal(resolved_report, screenshots=[screenshot])
    url = reverse(CHANGELIST)
    for params in [{}, {"state__exact": "open"}, {"past_due": "yes"}, {"q": "nothing"}]:
        assert admin_client.get(url, params).status_code == 200
    found = admin_client.get(url, {"q": resolved_report.report_id.lower()}).content.decode()
    assert resolved_report.report_id in found
    change = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    assert admin_client.get(change).status_code == 200


def test_appeals_cannot_be_added_or_edited_by_hand(admin_client, resolved_report, make_appeal):
    appeal = make_appeal(resolved_report)
    assert admin_client.get(reverse("admin:appeals_appeal_add")).status_code == 403
    change = reverse("admin:appeals_appeal_change", args=[appeal.pk])
    assert admin_client.post(change, {"state": "upheld"}).status_code == 403
    appeal.refresh_from_db()
    assert appeal.is_open


def test_the_uphold_action_asks_for_a_reply_first(admin_client, resolved_report, make_appeal):
    appeal = make_appeal(resolved_report)
    response = admin_client.post(
        reverse(CHANGELIST), {"action": "uphold_selected", "_selected_action": [appeal.pk]}
    )
    assert response.status_code == 200
    assert "Reply to the reporter" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.is_open
    # Applying without a reply shows the form again with the reason.
    response = admin_client.post(
        reverse(CHANGELIST),
        {"action": "uphold_selected", "_selected_action": [appeal.pk], "apply": "1", "reply": ""},
    )
    assert "Write a reply to the reporter" in response.content.decode()
    appeal.refresh_from_db()
    assert appeal.is_open


def test_the_uphold_action_goes_through_the_service(
    admin_client, admin_user, owner, handled_report, make_appeal
):
    open_appeal = make_appeal(handled_report())
    decided = make_appeal(handled_report())
    appeal_uphold(appeal=decided, actor=owner, reply="Stands.")
    response = admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "uphold_selected",
            "_selected_action": [open_appeal.pk, decided.pk],
            "apply": "1",
            "reply": "Reviewed by support.",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "Upheld 1 appeal." in text
    assert f"{decided.report.report_id}: This appeal was already upheld" in text
    open_appeal.refresh_from_db()
    assert open_appeal.state == Appeal.State.UPHELD and open_appeal.decided_by == admin_user
    assert open_appeal.report.events.filter(kind=Kind.APPEAL_UPHELD, actor=admin_user).exists()
    assert OutboundEmail.objects.filter(dedupe_key=f"appeal_outcome:{open_appeal.pk}").exists()


def test_the_overturn_action_changes_each_report_to_the_other_decision(
    admin_client, admin_user, handled_report, make_appeal
):
    resolved = make_appeal(handled_report("resolved"))
    dismissed = make_appeal(handled_report("dismissed"))
    admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "overturn_selected",
            "_selected_action": [resolved.pk, dismissed.pk],
            "apply": "1",
            "reply": "Overturned after review.",
            "new_status": "",
        },
    )
    resolved.report.refresh_from_db(), dismissed.report.refresh_from_db()
    assert resolved.report.status == Status.DISMISSED
    assert dismissed.report.status == Status.RESOLVED
    assert ReportEvent.objects.filter(kind=Kind.APPEAL_OVERTURNED, actor=admin_user).count() == 2


def test_the_change_page_shows_the_screenshots_inline(
    admin_client, resolved_report, make_appeal, screenshot
):
    appeal = make_appeal(resolved_report, screenshots=[screenshot])
    page = admin_client.get(reverse("admin:appeals_appeal_change", args=[appeal.pk]))
    assert "appeal-screenshots/" in page.content.decode()
    assert "image/png" in page.content.decode()


def test_a_refused_overturn_is_named_by_report_and_left_wholly_undone(
    admin_client, handled_report, make_appeal
):
    # One rule for the console and both admins (reports.services.each_changed): the ones that
    # can be changed are, each refused one is named with its reason and keeps every row.
    of_resolved = make_appeal(handled_report("resolved"))
    of_dismissed = make_appeal(handled_report("dismissed"))
    response = admin_client.post(
        reverse(CHANGELIST),
        {
            "action": "overturn_selected",
            "_selected_action": [of_resolved.pk, of_dismissed.pk],
            "apply": "1",
            "reply": "Overturned after review.",
            "new_status": "resolved",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "Overturned 1 appeal." in text
    assert "1 left as they were" in text
    assert f"{of_resolved.report.report_id}: The new decision must differ" in text
    of_resolved.refresh_from_db(), of_dismissed.refresh_from_db()
    assert of_resolved.is_open and of_resolved.reply == ""
    assert of_resolved.report.status == Status.RESOLVED
    assert not OutboundEmail.objects.filter(dedupe_key=f"appeal_outcome:{of_resolved.pk}").exists()
    assert of_dismissed.state == Appeal.State.OVERTURNED
    assert of_dismissed.report.status == Status.RESOLVED
