"""Thin Celery tasks: ids in, a service call, retries. The rules live in the services.

Every task here is idempotent, so `acks_late` is safe: a task whose worker dies mid-run is
redelivered and run again without doing anything twice.
"""

from celery import shared_task

from . import daily_summary, outbox, reminders, services
from .webhooks import delivery as webhook_delivery

# The e-mail tasks retry with exponential backoff (30 s, 60 s, ... capped at 15 min).
_EMAIL_RETRIES = {
    "autoretry_for": (Exception,),
    "retry_backoff": 30,
    "retry_backoff_max": 900,
    "retry_jitter": True,
    "max_retries": 6,
}


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def mark_past_due() -> int:
    # No retries: beat runs this every minute, and the next run picks up whatever this one missed.
    marked = services.reports_mark_past_due()
    if marked:
        send_past_due_digests.delay()
    return marked


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240, **_EMAIL_RETRIES)
def send_past_due_digests() -> int:
    return reminders.reminders_past_due_send()


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240, **_EMAIL_RETRIES)
def send_daily_summaries() -> int:
    # A retry sends only what the failed run did not: each summary is its own transaction.
    return daily_summary.daily_summaries_send()


@shared_task(acks_late=True, time_limit=60, **_EMAIL_RETRIES)
def deliver_email(email_id: int) -> bool:
    return outbox.email_deliver(email_id=email_id)


@shared_task(acks_late=True, time_limit=300)
def deliver_pending_emails() -> int:
    return outbox.emails_deliver_pending()


# Webhooks keep their own retry schedule (reports.webhooks.delivery): no Celery autoretry.
@shared_task(acks_late=True, time_limit=120)
def deliver_webhook(delivery_id: int) -> bool | None:
    return webhook_delivery.delivery_attempt(delivery_id=delivery_id)


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def deliver_pending_webhooks() -> int:
    return webhook_delivery.deliveries_deliver_pending()


@shared_task(acks_late=True, time_limit=900, soft_time_limit=840)
def prune_webhook_deliveries() -> int:
    return webhook_delivery.deliveries_prune()
