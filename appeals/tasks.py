"""Thin Celery tasks: ids in, a service call, retries. The rules live in the services."""

from celery import shared_task

from . import services


@shared_task(acks_late=True, time_limit=300, soft_time_limit=240)
def mark_past_due() -> int:
    # Idempotent (each appeal is marked once), so a redelivery after a crash is harmless.
    return services.appeals_mark_past_due()
