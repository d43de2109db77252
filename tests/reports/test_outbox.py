"""The durable outbox: a queued e-mail is a row first, sent once, swept if never delivered."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from reports.models import OutboundEmail
from reports.outbox import email_deliver, email_enqueue, emails_deliver_pending

pytestmark = pytest.mark.django_db


def test_an_email_is_delivered_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        email = email_enqueue(to="r@example.net", subject="Report received", body="Hello")
    assert email_deliver(email_id=email.pk) is True
    assert email_deliver(email_id=email.pk) is False  # a retried task sends nothing more
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["r@example.net"]
    email.refresh_from_db()
    assert email.sent_at is not None


def test_the_same_dedupe_key_queues_one_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        first = email_enqueue(to="a@example.net", subject="s", body="b", dedupe_key="k:1")
        second = email_enqueue(to="a@example.net", subject="s", body="b", dedupe_key="k:1")
    assert first is not None and second is None
    assert OutboundEmail.objects.count() == 1


def test_the_sweep_sends_what_was_never_delivered(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # as if the broker were down
        old = email_enqueue(to="old@example.net", subject="s", body="b")
        fresh = email_enqueue(to="fresh@example.net", subject="s", body="b")
    OutboundEmail.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert emails_deliver_pending() == 1
    assert [message.to for message in mail.outbox] == [["old@example.net"]]
    fresh.refresh_from_db()
    assert fresh.sent_at is None  # left to its own task for now
