"""An operator finds API keys, webhook endpoints and deliveries in the Django admin and acts on
them only through the console's services: every action lands in the app's audit log, and no
secret or key hash is ever shown."""

import pytest
from django.urls import reverse

from reports.api_keys.services import api_key_create
from reports.models import ApiKey, AppEvent
from reports.webhooks.events import endpoint_test_event_write
from reports.webhooks.models import WebhookDelivery, WebhookEndpoint
from reports.webhooks.services import endpoint_secret_rotate

pytestmark = pytest.mark.django_db


def _action(client, model: str, action: str, pks) -> str:
    response = client.post(
        reverse(f"admin:reports_{model}_changelist"),
        {"action": action, "_selected_action": [str(pk) for pk in pks]},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


def test_an_operator_revokes_a_key_and_never_sees_its_hash(
    admin_client, admin_user, mini_app, owner
):
    api_key, whole_key = api_key_create(
        mini_app=mini_app, actor=owner, name="CRM sync", scope="read"
    )
    change = admin_client.get(reverse("admin:reports_apikey_change", args=[api_key.pk]))
    page = change.content.decode()
    assert api_key.prefix in page
    assert api_key.key_hash not in page and whole_key not in page

    page = _action(admin_client, "apikey", "revoke_selected", [api_key.pk])
    assert "Revoked 1 API key." in page
    api_key.refresh_from_db()
    assert api_key.revoked_at is not None and api_key.revoked_by == admin_user
    revoked = AppEvent.objects.get(kind=AppEvent.Kind.API_KEY_REVOKED)
    assert revoked.actor == admin_user and revoked.data["key"] == api_key.prefix

    # Revoking again changes nothing and records nothing twice; keys are never deleted here.
    assert "Revoked 0 API keys." in _action(admin_client, "apikey", "revoke_selected", [api_key.pk])
    assert AppEvent.objects.filter(kind=AppEvent.Kind.API_KEY_REVOKED).count() == 1
    delete = admin_client.get(reverse("admin:reports_apikey_delete", args=[api_key.pk]))
    assert delete.status_code == 403 and ApiKey.objects.count() == 1


def test_an_operator_disables_and_deletes_an_endpoint_through_the_services(
    admin_client, admin_user, owner, endpoint
):
    old_secret = endpoint.secret
    endpoint_secret_rotate(endpoint=endpoint, actor=owner)  # the replaced one signs for a day
    page = admin_client.get(reverse("admin:reports_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.url in page.content.decode()
    assert endpoint.secret not in page.content.decode()
    assert old_secret not in page.content.decode()

    page = _action(admin_client, "webhookendpoint", "disable_selected", [endpoint.pk])
    assert "Disabled 1 endpoint." in page
    endpoint.refresh_from_db()
    assert endpoint.enabled is False
    changed = AppEvent.objects.get(kind=AppEvent.Kind.WEBHOOK_CHANGED)
    assert changed.actor == admin_user and changed.data["enabled"] is False

    response = admin_client.post(
        reverse("admin:reports_webhookendpoint_delete", args=[endpoint.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not WebhookEndpoint.objects.exists()
    assert AppEvent.objects.get(kind=AppEvent.Kind.WEBHOOK_DELETED).actor == admin_user


def test_an_operator_finds_a_delivery_by_its_webhook_id_and_resends_it(
    admin_client, admin_user, endpoint, django_capture_on_commit_callbacks
):
    delivery = endpoint_test_event_write(endpoint=endpoint)
    other = endpoint_test_event_write(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=8)

    changelist = reverse("admin:reports_webhookdelivery_changelist")
    found = admin_client.get(changelist, {"q": f"  {delivery.webhook_id} "}).content.decode()
    assert delivery.webhook_id in found and other.webhook_id not in found
    # Only the exact id: a fragment finds nothing (no LIKE over the whole log).
    partial = admin_client.get(changelist, {"q": delivery.webhook_id[:8]}).content.decode()
    assert delivery.webhook_id not in partial

    with django_capture_on_commit_callbacks(execute=False) as queued:
        page = _action(admin_client, "webhookdelivery", "resend_selected", [delivery.pk])
    assert "Resent 1 delivery." in page and len(queued) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert AppEvent.objects.get(kind=AppEvent.Kind.WEBHOOK_RESENT).actor == admin_user


def test_an_endpoint_whose_address_is_now_refused_can_still_be_disabled(
    admin_client, endpoint, settings
):
    # Its URL (loopback) was allowed when saved; the rules are stricter now. Turning it off
    # must not depend on where it points: the delivery checks that at every attempt.
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    page = _action(admin_client, "webhookendpoint", "disable_selected", [endpoint.pk])
    assert "Disabled 1 endpoint." in page
    endpoint.refresh_from_db()
    assert endpoint.enabled is False


def test_a_disabled_endpoints_delivery_is_not_resent_and_the_operator_is_told_why(
    admin_client, endpoint
):
    delivery = endpoint_test_event_write(endpoint=endpoint)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=8)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(enabled=False)

    page = _action(admin_client, "webhookdelivery", "resend_selected", [delivery.pk])
    assert "Resent 0 deliveries." in page
    assert "Enable the endpoint before resending its deliveries." in page
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert not AppEvent.objects.filter(kind=AppEvent.Kind.WEBHOOK_RESENT).exists()
