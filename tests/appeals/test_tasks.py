"""The beat job covers appeals: its schedule entry, and the task run by a real worker."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from appeals import tasks
from appeals.models import Appeal
from config.celery import app as celery_app


def test_beat_runs_the_appeals_task_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["mark-appeals-past-due"]
    assert entry["task"] == tasks.mark_past_due.name
    assert entry["task"] in celery_app.tasks
    assert entry["schedule"] == settings.PAST_DUE_INTERVAL_SECONDS
    # Same expiry as the reports' job: a busy worker still runs it.
    assert entry["options"] == settings.CELERY_BEAT_SCHEDULE["mark-past-due"]["options"]


@pytest.mark.django_db
def test_the_task_marks_overdue_open_appeals(resolved_report, make_appeal):
    appeal = make_appeal(resolved_report)
    assert tasks.mark_past_due.apply().get() == 0
    Appeal.objects.filter(pk=appeal.pk).update(
        created_at=timezone.now() - timedelta(hours=73), due_at=timezone.now() - timedelta(hours=1)
    )
    assert tasks.mark_past_due.apply().get() == 1
    appeal.refresh_from_db()
    assert appeal.past_due_at is not None


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_marks_overdue_appeals(resolved_report, make_appeal):
    from celery.contrib.testing.worker import start_worker

    appeal = make_appeal(resolved_report)
    Appeal.objects.filter(pk=appeal.pk).update(
        created_at=timezone.now() - timedelta(hours=73), due_at=timezone.now() - timedelta(hours=1)
    )
    celery_app.control.purge()  # leftovers of other tests in this Redis DB would come first
    with start_worker(celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING"):
        tasks.mark_past_due.delay()
        deadline = time.monotonic() + 60  # a generous ceiling on a busy machine, not a target
        while time.monotonic() < deadline:
            appeal.refresh_from_db()
            if appeal.past_due_at is not None:
                break
            time.sleep(0.05)  # polling the worker's effect, not a timing assertion
    assert appeal.past_due_at is not None
