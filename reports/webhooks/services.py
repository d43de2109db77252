"""Webhook endpoints: add, change, delete, their secret, a test event, a resend. Owners only
(role_require in each), every change in the app's audit log, never a secret's value."""

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..after_response import send_after_commit
from ..models import AppEvent, MiniApp
from ..roles import MANAGING_ROLES, role_require
from ..services import app_event_record
from .delivery import deliveries_enqueue
from .events import endpoint_test_event_write
from .models import EventType, WebhookDelivery, WebhookEndpoint, new_webhook_secret
from .network import url_check


class WebhookRuleError(ValueError):
    """The change is not allowed as asked; the message is what the owner reads."""


def _event_types(event_types) -> list[str]:
    chosen = [value for value in EventType.values if value in set(event_types)]
    if not chosen:
        raise WebhookRuleError("Choose at least one event to send.")
    return chosen


def endpoint_create(
    *,
    mini_app: MiniApp,
    actor: AbstractBaseUser | None,
    url: str,
    event_types,
    enabled: bool = True,
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret. Raises network.WebhookAddressRefused (SSRF rules)
    or WebhookRuleError."""
    role_require(actor=actor, mini_app_id=mini_app.pk, roles=MANAGING_ROLES)
    url_check(url)
    types = _event_types(event_types)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            mini_app=mini_app, url=url, event_types=types, enabled=enabled, created_by=actor
        )
        app_event_record(
            mini_app=mini_app,
            kind=AppEvent.Kind.WEBHOOK_ADDED,
            actor=actor,
            endpoint=endpoint.pk,
            url=url,
            event_types=types,
            enabled=enabled,
        )
    return endpoint


def endpoint_update(
    *,
    endpoint: WebhookEndpoint,
    actor: AbstractBaseUser | None,
    url: str,
    event_types,
    enabled: bool,
) -> WebhookEndpoint:
    """Change the URL, the events or turn it on or off. Turned back on, it starts afresh: its
    failure count is cleared and its waiting deliveries are sent."""
    role_require(actor=actor, mini_app_id=endpoint.mini_app_id, roles=MANAGING_ROLES)
    if url != endpoint.url:  # an unchanged one is checked again at each delivery
        url_check(url)
    types = _event_types(event_types)
    turned_on = enabled and not endpoint.enabled
    changes = {"url": url, "event_types": types, "enabled": enabled}
    if enabled:
        changes["disabled_reason"] = ""
    if turned_on:
        changes["consecutive_failures"] = 0
    with transaction.atomic():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**changes)
        before = {"url": endpoint.url, "event_types": endpoint.event_types}
        app_event_record(
            mini_app=endpoint.mini_app,
            kind=AppEvent.Kind.WEBHOOK_CHANGED,
            actor=actor,
            endpoint=endpoint.pk,
            url=url,
            event_types=types,
            enabled=enabled,
            previous=before,
        )
        if turned_on:
            # What waited while it was off goes now, rather than at the next sweep.
            now = timezone.now()
            waiting = WebhookDelivery.objects.filter(
                endpoint=endpoint, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
            )
            ids = list(waiting.values_list("pk", flat=True)[:100])
            send_after_commit(lambda: deliveries_enqueue(ids))
    endpoint.refresh_from_db()
    return endpoint


def endpoint_delete(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None) -> None:
    """Delete the endpoint and its delivery log; nothing more is sent to it."""
    role_require(actor=actor, mini_app_id=endpoint.mini_app_id, roles=MANAGING_ROLES)
    with transaction.atomic():
        app_event_record(
            mini_app=endpoint.mini_app,
            kind=AppEvent.Kind.WEBHOOK_DELETED,
            actor=actor,
            endpoint=endpoint.pk,
            url=endpoint.url,
        )
        endpoint.delete()


def endpoint_secret_reveal(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None) -> str:
    role_require(actor=actor, mini_app_id=endpoint.mini_app_id, roles=MANAGING_ROLES)
    app_event_record(
        mini_app=endpoint.mini_app,
        kind=AppEvent.Kind.WEBHOOK_SECRET_REVEALED,
        actor=actor,
        endpoint=endpoint.pk,
    )
    return endpoint.secret


def endpoint_secret_rotate(*, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None) -> str:
    """A new secret signs every attempt from now on (retries of older events included); the
    one it replaces signs beside it for SECRET_GRACE (WebhookEndpoint.signing_secrets)."""
    role_require(actor=actor, mini_app_id=endpoint.mini_app_id, roles=MANAGING_ROLES)
    secret = new_webhook_secret()
    with transaction.atomic():
        # One statement: previous_secret takes the stored secret as the row holds it when the
        # UPDATE runs, so two rotations at once still keep a secret that really was current.
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            secret=secret, previous_secret=F("secret"), secret_rotated_at=timezone.now()
        )
        app_event_record(
            mini_app=endpoint.mini_app,
            kind=AppEvent.Kind.WEBHOOK_SECRET_ROTATED,
            actor=actor,
            endpoint=endpoint.pk,
        )
    endpoint.refresh_from_db(fields=["secret", "previous_secret", "secret_rotated_at"])
    return secret


def endpoint_test_send(
    *, endpoint: WebhookEndpoint, actor: AbstractBaseUser | None
) -> WebhookDelivery:
    """A `webhook.test` event to this endpoint, delivered (and logged) like any other."""
    role_require(actor=actor, mini_app_id=endpoint.mini_app_id, roles=MANAGING_ROLES)
    if not endpoint.enabled:
        raise WebhookRuleError("Enable the endpoint before sending it a test event.")
    with transaction.atomic():
        delivery = endpoint_test_event_write(endpoint=endpoint)
        app_event_record(
            mini_app=endpoint.mini_app,
            kind=AppEvent.Kind.WEBHOOK_TEST_SENT,
            actor=actor,
            endpoint=endpoint.pk,
            webhook_id=delivery.webhook_id,
        )
    return delivery


def delivery_resend(
    *, delivery: WebhookDelivery, actor: AbstractBaseUser | None
) -> WebhookDelivery:
    """Send a delivery again, with its webhook-id and body, starting its retries afresh."""
    endpoint = delivery.endpoint
    role_require(actor=actor, mini_app_id=endpoint.mini_app_id, roles=MANAGING_ROLES)
    if not endpoint.enabled:
        raise WebhookRuleError("Enable the endpoint before resending its deliveries.")
    now = timezone.now()
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, attempts=0, next_attempt_at=now
        )
        app_event_record(
            mini_app=endpoint.mini_app,
            kind=AppEvent.Kind.WEBHOOK_RESENT,
            actor=actor,
            endpoint=endpoint.pk,
            webhook_id=delivery.webhook_id,
        )
        send_after_commit(lambda: deliveries_enqueue([delivery.pk]))
    delivery.refresh_from_db()
    return delivery
