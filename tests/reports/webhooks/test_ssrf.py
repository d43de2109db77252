"""No server-side request forgery: with DEBUG off, every address class a webhook could use to
reach inside the network is refused when the endpoint is saved and again at delivery, on the
address actually connected to. Nothing here leaves the machine (IP literals, loopback)."""

import html
import socket

import pytest
from django.urls import reverse

from reports.models import Category
from reports.webhooks import network
from reports.webhooks.delivery import delivery_attempt
from reports.webhooks.models import WebhookDelivery, WebhookEndpoint
from reports.webhooks.network import WebhookAddressRefused, url_check
from reports.webhooks.services import endpoint_create

pytestmark = pytest.mark.django_db

REFUSED = [
    ("https://127.0.0.1/hook", "a loopback address"),
    ("https://127.8.9.10/hook", "a loopback address"),
    ("https://[::1]/hook", "a loopback address"),
    ("https://localhost/hook", "a loopback address"),  # a name that resolves to 127.0.0.1
    ("https://10.1.2.3/hook", "a private network address"),
    ("https://172.16.0.1/hook", "a private network address"),
    ("https://192.168.1.20:8443/hook", "a private network address"),
    ("https://[fd12:3456::1]/hook", "a private network address"),
    ("https://169.254.10.1/hook", "a link-local address"),
    ("https://[fe80::1]/hook", "a link-local address"),
    ("https://224.0.0.251/hook", "a multicast address"),
    ("https://[ff02::1]/hook", "a multicast address"),
    ("https://240.0.0.1/hook", "a reserved address"),
    ("https://0.0.0.0/hook", "an unspecified address"),
    ("https://[::]/hook", "an unspecified address"),
    ("https://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
    ("https://[fd00:ec2::254]/", "a cloud metadata address"),
    ("https://[::ffff:127.0.0.1]/hook", "a loopback address"),  # IPv4-mapped
    ("https://[2002:7f00:1::1]/hook", "a loopback address"),  # 6to4 of 127.0.0.1
    ("https://[64:ff9b::a00:1]/hook", "a private network address"),  # NAT64 of 10.0.0.1
    ("https://[64:ff9b::a9fe:a9fe]/hook", "a cloud metadata address"),  # NAT64 of 169.254.169.254
    ("https://100.64.0.1/hook", "a non-public address"),  # carrier-grade NAT
]


@pytest.mark.parametrize(("url", "why"), REFUSED, ids=[url for url, _ in REFUSED])
def test_each_address_class_is_refused_when_saved(production, client, owner, url, why):
    with pytest.raises(WebhookAddressRefused, match=why):
        url_check(url)
    client.force_login(owner)
    response = client.post(
        reverse("reports:webhooks", args=["acme"]),
        {"url": url, "event_types": ["report.created"], "enabled": "on"},
    )
    assert response.status_code == 400
    assert why in html.unescape(response.content.decode())
    assert not WebhookEndpoint.objects.exists()


def test_a_public_https_address_is_accepted(production):
    url_check("https://93.184.216.34/hooks")  # an IP literal: nothing is resolved outside


def test_plain_http_is_refused_in_production(production):
    with pytest.raises(WebhookAddressRefused, match="https://"):
        url_check("http://93.184.216.34/hooks")
    with pytest.raises(WebhookAddressRefused, match="https://"):
        url_check("ftp://93.184.216.34/hooks")


def test_credentials_in_the_url_are_refused(production):
    with pytest.raises(WebhookAddressRefused, match="passwords"):
        url_check("https://user:pw@93.184.216.34/hooks")


def test_the_service_refuses_too_and_stores_nothing(production, mini_app, owner):
    with pytest.raises(WebhookAddressRefused):
        endpoint_create(
            mini_app=mini_app, actor=owner, url="https://10.0.0.5/", event_types=["report.created"]
        )
    assert WebhookEndpoint.objects.count() == 0


def test_private_networks_are_allowed_when_the_setting_says_so(settings):
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    url_check("http://127.0.0.1:8000/hooks")
    url_check("http://localhost/hooks")


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_delivery_refuses_a_loopback_address_in_production(
    settings, mini_app, receiver, make_report, host, django_capture_on_commit_callbacks
):
    # Saved while allowed (as in development), delivered with the production rules.
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    endpoint = WebhookEndpoint.objects.create(
        mini_app=mini_app,
        url=f"http://{host}:{receiver.port}/hooks",
        event_types=["report.created"],
    )
    with django_capture_on_commit_callbacks(execute=False):
        make_report(Category.EXPERIENCE)
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = False
    # https only, so make the URL https too: the address is what is refused.
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        url=f"https://{host}:{receiver.port}/hooks"
    )
    delivery = WebhookDelivery.objects.get()

    assert delivery_attempt(delivery_id=delivery.pk) is False

    delivery.refresh_from_db()
    assert "a loopback address" in delivery.last_error  # 127.0.0.1 (or ::1 for localhost)
    assert delivery.last_status_code is None
    assert receiver.received == []


def test_dns_rebinding_does_not_help(
    production, monkeypatch, mini_app, receiver, make_report, django_capture_on_commit_callbacks
):
    """The name resolved to a public address when saved, and to loopback at delivery: the
    delivery checks what it connects to, so it refuses (DNS itself is outside the machine:
    the resolver is the one thing replaced)."""
    answers = iter(["93.184.216.34", "127.0.0.1"])

    def resolve(host, port, *args, **kwargs):
        address = next(answers)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(network.socket, "getaddrinfo", resolve)
    endpoint = endpoint_create(
        mini_app=mini_app,
        actor=None,
        url=f"https://hooks.rebind.test:{receiver.port}/hooks",
        event_types=["report.created"],
    )
    with django_capture_on_commit_callbacks(execute=False):
        make_report(Category.EXPERIENCE)
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)

    assert delivery_attempt(delivery_id=delivery.pk) is False

    delivery.refresh_from_db()
    assert "hooks.rebind.test resolves to a loopback address" in delivery.last_error
    assert "127.0.0.1" not in delivery.last_error  # the tenant learns no internal address
    assert receiver.received == []


def test_the_checked_address_is_the_one_connected_to_with_the_name_as_host(
    private_allowed, monkeypatch, receiver
):
    """Resolved once: the connection goes to that address, the name only in Host."""
    calls = []

    def resolve(host, port, *args, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(network.socket, "getaddrinfo", resolve)
    answer = network.post(
        f"http://hooks.pinned.test:{receiver.port}/hooks", body=b"{}", headers={}, timeout=5
    )
    assert answer.status == 204
    # The name is looked up once; the connection is made to the address (a literal).
    assert [host for host in calls if host != "127.0.0.1"] == ["hooks.pinned.test"]
    (request,) = receiver.received
    assert request.headers["Host"] == f"hooks.pinned.test:{receiver.port}"
