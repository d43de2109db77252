"""Sending webhook deliveries: signed the Standard Webhooks way, retried for about a day.

A delivery is a row first (reports.webhooks.events, in the change's transaction), then a task
sent after commit; if the broker is down the row waits and the beat sweep sends it. At least
once: an attempt is claimed by a conditional UPDATE that also pushes next_attempt_at past the
attempt's end (CLAIM_LEASE), so two workers never send it at once, and a worker that dies
mid-attempt leaves it due again for the sweep. The webhook-id never changes between attempts.

Retry schedule after a failed attempt (any answer but 2xx, a 3xx included, a timeout, a
refused address): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h; 8 attempts over about 27.6 hours.
When the last one fails the delivery is failed, the endpoint is disabled and the app's owners
are e-mailed (through the outbox).
"""

import base64
import hashlib
import hmac
import http.client
import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from ..after_response import send_after_commit, task_send
from ..timeformat import when_stamp
from . import network
from .models import SECRET_PREFIX, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status

RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# A retry due within this long is sent as a task with a countdown; later ones wait for the
# sweep (a long ETA would sit in the worker's memory, and past Redis's visibility timeout).
COUNTDOWN_LIMIT = timedelta(minutes=5)
SWEEP_GRACE = timedelta(seconds=30)  # leave rows just written to their own task
EXCERPT_LENGTH = 2000  # of the (at most 64 KB) answer read, what the log keeps
# How long the delivery log keeps a finished delivery (its body included); pending ones stay.
LOG_KEPT = timedelta(days=30)

# Sent by name, as the e-mail outbox does: reports.tasks imports this module.
DELIVER_WEBHOOK_TASK = "reports.tasks.deliver_webhook"


def claim_lease() -> timedelta:
    return timedelta(seconds=settings.WEBHOOKS_TIMEOUT_SECONDS + 60)


def webhook_signature(*, secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, keyed with the secret's bytes."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def delivery_headers(
    *, delivery: WebhookDelivery, secrets: list[str], body: bytes
) -> dict[str, str]:
    """The Standard Webhooks headers; one signature per secret, space-separated, of which a
    receiver needs one to match (during a rotation's grace it may hold either secret)."""
    timestamp = int(time.time())
    signatures = (
        webhook_signature(
            secret=secret, webhook_id=delivery.webhook_id, timestamp=timestamp, body=body
        )
        for secret in secrets
    )
    return {
        "Content-Type": "application/json",
        "User-Agent": "Reportdesk-Webhooks/1.0",
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }


def deliveries_enqueue(delivery_ids: list[int], *, countdown: float = 0) -> None:
    """Send each delivery's task (after commit); a broker that is down leaves them to the sweep."""
    for delivery_id in delivery_ids:
        task_send(
            DELIVER_WEBHOOK_TASK, delivery_id, what="webhook", sweep="sweep", countdown=countdown
        )


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> bool | None:
    """One attempt if the delivery is due and its endpoint enabled: True delivered, False
    failed (a retry is scheduled or it failed for good), None if there was nothing to do
    (delivered already, not due, or another worker holds it)."""
    now = now or timezone.now()
    # Every condition on the delivery row itself: a join (endpoint__enabled) would make this an
    # UPDATE ... WHERE id IN (subquery), and PostgreSQL rechecks a row a racing claim just
    # changed against the target's conditions only, not the subquery's stale snapshot: two
    # workers would both claim it.
    enabled_endpoints = WebhookEndpoint.objects.filter(enabled=True).values("pk")
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id,
        status=Status.PENDING,
        next_attempt_at__lte=now,
        endpoint_id__in=enabled_endpoints,
    ).update(attempts=F("attempts") + 1, next_attempt_at=now + claim_lease(), last_attempt_at=now)
    if claimed != 1:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    body = delivery.payload.encode()
    status_code, excerpt, error = None, "", ""
    started = time.monotonic()
    try:
        answer = network.post(
            endpoint.url,
            body=body,
            headers=delivery_headers(
                delivery=delivery, secrets=endpoint.signing_secrets(now), body=body
            ),
            timeout=settings.WEBHOOKS_TIMEOUT_SECONDS,
        )
    except network.WebhookAddressRefused as refused:
        error = str(refused)
    except TimeoutError:
        error = f"No answer within {settings.WEBHOOKS_TIMEOUT_SECONDS:g} s."
    except (OSError, http.client.HTTPException) as failure:
        error = f"Could not connect: {failure.__class__.__name__} {failure}".strip()
    else:
        status_code = answer.status
        excerpt = answer.body[:EXCERPT_LENGTH].decode("utf-8", "replace")
        if 300 <= answer.status < 400:
            error = f"HTTP {answer.status}: redirects are not followed."
        elif not 200 <= answer.status < 300:
            error = f"HTTP {answer.status}."
    duration_ms = int((time.monotonic() - started) * 1000)
    return _outcome_record(
        delivery=delivery,
        status_code=status_code,
        excerpt=excerpt,
        error=error[:300],
        duration_ms=duration_ms,
    )


def _outcome_record(*, delivery, status_code, excerpt, error, duration_ms) -> bool:
    now = timezone.now()
    endpoint = delivery.endpoint
    facts = {
        "last_status_code": status_code,
        "response_excerpt": excerpt,
        "last_error": error,
        "last_duration_ms": duration_ms,
    }
    # Only while the claim is still this attempt's (a resend meanwhile starts over).
    ours = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=Status.PENDING, attempts=delivery.attempts
    )
    if not error:
        with transaction.atomic():
            ours.update(status=Status.DELIVERED, next_attempt_at=None, delivered_at=now, **facts)
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                consecutive_failures=0, last_success_at=now
            )
        return True
    retry_in = RETRY_DELAYS[delivery.attempts - 1] if delivery.attempts < MAX_ATTEMPTS else None
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            consecutive_failures=F("consecutive_failures") + 1, last_failure_at=now
        )
        if retry_in is not None:
            ours.update(next_attempt_at=now + retry_in, **facts)
            if retry_in <= COUNTDOWN_LIMIT:
                seconds = retry_in.total_seconds()
                send_after_commit(lambda: deliveries_enqueue([delivery.pk], countdown=seconds))
        elif ours.update(status=Status.FAILED, next_attempt_at=None, **facts):
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
                failed_deliveries=F("failed_deliveries") + 1
            )
            endpoint_disable_for_failures(endpoint=endpoint, delivery=delivery, now=now)
    return False


def endpoint_disable_for_failures(
    *, endpoint: WebhookEndpoint, delivery: WebhookDelivery, now: datetime
) -> bool:
    """Turn the endpoint off after a delivery failed every attempt, and e-mail the owners."""
    # Imported here: reports.services imports the events module, which imports this one.
    from ..models import AppEvent, MemberRole, Membership
    from ..outbox import email_enqueue
    from ..services import app_event_record

    reason = (
        f"Disabled {when_stamp(now)} UTC: a {delivery.event_type} delivery failed "
        f"{delivery.attempts} attempts over about a day ({delivery.last_error or 'no answer'})."
    )[:300]
    turned_off = WebhookEndpoint.objects.filter(pk=endpoint.pk, enabled=True).update(
        enabled=False, disabled_reason=reason
    )
    if not turned_off:
        return False
    mini_app = endpoint.mini_app
    app_event_record(
        mini_app=mini_app,
        kind=AppEvent.Kind.WEBHOOK_DISABLED,
        actor=None,
        endpoint=endpoint.pk,
        url=endpoint.url,
    )
    owners = Membership.objects.filter(
        mini_app=mini_app, role=MemberRole.OWNER, user__is_active=True
    ).select_related("user")
    context = {
        "mini_app": mini_app,
        "endpoint": endpoint,
        "reason": reason,
        "log_url": settings.SITE_URL
        + reverse("reports:webhook_detail", args=[mini_app.slug, endpoint.pk]),
    }
    subject = f"Webhook endpoint disabled for {mini_app.name}"
    body = render_to_string("reports/webhooks/email/endpoint_disabled.txt", context)
    stamp = int(now.timestamp())
    for membership in owners:
        if membership.user.email:
            email_enqueue(
                to=membership.user.email,
                subject=subject,
                body=body,
                dedupe_key=f"webhooks:disabled:{endpoint.pk}:{membership.user_id}:{stamp}",
            )
    return True


def deliveries_deliver_pending(*, limit: int = 100, now: datetime | None = None) -> int:
    """The sweep: attempt every delivery due (its task never ran, or its retry is due)."""
    now = now or timezone.now()
    due = (
        WebhookDelivery.objects.filter(
            status=Status.PENDING,
            next_attempt_at__lte=now - SWEEP_GRACE,
            endpoint__enabled=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    delivered = 0
    for delivery_id in list(due):
        try:
            delivered += bool(delivery_attempt(delivery_id=delivery_id))
        except Exception:
            logger.exception("Webhook sweep could not attempt delivery %s", delivery_id)
    return delivered


def deliveries_prune(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Delete the finished deliveries older than LOG_KEPT, a batch at a time (short
    transactions); returns how many. Oldest first by id, which follows created_at."""
    cutoff = (now or timezone.now()) - LOG_KEPT
    finished = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(status=Status.PENDING)
    deleted = 0
    while ids := list(finished.order_by("pk").values_list("pk", flat=True)[:batch]):
        deleted += WebhookDelivery.objects.filter(pk__in=ids).delete()[0]
    return deleted
