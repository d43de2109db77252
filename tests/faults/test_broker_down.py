"""The broker is down: a report (form or API) or an appeal is still saved and confirmed; the
e-mails and webhooks go out later, once each."""

import secrets
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from appeals.models import Appeal
from config import celery_app
from reports.models import Category, OutboundEmail, Report
from reports.services import report_resolve
from reports.tasks import deliver_pending_emails, deliver_pending_webhooks
from reports.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.reports.webhooks.receiver import Receiver
from tests.tickets.api_client import api_post

pytestmark = pytest.mark.django_db


def _point_celery_at(url: str) -> None:
    # Forget the cached pools, so the next publish looks up (or creates) the pool of `url`.
    # Never close them: kombu keeps one pool per URL for the whole process, and a closed one
    # would break every later publish to the real broker.
    celery_app.conf.broker_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def dead_broker():
    """Point the real Celery app at a closed port; the returned function (and teardown)
    points it back at the real broker."""
    original = celery_app.conf.broker_url
    _point_celery_at("redis://127.0.0.1:1/0")

    def revive():
        _point_celery_at(original)

    yield revive
    revive()


def _file_crash_report(client, **fields):
    """The help center's form, as a reporter sends it."""
    return client.post(
        "/help/acme/new/experience/",
        {
            "submission_key": secrets.token_urlsafe(24),
            "issue_type": "experience.crash",
            "details": "Crash on start",
            **fields,
        },
    )


def test_report_is_saved_and_confirmed_then_emailed_once_the_broker_is_back(
    client, mini_app, dead_broker, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _file_crash_report(client, contact_email="ana@example.net")
    report = Report.objects.get()
    assert response.status_code == 302
    assert "Report received" in client.get(response["Location"]).content.decode()
    assert "left for the outbox sweep" in caplog.text  # the enqueue really failed
    email = OutboundEmail.objects.get()
    assert email.sent_at is None
    assert mail.outbox == []

    _revive_and_sweep(dead_broker, expected=1)
    assert [message.to for message in mail.outbox] == [["ana@example.net"]]
    assert report.report_id in mail.outbox[0].subject
    email.refresh_from_db()
    assert email.sent_at is not None


def _revive_and_sweep(revive, *, expected: int) -> None:
    revive()
    # The broker takes messages again (a real publish to Redis) ...
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    # ... and the beat's sweep, a minute later, delivers what was left, once.
    OutboundEmail.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    assert deliver_pending_emails.apply().get() == expected
    assert deliver_pending_emails.apply().get() == 0
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()


def test_an_api_report_is_filed_then_emailed_once_the_broker_is_back(
    client, mini_app, dead_broker, django_capture_on_commit_callbacks, caplog
):
    payload = {"category": "experience", "issue_type": "crash", "contact_email": "ana@example.net"}
    with django_capture_on_commit_callbacks(execute=True):
        response = api_post(client, mini_app, {**payload, "details": "Crash on start"})
    assert response.status_code == 201
    report = Report.objects.get(report_id=response.json()["report_id"])
    assert "left for the outbox sweep" in caplog.text
    assert mail.outbox == []

    _revive_and_sweep(dead_broker, expected=1)
    [message] = mail.outbox
    assert message.to == ["ana@example.net"] and report.report_id in message.subject


def test_an_appeal_is_saved_then_its_emails_go_out_once_the_broker_is_back(
    client, make_report, owner, dead_broker, django_capture_on_commit_callbacks, caplog
):
    report = make_report(Category.PAYMENT, contact_email="ana@example.net")
    report = report_resolve(report=report, actor=owner)
    url = reverse("appeals:appeal_new", kwargs={"app_slug": "acme", "report_id": report.report_id})
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"{url}?key={report.access_key}",
            {
                "contact_email": "ana@example.net",
                "reason": "The refund never arrived; my bank shows no credit for the order.",
            },
        )
    # Each e-mail finds the broker down at once: no reconnect wait per e-mail (it was ~6 s
    # each, so an app with many members kept the reporter waiting for minutes).
    assert time.monotonic() - started < 5
    assert response.status_code == 302
    appeal = Appeal.objects.get(report=report)
    assert "Your appeal was sent" in client.get(response["Location"]).content.decode()
    assert "left for the outbox sweep" in caplog.text
    assert mail.outbox == []

    # The reporter's receipt and the owner's notice, and the decision e-mail that the resolve
    # above queued (its on-commit send never ran in this test's transaction).
    _revive_and_sweep(dead_broker, expected=3)
    assert sorted(message.to[0] for message in mail.outbox) == [
        "ana@example.net",
        "ana@example.net",
        owner.email,
    ]
    assert all(report.report_id in message.subject for message in mail.outbox)
    assert appeal.state == Appeal.State.OPEN


def test_a_webhook_waits_for_the_sweep_and_goes_once_with_its_webhook_id(
    client, mini_app, owner, dead_broker, django_capture_on_commit_callbacks, caplog, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True  # the receiver listens on loopback
    receiver = Receiver()
    try:
        endpoint = WebhookEndpoint.objects.create(
            mini_app=mini_app, url=receiver.url, event_types=["report.created"], created_by=owner
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = _file_crash_report(client)
        assert response.status_code == 302
        report = Report.objects.get()
        assert "left for the sweep" in caplog.text  # the real publish failed
        delivery = WebhookDelivery.objects.get(endpoint=endpoint)
        assert delivery.status == WebhookDelivery.Status.PENDING and receiver.received == []

        dead_broker()
        # The beat's sweep, once the delivery has waited past the grace for its own task.
        WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=2))
        assert deliver_pending_webhooks.apply().get() == 1
        assert deliver_pending_webhooks.apply().get() == 0

        (request,) = receiver.received
        assert request.headers["webhook-id"] == delivery.webhook_id
        payload = Webhook(endpoint.secret).verify(request.body, request.headers)
        assert payload["type"] == "report.created"
        assert payload["data"]["report_id"] == report.report_id
    finally:
        receiver.close()
