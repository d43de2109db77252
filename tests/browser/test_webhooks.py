"""An owner adds a webhook endpoint, copies its secret, and sends a test event to a receiver
on loopback, in a real Chromium; the receiver verifies the signature (standardwebhooks)."""

import re

import pytest
from playwright.sync_api import expect
from standardwebhooks.webhooks import Webhook

from config.celery import app as celery_app
from reports import tasks  # noqa: F401 (registered, so eager mode runs the delivery task)
from reports.webhooks.models import WebhookEndpoint
from tests.browser.test_accessibility import signed_in
from tests.reports.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def eager_tasks(settings):
    """The delivery task runs in the live server as soon as it is sent (no worker here)."""
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_add_an_endpoint_and_send_a_test_event(
    page, live_server, owner, mini_app, receiver, eager_tasks
):
    signed_in(page, owner, live_server)
    page.goto("/console/acme/integration/")
    page.get_by_role("link", name="Manage webhooks").click()
    expect(page.get_by_text("No webhook endpoints yet.")).to_be_visible()

    page.get_by_label("Endpoint URL").fill(receiver.url)
    page.get_by_label(re.compile("^report.created")).check()
    page.get_by_label(re.compile("^appeal.decided")).check()
    page.get_by_label("Enabled").check()
    page.get_by_role("button", name="Add endpoint").click()

    expect(page.get_by_role("heading", name="Copy the endpoint's secret now")).to_be_visible()
    secret = page.get_by_role("textbox", name="Signing secret").input_value()
    assert secret.startswith("whsec_")
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.event_types == ["report.created", "appeal.decided"]

    page.get_by_role("link", name=re.compile("Open the endpoint")).click()
    expect(page.get_by_text("Nothing delivered yet.")).to_be_visible()
    page.get_by_role("button", name="Send test event").click()
    expect(page.get_by_role("status")).to_contain_text("Test event sent")

    (request,) = receiver.wait_for(1)
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["type"] == "webhook.test"
    assert payload["data"]["mini_app"] == "acme"
    log = page.get_by_role("table", name="Delivery log")
    expect(log).to_contain_text("webhook.test")
    expect(log).to_contain_text("Delivered")
    expect(log).to_contain_text("HTTP 204")
