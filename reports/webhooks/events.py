"""Writing events for a mini app's webhook endpoints, in the transaction of the change.

The services call event_emit (or events_emit_past_due for the beat job's batch) inside their
own transaction: a change that rolls back leaves no delivery, and a committed one always has
its rows, which are sent after commit (reports.webhooks.delivery) or by the sweep.
"""

import json
from datetime import datetime

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from django.utils import timezone

from ..after_response import send_after_commit
from ..hooks import report_json
from ..timeformat import api_time
from .delivery import deliveries_enqueue
from .models import TEST_EVENT_TYPE, EventType, WebhookDelivery, WebhookEndpoint


def payload_body(*, type: str, data: dict, now: datetime) -> str:
    """The JSON body: {"type", "timestamp", "data"}, written once and sent as is each time."""
    payload = {"type": type, "timestamp": api_time(now), "data": data}
    return json.dumps(payload, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def report_data(report, **extra) -> dict:
    """The report as the handling API shows it, with what the event adds (a reply...)."""
    return {**report_json(report), **extra}


def event_emit(*, mini_app_id: int, type: str, data: dict, now: datetime | None = None) -> int:
    """Write one delivery per enabled endpoint of the app subscribed to `type`; returns how
    many. Call it inside the change's transaction.

    One statement finds the endpoints and writes their rows: an app without endpoints pays
    the one round trip it would pay to find none, and one with endpoints no second, which
    keeps what webhooks add to a submission small (bench/webhooks.py)."""
    if type not in EventType.values:
        raise ValueError(f"Unknown webhook event type {type!r}.")
    now = now or timezone.now()
    body = payload_body(type=type, data=data, now=now)
    when = connection.ops.adapt_datetimefield_value(now)
    if connection.vendor == "postgresql":
        new_id, subscribed, type_param = (
            "'msg_' || replace(gen_random_uuid()::text, '-', '')",
            "endpoint.event_types @> %s::jsonb",
            json.dumps([type]),
        )
    else:  # SQLite
        new_id, subscribed, type_param = (
            "'msg_' || lower(hex(randomblob(16)))",
            "EXISTS (SELECT 1 FROM json_each(endpoint.event_types) WHERE value = %s)",
            type,
        )
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {WebhookDelivery._meta.db_table} "  # noqa: S608 - names are ours
            "(endpoint_id, webhook_id, event_type, payload, created_at, status, attempts,"
            " next_attempt_at, last_error, response_excerpt) "
            f"SELECT endpoint.id, {new_id}, %s, %s, %s, %s, 0, %s, '', '' "
            f"FROM {WebhookEndpoint._meta.db_table} AS endpoint "
            f"WHERE endpoint.mini_app_id = %s AND endpoint.enabled AND {subscribed} "
            "ORDER BY endpoint.id RETURNING id",
            [type, body, when, WebhookDelivery.Status.PENDING, when, mini_app_id, type_param],
        )
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        send_after_commit(lambda: deliveries_enqueue(ids))
    return len(ids)


def report_event_emit(*, report, type: str, now: datetime | None = None, **extra) -> int:
    return event_emit(
        mini_app_id=report.mini_app_id, type=type, data=report_data(report, **extra), now=now
    )


def events_emit_past_due(*, report_ids: list[int], now: datetime) -> int:
    """report.past_due for each report the beat job just marked: one query finds the
    subscribed endpoints of all their apps, and only then are the reports read."""
    from ..models import Report  # reports.models imports this package's models

    if not report_ids:
        return 0
    type = EventType.REPORT_PAST_DUE
    by_app: dict[int, list[WebhookEndpoint]] = {}
    apps = Report.objects.filter(pk__in=report_ids).values("mini_app_id")
    for endpoint in WebhookEndpoint.objects.filter(enabled=True, mini_app_id__in=apps):
        if endpoint.subscribes(type):
            by_app.setdefault(endpoint.mini_app_id, []).append(endpoint)
    if not by_app:
        return 0
    rows = []
    reports = Report.objects.filter(pk__in=report_ids, mini_app_id__in=by_app).order_by("pk")
    for report in reports:
        body = payload_body(type=type, data=report_data(report), now=now)
        rows += [
            WebhookDelivery(
                endpoint=endpoint,
                event_type=type,
                payload=body,
                created_at=now,
                next_attempt_at=now,
            )
            for endpoint in by_app[report.mini_app_id]
        ]
    ids = [row.pk for row in WebhookDelivery.objects.bulk_create(rows, batch_size=1000)]
    send_after_commit(lambda: deliveries_enqueue(ids))
    return len(ids)


def endpoint_test_event_write(
    *, endpoint: WebhookEndpoint, now: datetime | None = None
) -> WebhookDelivery:
    """The "Send test event" delivery: to this endpoint only, whatever it subscribes to."""
    now = now or timezone.now()
    data = {
        "mini_app": endpoint.mini_app.slug,
        "message": "A test event from the Reportdesk console.",
    }
    body = payload_body(type=TEST_EVENT_TYPE, data=data, now=now)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event_type=TEST_EVENT_TYPE,
        payload=body,
        created_at=now,
        next_attempt_at=now,
    )
    send_after_commit(lambda: deliveries_enqueue([delivery.pk]))
    return delivery
