"""The broker is down: the report is still saved and confirmed; the e-mail goes out later."""

import secrets
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from config import celery_app
from reports.models import OutboundEmail, Report
from reports.tasks import deliver_pending_emails

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


def test_report_is_saved_and_confirmed_then_emailed_once_the_broker_is_back(
    client, mini_app, dead_broker, django_capture_on_commit_callbacks, caplog
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/help/acme/new/experience/",
            {
                "submission_key": secrets.token_urlsafe(24),
                "issue_type": "experience.crash",
                "details": "Crash on start",
                "contact_email": "ana@example.net",
            },
        )
    report = Report.objects.get()
    assert response.status_code == 302
    assert "Report received" in client.get(response["Location"]).content.decode()
    assert "left for the outbox sweep" in caplog.text  # the enqueue really failed
    email = OutboundEmail.objects.get()
    assert email.sent_at is None
    assert mail.outbox == []

    dead_broker()
    # The broker takes messages again (a real publish to Redis) ...
    with celery_app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
    # ... and the beat's sweep, a minute later, delivers what was left.
    OutboundEmail.objects.filter(pk=email.pk).update(
        created_at=timezone.now() - timedelta(minutes=1)
    )
    assert deliver_pending_emails.apply().get() == 1
    assert [message.to for message in mail.outbox] == [["ana@example.net"]]
    assert report.report_id in mail.outbox[0].subject
    email.refresh_from_db()
    assert email.sent_at is not None
