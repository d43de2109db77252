"""Answers that must not tell an outsider whether a report exists take the same time either
way. Checked by the work each path does (the same queries, the same tasks, the same key
comparison), not by timers; bench/timing.py measures the times."""

import hmac

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from config import celery_app
from reports.models import OutboundEmail

pytestmark = pytest.mark.django_db

CHECK = "/help/acme/check/"


@pytest.fixture
def eager_tasks():
    """Tasks run inline, so the test sees what the worker would do."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def test_check_a_report_does_the_same_work_whether_or_not_it_matches(
    client, make_report, django_capture_on_commit_callbacks, eager_tasks
):
    report = make_report(contact_email="ana@example.net")
    OutboundEmail.objects.all().delete()

    def check(email: str):
        with (
            CaptureQueriesContext(connection) as queries,
            django_capture_on_commit_callbacks() as callbacks,
        ):
            response = client.post(CHECK, {"report_id": report.report_id, "email": email})
        assert response.status_code == 302
        return len(queries), callbacks

    right_queries, right_callbacks = check("ana@example.net")
    wrong_queries, wrong_callbacks = check("eve@example.net")
    # The request neither looks the report up nor renders or stores an e-mail: each sends the
    # same one task after commit, and the worker does the rest.
    assert right_queries == wrong_queries
    assert len(right_callbacks) == len(wrong_callbacks) == 1
    assert not OutboundEmail.objects.exists()

    for callback in right_callbacks + wrong_callbacks:  # the worker's part
        callback()
    [email] = OutboundEmail.objects.all()
    assert email.to == "ana@example.net"
    assert f"?key={report.access_key}" in email.body


def test_a_real_id_with_a_wrong_key_costs_what_an_unknown_id_does(client, make_report, monkeypatch):
    report = make_report()
    compared = []
    compare_digest = hmac.compare_digest

    def counted_compare_digest(a, b):
        compared.append(a)
        return compare_digest(a, b)

    monkeypatch.setattr(hmac, "compare_digest", counted_compare_digest)

    def status_page(report_id: str) -> tuple[int, int]:
        compared.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/help/acme/tickets/{report_id}/?key=not-the-key")
        assert response.status_code == 404
        return len(queries), len(compared)

    wrong_key = status_page(report.report_id)
    unknown_id = status_page("ZZZZZZZZZZ")
    assert wrong_key == unknown_id
    assert unknown_id[1] == 1  # the key is compared (with a stand-in) even for an unknown ID
    # The right key still shows the page, with its events and screenshots.
    response = client.get(f"/help/acme/tickets/{report.report_id}/?key={report.access_key}")
    assert response.status_code == 200
    assert report.report_id in response.content.decode()
