"""The webhook pages: owners add, change, delete, see the secret, test, resend; every member
reads the endpoints and the log; refusals store nothing."""

import pytest
from django.urls import reverse

from reports.models import AppEvent, Category
from reports.webhooks.models import WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db


def _url(name, *args):
    return reverse(f"reports:{name}", args=["acme", *args])


def test_an_owner_adds_an_endpoint_and_sees_its_secret_once(client, owner, private_allowed):
    client.force_login(owner)
    response = client.post(
        _url("webhooks"),
        {"url": "http://127.0.0.1:9/hooks", "event_types": ["report.created", "appeal.created"]},
    )
    assert response.status_code == 201
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) >= 6 + 32
    assert endpoint.secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert endpoint.event_types == ["report.created", "appeal.created"]
    assert not endpoint.enabled  # the box was left unticked
    event = AppEvent.objects.get(kind=AppEvent.Kind.WEBHOOK_ADDED)
    assert endpoint.secret not in str(event.data)
    # Then only on demand.
    assert endpoint.secret not in client.get(_url("webhooks")).content.decode()
    page = client.get(_url("webhook_detail", endpoint.pk)).content.decode()
    assert endpoint.secret not in page
    shown = client.post(_url("webhook_secret", endpoint.pk))
    assert endpoint.secret in shown.content.decode()
    assert AppEvent.objects.filter(kind=AppEvent.Kind.WEBHOOK_SECRET_REVEALED).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"url": "", "event_types": ["report.created"]}, "Enter the URL"),
        ({"url": "not a url", "event_types": ["report.created"]}, "Enter a valid URL"),
        ({"url": "http://127.0.0.1:9/", "event_types": []}, "Choose at least one event"),
        ({"url": "http://127.0.0.1:9/", "event_types": ["report.gone"]}, "Choose events"),
    ],
)
def test_an_invalid_endpoint_is_refused_with_a_message(
    client, owner, private_allowed, data, message
):
    client.force_login(owner)
    response = client.post(_url("webhooks"), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_a_private_address_is_refused_in_production(client, owner, production):
    client.force_login(owner)
    response = client.post(
        _url("webhooks"), {"url": "https://192.168.0.7/hooks", "event_types": ["report.created"]}
    )
    assert response.status_code == 400
    assert "a private network address" in response.content.decode()
    assert WebhookEndpoint.objects.count() == 0


def test_handlers_and_viewers_read_but_may_not_change(
    client, teammate, viewer, endpoint, private_allowed
):
    for member in (teammate, viewer):
        client.force_login(member)
        assert client.get(_url("webhooks")).status_code == 200
        page = client.get(_url("webhook_detail", endpoint.pk)).content.decode()
        assert endpoint.url in page and endpoint.secret not in page
        data = {"url": "http://127.0.0.1:9/x", "event_types": ["report.created"]}
        assert client.post(_url("webhooks"), data).status_code == 403
        assert client.post(_url("webhook_detail", endpoint.pk), data).status_code == 403
        assert client.post(_url("webhook_secret", endpoint.pk)).status_code == 403
        assert client.post(_url("webhook_test", endpoint.pk)).status_code == 403
        assert client.post(_url("webhook_delete", endpoint.pk)).status_code == 403
    endpoint.refresh_from_db()
    assert endpoint.url.endswith("/hooks") and WebhookDelivery.objects.count() == 0


def test_an_owner_edits_disables_and_reenables(client, owner, endpoint):
    client.force_login(owner)
    response = client.post(
        _url("webhook_detail", endpoint.pk),
        {"url": endpoint.url + "/v2", "event_types": ["report.resolved"]},
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.event_types == ["report.resolved"]
    assert endpoint.url.endswith("/v2")
    client.post(
        _url("webhook_detail", endpoint.pk),
        {"url": endpoint.url, "event_types": ["report.resolved"], "enabled": "on"},
    )
    endpoint.refresh_from_db()
    assert endpoint.enabled
    assert AppEvent.objects.filter(kind=AppEvent.Kind.WEBHOOK_CHANGED).count() == 2


def test_send_test_event_resend_rotate_and_delete(
    client, owner, endpoint, make_report, django_capture_on_commit_callbacks
):
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        response = client.post(_url("webhook_test", endpoint.pk))
    assert response.status_code == 302 and len(sent) == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "webhook.test"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempts=8)

    with django_capture_on_commit_callbacks(execute=False):
        client.post(_url("webhook_resend", endpoint.pk, delivery.pk))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("pending", 0)
    assert WebhookDelivery.objects.count() == 1  # the same delivery, the same webhook-id

    log = client.get(_url("webhook_detail", endpoint.pk)).content.decode()
    assert delivery.webhook_id in log and "webhook.test" in log

    old_secret = endpoint.secret
    rotated = client.post(_url("webhook_secret", endpoint.pk), {"rotate": "1"})
    endpoint.refresh_from_db()
    assert endpoint.secret != old_secret and endpoint.secret in rotated.content.decode()
    # The page says until when the replaced secret still signs beside the new one.
    assert "each delivery carries two signatures" in rotated.content.decode()

    assert client.post(_url("webhook_delete", endpoint.pk)).status_code == 302
    assert WebhookEndpoint.objects.count() == WebhookDelivery.objects.count() == 0
    kinds = set(AppEvent.objects.values_list("kind", flat=True))
    assert {"webhook_test_sent", "webhook_resent", "webhook_secret_rotated"} <= kinds
    assert "webhook_deleted" in kinds


def test_another_apps_endpoint_is_not_found(client, outsider, endpoint, other_app):
    client.force_login(outsider)
    url = reverse("reports:webhook_detail", args=[other_app.slug, endpoint.pk])
    assert client.get(url).status_code == 404


def test_the_empty_states(client, owner, viewer, private_allowed):
    client.force_login(owner)
    assert "No webhook endpoints yet" in client.get(_url("webhooks")).content.decode()
    client.force_login(viewer)
    page = client.get(_url("webhooks")).content.decode()
    assert "Only the app's owners add" in page


def test_the_log_is_paged_newest_first(client, owner, endpoint, make_report):
    for number in range(27):
        make_report(Category.EXPERIENCE, details=f"Report {number}")
    client.force_login(owner)
    first = client.get(_url("webhook_detail", endpoint.pk))
    assert first.context["deliveries"].paginator.num_pages == 2
    newest = WebhookDelivery.objects.order_by("-created_at", "-id").first()
    assert first.context["deliveries"][0] == newest
    assert "Older" in first.content.decode()
