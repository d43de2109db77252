"""Delivery against a real HTTP receiver on loopback: signatures (checked with the third-party
`standardwebhooks` package), retries, timeouts, redirects, the body cap, the sweep, the
disable-after-failures rule, and two workers claiming one delivery."""

import html
import json
import os
import socket
import subprocess
import textwrap
import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from celery import current_app
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from reports.models import AppEvent, Category, OutboundEmail
from reports.signing import SECRET_GRACE
from reports.tasks import prune_webhook_deliveries
from reports.webhooks import network
from reports.webhooks.delivery import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    deliveries_deliver_pending,
    deliveries_prune,
    delivery_attempt,
    webhook_signature,
)
from reports.webhooks.events import event_emit
from reports.webhooks.models import EventType, WebhookDelivery
from reports.webhooks.services import endpoint_secret_rotate, endpoint_update
from tests.conftest import on_postgres, run_at_once

from .receiver import Planned

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status


def _emit(endpoint, make_report, capture) -> WebhookDelivery:
    """A report.created delivery, its task not sent (as if the broker were down)."""
    with capture(execute=False):
        make_report(Category.EXPERIENCE, details="Webhook test")
    return WebhookDelivery.objects.get(endpoint=endpoint)


def _attempt_now(delivery: WebhookDelivery) -> bool | None:
    """The next attempt, as if its retry time had come."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
    return delivery_attempt(delivery_id=delivery.pk)


def test_a_delivery_is_signed_the_standard_webhooks_way(
    endpoint, receiver, make_report, django_capture_on_commit_callbacks
):
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)

    assert delivery_attempt(delivery_id=delivery.pk) is True

    (request,) = receiver.received
    assert request.path == "/hooks"
    headers = {name.lower(): value for name, value in request.headers.items()}
    assert headers["webhook-id"] == delivery.webhook_id
    assert headers["webhook-id"].startswith("msg_")
    assert headers["content-type"] == "application/json"
    # A third-party implementation accepts the signature, and parses the body.
    payload = Webhook(endpoint.secret).verify(request.body, headers)
    assert payload["type"] == "report.created"
    assert payload["data"]["details"] == "Webhook test"
    assert set(payload) == {"type", "timestamp", "data"}
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert delivery.last_status_code == 204
    assert delivery.attempts == 1
    assert delivery.next_attempt_at is None
    assert delivery.last_duration_ms is not None
    # A task run again (redelivered) sends nothing more: at least once, not twice for nothing.
    assert delivery_attempt(delivery_id=delivery.pk) is None
    assert len(receiver.received) == 1


def test_a_wrong_secret_fails_verification(
    endpoint, receiver, make_report, django_capture_on_commit_callbacks
):
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)
    assert delivery_attempt(delivery_id=delivery.pk) is True
    (request,) = receiver.received
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(request.body, request.headers)
    tampered = request.body.replace(b"Webhook test", b"Webhook best")
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(tampered, request.headers)


def test_after_a_rotation_both_secrets_verify_for_a_day_then_only_the_new_one(
    endpoint, owner, receiver, make_report, django_capture_on_commit_callbacks
):
    old = endpoint.secret
    new = endpoint_secret_rotate(endpoint=endpoint, actor=owner)
    assert new != old
    endpoint.refresh_from_db()
    assert (endpoint.secret, endpoint.previous_secret) == (new, old)
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)

    assert delivery_attempt(delivery_id=delivery.pk) is True
    (request,) = receiver.received
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    # A receiver still on the old secret and one already on the new both accept it.
    for secret in (old, new):
        assert Webhook(secret).verify(request.body, request.headers)["type"] == "report.created"

    # A day later the replaced secret no longer signs: a receiver still on it refuses.
    day_after = endpoint.secret_rotated_at + SECRET_GRACE + timedelta(seconds=1)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=Status.PENDING, next_attempt_at=timezone.now()
    )  # sent again (Resend), a day later
    assert delivery_attempt(delivery_id=delivery.pk, now=day_after) is True
    late = receiver.received[1]
    assert len(late.headers["webhook-signature"].split(" ")) == 1
    assert Webhook(new).verify(late.body, late.headers)["type"] == "report.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(late.body, late.headers)


def _published_verify(client, owner, language: str) -> str:
    """The verify() the webhooks page tells receivers to use, as they would copy it."""
    client.force_login(owner)
    page = client.get(reverse("reports:webhooks", args=["acme"])).content.decode()
    code = page.split('id="verify"')[1].split(f"<h3>{language}</h3>")[1]
    return html.unescape(code.split("<code>")[1].split("</code>")[0])


def test_the_published_verify_code_accepts_either_secret_while_rotating_and_refuses_the_rest(
    endpoint, owner, receiver, make_report, django_capture_on_commit_callbacks, client
):
    old = endpoint.secret
    new = endpoint_secret_rotate(endpoint=endpoint, actor=owner)
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)
    assert delivery_attempt(delivery_id=delivery.pk) is True
    (request,) = receiver.received
    headers = {name.lower(): value for name, value in request.headers.items()}
    stale_time = int(headers["webhook-timestamp"]) - 600
    replayed = {  # rightly signed, ten minutes old
        **headers,
        "webhook-timestamp": str(stale_time),
        "webhook-signature": webhook_signature(
            secret=new, webhook_id=headers["webhook-id"], timestamp=stale_time, body=request.body
        ),
    }
    python = _published_verify(client, owner, "Python")
    node = _published_verify(client, owner, "Node")

    def in_python(secret, body, headers):
        namespace = {}
        with mock.patch.dict(os.environ, {"REPORTDESK_WEBHOOK_SECRET": secret}):
            exec(python, namespace)  # noqa: S102 - our own published snippet
            return namespace["verify"](body, headers)

    def in_node(secret, body, headers):
        script = node + textwrap.dedent("""
            import fs from "node:fs";
            const given = JSON.parse(fs.readFileSync(0, "utf8"));
            console.log(JSON.stringify(verify(given.body, given.headers)));
        """)
        run = subprocess.run(
            ["node", "--input-type=module", "-e", script],
            input=json.dumps({"body": body.decode(), "headers": headers}),
            env={**os.environ, "REPORTDESK_WEBHOOK_SECRET": secret},
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        return json.loads(run.stdout)

    for verify in (in_python, in_node):
        assert verify(old, request.body, headers) is True, verify
        assert verify(new, request.body, headers) is True, verify
        assert verify("whsec_" + "A" * 32, request.body, headers) is False, verify
        assert verify(new, request.body.replace(b"Webhook", b"Webhooc"), headers) is False, verify
        assert verify(new, request.body, replayed) is False, verify


def test_a_second_rotation_keeps_only_the_secret_it_replaced(endpoint, owner):
    first = endpoint.secret
    second = endpoint_secret_rotate(endpoint=endpoint, actor=owner)
    third = endpoint_secret_rotate(endpoint=endpoint, actor=owner)
    endpoint.refresh_from_db()
    assert endpoint.signing_secrets() == [third, second]
    assert first not in endpoint.signing_secrets()


def test_500s_are_retried_with_the_same_webhook_id(
    endpoint, receiver, make_report, django_capture_on_commit_callbacks
):
    receiver.plan = [Planned(500, b"oops"), Planned(503), Planned(200, b"ok")]
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)

    before = timezone.now()
    assert delivery_attempt(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert delivery.last_status_code == 500
    assert delivery.response_excerpt == "oops"
    assert before + RETRY_DELAYS[0] <= delivery.next_attempt_at <= timezone.now() + RETRY_DELAYS[0]
    assert delivery_attempt(delivery_id=delivery.pk) is None  # not due yet

    assert _attempt_now(delivery) is False
    delivery.refresh_from_db()
    assert delivery.next_attempt_at >= timezone.now() + RETRY_DELAYS[1] - timedelta(seconds=5)
    assert _attempt_now(delivery) is True

    ids = {request.headers["webhook-id"] for request in receiver.received}
    assert ids == {delivery.webhook_id} and len(receiver.received) == 3
    for request in receiver.received:  # each attempt is signed afresh, each verifies
        Webhook(endpoint.secret).verify(request.body, request.headers)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        Status.DELIVERED,
        3,
        200,
    )
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.last_success_at


def test_a_timeout_is_a_failure_and_retried(
    settings, endpoint, receiver, make_report, django_capture_on_commit_callbacks
):
    settings.WEBHOOKS_TIMEOUT_SECONDS = 0.5
    receiver.plan = [Planned(204, delay=2.0)]
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)

    assert delivery_attempt(delivery_id=delivery.pk) is False
    delivery.refresh_from_db()
    assert delivery.status == Status.PENDING
    assert "No answer within 0.5 s" in delivery.last_error
    assert delivery.last_duration_ms < 2000

    assert _attempt_now(delivery) is True
    assert len(receiver.received) == 2


def test_an_answer_dripped_a_byte_at_a_time_is_cut_at_the_deadline(private_allowed):
    """The timeout is a deadline for the whole answer, not for each read."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def drip():
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)  # the request
            connection.sendall(b"HTTP/1.1 200 OK\r\n")
            for byte in b"X-Slow: " + b"x" * 200:  # a header that never ends in time
                if stop.wait(0.1):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the sender hung up: what this test wants

    server = threading.Thread(target=drip, daemon=True)
    server.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/hooks"
    started = time.monotonic()
    try:
        with pytest.raises(TimeoutError):
            network.post(url, body=b"{}", headers={}, timeout=1.0)
        assert time.monotonic() - started < 3  # each byte came within the timeout: 20 s
    finally:
        stop.set()
        server.join(timeout=5)
        listener.close()


def test_a_redirect_is_not_followed(
    endpoint, receiver, make_report, django_capture_on_commit_callbacks
):
    receiver.plan = [Planned(302, headers={"Location": f"{receiver.url}/elsewhere"})]
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)

    assert delivery_attempt(delivery_id=delivery.pk) is False

    assert [request.path for request in receiver.received] == ["/hooks"]
    delivery.refresh_from_db()
    assert delivery.last_status_code == 302
    assert "redirects are not followed" in delivery.last_error


def test_at_most_64_kb_of_the_answer_is_read(receiver, private_allowed):
    receiver.plan = [Planned(200, b"x" * 5_000_000)]
    answer = network.post(receiver.url, body=b"{}", headers={}, timeout=5)
    assert answer.status == 200
    assert len(answer.body) == network.RESPONSE_READ_LIMIT == 64 * 1024


def test_the_sweep_delivers_what_the_broker_never_got(
    endpoint, receiver, make_report, django_capture_on_commit_callbacks
):
    old = _emit(endpoint, make_report, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_report(Category.EXPERIENCE, details="Fresh")
    assert callbacks  # the task would have been sent after commit
    fresh = WebhookDelivery.objects.exclude(pk=old.pk).get()
    WebhookDelivery.objects.filter(pk=old.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=2)
    )

    assert deliveries_deliver_pending() == 1

    assert [r.headers["webhook-id"] for r in receiver.received] == [old.webhook_id]
    fresh.refresh_from_db()
    assert fresh.status == Status.PENDING and fresh.attempts == 0  # left to its own task


def test_the_endpoint_is_disabled_after_a_day_of_failures_and_owners_are_emailed(
    endpoint, receiver, make_report, owner, teammate, django_capture_on_commit_callbacks
):
    receiver.plan = [Planned(500)] * MAX_ATTEMPTS
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)
    assert sum(RETRY_DELAYS, timedelta()) > timedelta(hours=24)  # about a day of retries

    for attempt in range(MAX_ATTEMPTS):
        assert _attempt_now(delivery) is False, attempt

    delivery.refresh_from_db()
    assert delivery.status == Status.FAILED and delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is None
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    assert "failed 8 attempts" in endpoint.disabled_reason
    assert endpoint.consecutive_failures == MAX_ATTEMPTS and endpoint.failed_deliveries == 1
    assert AppEvent.objects.filter(kind=AppEvent.Kind.WEBHOOK_DISABLED).count() == 1
    emails = OutboundEmail.objects.filter(dedupe_key__startswith="webhooks:disabled:")
    assert [email.to for email in emails] == [owner.email]  # owners only, not the handler
    assert endpoint.url in emails[0].body
    # Disabled: nothing more is attempted, and new events write nothing for it.
    assert _attempt_now(delivery) is None
    assert event_emit(mini_app_id=endpoint.mini_app_id, type="report.created", data={}) == 0
    assert len(receiver.received) == MAX_ATTEMPTS


def test_a_disabled_endpoints_waiting_deliveries_wait(
    endpoint, receiver, make_report, django_capture_on_commit_callbacks
):
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)
    type(endpoint).objects.filter(pk=endpoint.pk).update(enabled=False)
    assert delivery_attempt(delivery_id=delivery.pk) is None
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    assert deliveries_deliver_pending() == 0
    assert receiver.received == []


def test_the_payload_is_sent_byte_for_byte_on_every_attempt(
    endpoint, receiver, make_report, django_capture_on_commit_callbacks
):
    receiver.plan = [Planned(500)]
    delivery = _emit(endpoint, make_report, django_capture_on_commit_callbacks)
    delivery_attempt(delivery_id=delivery.pk)
    _attempt_now(delivery)
    first, second = receiver.received
    assert first.body == second.body == delivery.payload.encode()
    assert json.loads(first.body)["type"] == EventType.REPORT_CREATED


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_never_send_one_delivery_twice(endpoint, receiver, make_report):
    make_report(Category.EXPERIENCE, details="Raced")  # committed: its task goes to no worker
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    receiver.plan = [Planned(200, delay=0.3)]

    results, errors = run_at_once(
        lambda: delivery_attempt(delivery_id=delivery.pk),
        lambda: delivery_attempt(delivery_id=delivery.pk),
    )

    assert errors == []
    assert sorted(results, key=str) == [None, True]
    assert len(receiver.received) == 1


def test_the_log_keeps_finished_deliveries_30_days_and_waiting_ones_until_sent(endpoint, settings):
    now = timezone.now()

    def delivery(status, age_days):
        at = now - timedelta(days=age_days)
        return WebhookDelivery.objects.create(
            endpoint=endpoint, event_type="report.created", payload="{}", status=status,
            created_at=at, next_attempt_at=at,
        )  # fmt: skip

    old = [delivery(Status.DELIVERED, 31), delivery(Status.FAILED, 45)]
    kept = [delivery(Status.DELIVERED, 29), delivery(Status.PENDING, 60)]  # endpoint disabled
    assert deliveries_prune(now=now, batch=1) == len(old)  # batches until none is left
    assert set(WebhookDelivery.objects.values_list("pk", flat=True)) == {d.pk for d in kept}
    assert deliveries_prune(now=now) == 0
    entry = settings.CELERY_BEAT_SCHEDULE["prune-webhook-deliveries"]
    assert entry["task"] == prune_webhook_deliveries.name and entry["schedule"] == 86400


def test_turning_an_endpoint_back_on_sends_the_deliveries_that_waited(
    endpoint, owner, receiver, make_report, django_capture_on_commit_callbacks, monkeypatch
):
    waiting = _emit(endpoint, make_report, django_capture_on_commit_callbacks)
    update = {"url": endpoint.url, "event_types": endpoint.event_types}
    endpoint_update(endpoint=endpoint, actor=owner, enabled=False, **update)
    with django_capture_on_commit_callbacks(execute=False):
        make_report(Category.EXPERIENCE, details="While it was off")
    assert WebhookDelivery.objects.get() == waiting  # nothing written for a disabled endpoint

    monkeypatch.setitem(current_app.conf, "task_always_eager", True)  # the task runs here
    with django_capture_on_commit_callbacks(execute=True):
        endpoint_update(endpoint=endpoint, actor=owner, enabled=True, **update)
    [request] = receiver.wait_for(1)
    assert request.headers["webhook-id"] == waiting.webhook_id
    waiting.refresh_from_db()
    assert waiting.status == Status.DELIVERED
