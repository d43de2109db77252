"""Thin Celery tasks of the help center: ids in, a service call, retries."""

from celery import shared_task
from django.db import DatabaseError

from reports.models import MiniApp

from . import services


@shared_task(
    bind=True,
    acks_late=True,
    time_limit=60,
    autoretry_for=(DatabaseError,),
    retry_backoff=30,
    max_retries=3,
)
def send_status_link(
    self, *, mini_app_id: int, report_id: str, email: str, language: str, tz_name: str
) -> None:
    mini_app = MiniApp.objects.filter(pk=mini_app_id).first()
    if mini_app is None:
        return
    services.report_status_link_send(
        mini_app=mini_app,
        report_id=report_id,
        email=email,
        language=language,
        tz_name=tz_name,
        # A redelivered task (its worker died) queues no second e-mail.
        dedupe_key=f"status-link:{self.request.id}",
    )
