"""The durable e-mail outbox, shared by every app that writes to people.

An e-mail is first a row (in the caller's transaction), then a task enqueued after commit.
If the broker is down the row waits, and the beat sweep delivers it: nothing is lost, and a
row is sent at most once by a successful delivery (the row lock and `sent_at` see to that).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.utils import timezone

from .after_response import send_after_commit, task_send
from .models import OutboundEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
SWEEP_GRACE = timedelta(seconds=30)  # leave fresh rows to their own task


def email_enqueue(
    *, to: str, subject: str, body: str, html_body: str = "", dedupe_key: str = ""
) -> OutboundEmail | None:
    """Queue an e-mail. With a dedupe_key, a second call for the same key queues nothing."""
    # One line, always: a CR or LF from a mini app's name would make the Subject header
    # unsendable (Django refuses header injection with BadHeaderError at delivery).
    subject = " ".join(subject.split())[:200]
    try:
        with transaction.atomic():
            email = OutboundEmail.objects.create(
                to=to, subject=subject, body=body, html_body=html_body, dedupe_key=dedupe_key
            )
    except IntegrityError:
        if dedupe_key:
            return None  # already queued (or sent) once
        raise
    send_after_commit(
        lambda: task_send(DELIVER_EMAIL_TASK, email.pk, what="e-mail", sweep="outbox sweep")
    )
    return email


# Sent by name: reports.tasks imports this module (and reminders, which imports it), so
# importing the task here would close an import circle.
DELIVER_EMAIL_TASK = "reports.tasks.deliver_email"


def email_deliver(*, email_id: int) -> bool:
    """Send one queued e-mail unless it was sent already; True if this call sent it."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, sent_at__isnull=True)
            .first()
        )
        if email is None:
            return False  # sent already, or another worker holds it right now
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[email.to],
        )
        if email.html_body:
            message.attach_alternative(email.html_body, "text/html")
        # At least once, not exactly once: a worker killed after the SMTP server accepted the
        # message but before this transaction commits sent_at leaves the row unsent, and the
        # redelivered task sends it again. Killed any earlier, the server never accepted it
        # and the redelivery sends it once (tests/faults/test_worker_killed.py).
        try:
            message.send()
        except Exception as error:
            OutboundEmail.objects.filter(pk=email.pk).update(
                attempts=email.attempts + 1, last_error=str(error)[:2000]
            )
            raise
        email.sent_at = timezone.now()
        email.attempts += 1
        email.save(update_fields=["sent_at", "attempts"])
    return True


def emails_deliver_pending(*, limit: int = 500) -> int:
    """The sweep: send what was queued but never delivered (e.g. while the broker was down)."""
    cutoff = timezone.now() - SWEEP_GRACE
    pending = OutboundEmail.objects.filter(
        sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=MAX_ATTEMPTS
    ).order_by("created_at")
    sent = 0
    for email_id in pending.values_list("pk", flat=True)[:limit]:
        try:
            sent += email_deliver(email_id=email_id)
        except Exception:
            logger.exception("Outbox sweep could not send e-mail %s", email_id)
    return sent
