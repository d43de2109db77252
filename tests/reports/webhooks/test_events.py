"""Each service writes its event in its own transaction; a refused change writes none."""

import json
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from appeals.services import appeal_overturn, appeal_submit, appeal_uphold
from reports.models import Category, Status
from reports.roles import RoleRequired
from reports.services import (
    Dismissal,
    ReportConflict,
    ReportRuleError,
    report_dismiss,
    report_reopen,
    report_reply,
    report_resolve,
    reports_mark_past_due,
)
from reports.webhooks.events import event_emit
from reports.webhooks.models import EventType, WebhookDelivery, WebhookEndpoint
from tickets.services import report_information_add

pytestmark = pytest.mark.django_db


def _events(**filters) -> list[tuple[str, dict]]:
    rows = WebhookDelivery.objects.filter(**filters).order_by("id")
    return [(row.event_type, json.loads(row.payload)) for row in rows]


def _types() -> list[str]:
    return [event_type for event_type, _ in _events()]


def test_report_created_carries_the_report_as_the_api_shows_it(endpoint, make_report):
    report = make_report(Category.PAYMENT, order_id="ORD-1", details="Charged twice")

    ((event_type, payload),) = _events()
    assert event_type == "report.created"
    assert payload["type"] == "report.created"
    assert payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert data["report_id"] == report.report_id
    assert data["status"] == "pending" and data["order_id"] == "ORD-1"
    assert set(data) >= {"category", "issue_type", "created_at", "due_at", "past_due", "version"}
    assert "notes" not in data


def test_each_handling_service_emits_its_event(endpoint, make_report, owner):
    report = make_report()
    WebhookDelivery.objects.all().delete()

    report_reply(report=report, actor=owner, text="Looking into it.")
    report = report_resolve(report=report, actor=owner, reply="Fixed in 2.1.")
    report = report_reopen(report=report, actor=owner)
    report = report_dismiss(report=report, actor=owner, dismissal=Dismissal("spam"))

    assert _types() == [
        "report.replied",
        "report.resolved",
        "report.reopened",
        "report.dismissed",
    ]
    events = dict(_events())
    assert events["report.replied"]["data"]["reply"] == "Looking into it."
    assert events["report.resolved"]["data"]["reply"] == "Fixed in 2.1."
    assert events["report.resolved"]["data"]["status"] == "resolved"
    assert events["report.dismissed"]["data"]["dismiss_reason"] == "spam"


def test_the_reporter_adding_information_emits_reporter_replied(endpoint, make_report):
    report = make_report()
    report_information_add(report=report, text="It happens on Android too.")
    event_type, payload = _events()[-1]
    assert event_type == "report.reporter_replied"
    assert payload["data"]["information"]["text"] == "It happens on Android too."


def test_the_past_due_job_emits_past_due_per_marked_report(endpoint, make_report, other_app):
    first, second = make_report(), make_report(details="second")
    make_report(app=other_app)  # no endpoint there: nothing written for it

    marked = reports_mark_past_due(now=timezone.now() + timedelta(days=4))

    assert marked == 3
    past_due = _events(event_type="report.past_due")
    assert sorted(payload["data"]["report_id"] for _, payload in past_due) == sorted(
        [first.report_id, second.report_id]
    )
    assert all(payload["data"]["past_due"] for _, payload in past_due)
    assert reports_mark_past_due(now=timezone.now() + timedelta(days=5)) == 0
    assert len(_events(event_type="report.past_due")) == 2


def test_appeals_emit_created_and_decided(endpoint, make_report, owner):
    report = make_report(Category.PAYMENT, contact_email="payer@example.net")
    report = report_resolve(report=report, actor=owner)
    appeal = appeal_submit(report=report, contact_email="payer@example.net", reason="No refund.")
    appeal_uphold(appeal=appeal, actor=owner, reply="The refund was sent on Monday.")

    created, decided = _events(event_type__startswith="appeal.")
    assert created[0] == "appeal.created"
    assert created[1]["data"]["appeal"]["state"] == "open"
    assert created[1]["data"]["report_id"] == report.report_id
    assert decided[0] == "appeal.decided"
    assert decided[1]["data"]["appeal"]["state"] == "upheld"


def test_an_overturned_appeal_emits_decided_with_the_new_status(endpoint, make_report, owner):
    report = make_report(Category.PAYMENT, contact_email="payer@example.net")
    report = report_resolve(report=report, actor=owner)
    appeal = appeal_submit(report=report, contact_email="payer@example.net", reason="Wrong.")
    appeal_overturn(appeal=appeal, actor=owner, reply="Reopened.", new_status=Status.PENDING)

    event_type, payload = _events()[-1]
    assert event_type == "appeal.decided"
    assert payload["data"]["status"] == "pending"
    assert payload["data"]["appeal"]["new_status"] == "pending"


def test_a_refused_change_emits_nothing(endpoint, make_report, owner, viewer):
    report = make_report()
    WebhookDelivery.objects.all().delete()

    with pytest.raises(ReportConflict):  # stale version: rolled back
        report_resolve(report=report, actor=owner, expected_version=report.version + 7)
    with pytest.raises(ReportRuleError):  # a dismissal needs its reason
        report_dismiss(report=report, actor=owner, dismissal=None)
    with pytest.raises(ReportRuleError):  # reopening a pending report
        report_reopen(report=report, actor=owner)
    with pytest.raises(RoleRequired):  # a viewer may not
        report_resolve(report=report, actor=viewer)

    assert WebhookDelivery.objects.count() == 0


def test_a_rolled_back_transaction_takes_its_deliveries_with_it(endpoint, make_report):
    from django.db import transaction

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        make_report()
        assert WebhookDelivery.objects.count() == 1
        raise Boom
    assert WebhookDelivery.objects.count() == 0


def test_only_enabled_subscribed_endpoints_get_a_row(mini_app, owner, make_report, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    subscribed = WebhookEndpoint.objects.create(
        mini_app=mini_app, url="http://127.0.0.1:9/a", event_types=["report.created"]
    )
    WebhookEndpoint.objects.create(
        mini_app=mini_app, url="http://127.0.0.1:9/b", event_types=["report.resolved"]
    )
    WebhookEndpoint.objects.create(
        mini_app=mini_app, url="http://127.0.0.1:9/c", event_types=EventType.values, enabled=False
    )
    make_report()
    assert list(WebhookDelivery.objects.values_list("endpoint", flat=True)) == [subscribed.pk]


def test_emit_costs_one_query_when_the_app_has_no_endpoint(mini_app, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert event_emit(mini_app_id=mini_app.pk, type="report.created", data={}) == 0


def test_emit_writes_each_subscribed_endpoints_row_in_the_same_one_query(
    mini_app, other_app, settings, django_assert_num_queries
):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    ours = [
        WebhookEndpoint.objects.create(
            mini_app=mini_app, url=f"http://127.0.0.1:9/{n}", event_types=EventType.values
        )
        for n in range(2)
    ]
    WebhookEndpoint.objects.create(
        mini_app=other_app, url="http://127.0.0.1:9/theirs", event_types=EventType.values
    )
    with django_assert_num_queries(1):
        assert event_emit(mini_app_id=mini_app.pk, type="report.created", data={"a": 1}) == 2
    rows = list(WebhookDelivery.objects.order_by("endpoint_id"))
    assert [row.endpoint_id for row in rows] == [endpoint.pk for endpoint in ours]
    for row in rows:
        assert re.fullmatch(r"msg_[0-9a-f]{32}", row.webhook_id)
        assert (row.status, row.attempts, row.event_type) == ("pending", 0, "report.created")
        assert json.loads(row.payload)["data"] == {"a": 1}
        assert row.next_attempt_at == row.created_at
    assert rows[0].webhook_id != rows[1].webhook_id


def test_an_unknown_event_type_is_a_bug(mini_app):
    with pytest.raises(ValueError, match="Unknown webhook event type"):
        event_emit(mini_app_id=mini_app.pk, type="report.exploded", data={})
