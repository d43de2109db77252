"""The admin answers for every model and changes reports only through the services."""

import pytest
from django.contrib import admin
from django.urls import reverse

from reports.models import Report, ReportEvent, Status

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client, make_report, screenshot, owner):
    report = make_report("community", screenshots=[screenshot])
    return admin_client, report


def registered_models():
    ours = {"reports", "tickets", "appeals"}
    return [model for model in admin.site._registry if model._meta.app_label in ours]


@pytest.mark.parametrize("model", registered_models(), ids=lambda m: m.__name__)
def test_changelist_and_change_pages_answer(staff, model):
    client, _report = staff
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert client.get(changelist).status_code == 200
    obj = model.objects.first()
    if obj is not None:
        change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
        assert client.get(change).status_code == 200


def test_every_reports_model_is_registered():
    names = {model.__name__ for model in registered_models()}
    assert names >= {
        "MiniApp",
        "Membership",
        "IssueType",
        "Report",
        "ReportEvent",
        "Screenshot",
        "OutboundEmail",
    }


def test_report_search_is_exact_on_report_id_open_id_and_order_id(admin_client, make_report):
    wanted = make_report("payment", order_id="ORD-555", open_id="ou_abc")
    make_report("payment", order_id="ORD-5550")
    url = reverse("admin:reports_report_changelist")
    for term in [wanted.report_id.lower(), "ou_abc", "ORD-555"]:
        page = admin_client.get(url, {"q": term}).content.decode()
        assert wanted.report_id in page
        assert "ORD-5550" not in page, term


def test_filters_render(admin_client, make_report):
    make_report()
    url = reverse("admin:reports_report_changelist")
    for params in [
        {"status__exact": "pending"},
        {"past_due": "yes"},
        {"category__exact": "payment"},
    ]:
        assert admin_client.get(url, params).status_code == 200


def test_resolve_action_goes_through_the_service(admin_client, admin_user, make_report, owner):
    pending = make_report()
    already = make_report()
    Report.objects.filter(pk=already.pk).update(
        status=Status.DISMISSED, handled_at=already.created_at
    )
    response = admin_client.post(
        reverse("admin:reports_report_changelist"),
        {"action": "resolve_selected", "_selected_action": [pending.pk, already.pk]},
        follow=True,
    )
    assert response.status_code == 200
    pending.refresh_from_db()
    assert pending.status == Status.RESOLVED
    assert pending.handled_by == admin_user
    assert pending.events.filter(kind=ReportEvent.Kind.RESOLVED, actor=admin_user).exists()
    text = response.content.decode()
    assert "Resolved 1 report." in text
    assert f"{already.report_id}: This report was already dismissed" in text


def test_reports_cannot_be_added_or_edited_by_hand(admin_client, make_report):
    report = make_report()
    assert admin_client.get(reverse("admin:reports_report_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:reports_report_change", args=[report.pk]), {"status": "resolved"}
    )
    assert response.status_code == 403
    report.refresh_from_db()
    assert report.status == Status.PENDING
