"""Thin Celery tasks: ids in, a service call, retries. The rules live in the services."""

from celery import shared_task

from . import outbox, services


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def mark_past_due() -> int:
    # Idempotent (each report is marked once), so a redelivery after a crash is harmless.
    return services.reports_mark_past_due()


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=(Exception,),
    retry_backoff=30,
    retry_backoff_max=900,
    max_retries=6,
    time_limit=60,
)
def deliver_email(self, email_id: int) -> bool:
    return outbox.email_deliver(email_id=email_id)


@shared_task(acks_late=True, time_limit=300)
def deliver_pending_emails() -> int:
    return outbox.emails_deliver_pending()
