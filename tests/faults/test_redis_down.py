"""Redis is down (in production the cache and the broker share it): reports are still
accepted and their e-mails go out later, "Check a report" answers, the API refuses with a
clear "retry" (it cannot tell a replay from a first request), and people can sign in. Once
Redis is back, the limits apply again. A real redis-server of the test's own is stopped."""

import logging
import secrets

import pytest
from django.core import mail

from reports.models import OutboundEmail, Report
from tests.faults.test_broker_down import _point_celery_at, _revive_and_sweep
from tests.redis_server import redis_server
from tests.tickets.api_client import api_post

pytestmark = pytest.mark.django_db

FORM = "/help/acme/new/experience/"
PASSWORD = "correct horse battery"
CACHE_DOWN = "Cache unavailable"
API_REPORT = {"category": "experience", "issue_type": "crash", "contact_email": "ana@example.net"}


@pytest.fixture
def own_redis(settings, tmp_path):
    """A redis-server of the test's own as the cache and the broker; stopped at the end."""
    from config import celery_app

    original_broker = celery_app.conf.broker_url
    with redis_server(tmp_path) as server:
        settings.CACHES = {
            "default": {
                **settings.CACHES["default"],
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": server.url,
            }
        }
        _point_celery_at(server.url)
        try:
            yield server
        finally:
            _point_celery_at(original_broker)


def submit(client, details: str):
    return client.post(
        FORM,
        {
            "submission_key": secrets.token_urlsafe(24),
            "issue_type": "experience.crash",
            "details": details,
            "contact_email": "ana@example.net",
        },
    )


def sign_in(client, username: str, password: str):
    return client.post("/accounts/login/", {"username": username, "password": password})


def cache_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(CACHE_DOWN)]


def test_reports_are_accepted_unthrottled_and_emailed_once_redis_is_back(
    client, mini_app, own_redis, settings, django_capture_on_commit_callbacks, caplog
):
    settings.TICKETS_RATE_LIMITS = {"submit_ip": (1, 3600)}
    own_redis.stop()
    caplog.set_level(logging.WARNING)
    with django_capture_on_commit_callbacks(execute=True):
        first = submit(client, "Crash on start")
        assert len(cache_warnings(caplog)) == 1  # one line per request, not one per limit
        second = submit(client, "Crash on the orders page")  # over the limit: fails open
    assert (first.status_code, second.status_code) == (302, 302)
    assert "Report received" in client.get(first["Location"]).content.decode()
    assert Report.objects.count() == 2
    assert len(cache_warnings(caplog)) == 2
    assert "left for the outbox sweep" in caplog.text  # the broker is down with it
    assert mail.outbox == []

    own_redis.start()
    _revive_and_sweep(lambda: None, expected=2)
    assert sorted(message.to[0] for message in mail.outbox) == ["ana@example.net"] * 2


def test_check_a_report_answers_and_its_link_goes_out_once_redis_is_back(
    client, make_report, own_redis, django_capture_on_commit_callbacks, caplog
):
    report = make_report(contact_email="ana@example.net")
    OutboundEmail.objects.all().delete()
    own_redis.stop()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/help/acme/check/",
            {"report_id": report.report_id, "email": "ana@example.net"},
            follow=True,
        )
    assert response.status_code == 200
    assert "we have sent its status link there" in response.content.decode()
    assert len(cache_warnings(caplog)) == 1
    assert mail.outbox == []

    own_redis.start()
    _revive_and_sweep(lambda: None, expected=1)
    [message] = mail.outbox
    assert message.to == ["ana@example.net"]
    assert f"?key={report.access_key}" in message.body


def test_an_api_report_is_refused_with_a_retry_answer_then_accepted_once_redis_is_back(
    client, mini_app, own_redis, caplog
):
    own_redis.stop()
    response = api_post(client, mini_app, {**API_REPORT, "details": "Crash on start"})
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert "send it again" in response.json()["message"]
    assert int(response["Retry-After"]) > 0
    assert not Report.objects.exists()
    assert len(cache_warnings(caplog)) == 1

    own_redis.start()
    retried = api_post(client, mini_app, {**API_REPORT, "details": "Crash on start"})
    assert retried.status_code == 201
    assert Report.objects.get().report_id == retried.json()["report_id"]


def test_sign_in_works_while_redis_is_down(client, owner, own_redis, settings, caplog):
    settings.LOGIN_FAILURE_LIMIT = 2
    own_redis.stop()
    for _ in range(3):  # the lockout counters fail open: the password is still checked
        refused = sign_in(client, owner.username, "wrong password")
        assert refused.status_code == 200
        assert "correct username and password" in refused.content.decode()
    assert len(cache_warnings(caplog)) == 3
    response = sign_in(client, owner.username, PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_the_limits_apply_again_once_redis_is_back(client, owner, own_redis, settings):
    settings.TICKETS_RATE_LIMITS = {"submit_ip": (1, 3600)}
    settings.LOGIN_FAILURE_LIMIT = 2
    own_redis.stop()
    assert submit(client, "Down one").status_code == 302
    assert submit(client, "Down two").status_code == 302

    own_redis.start()
    assert submit(client, "Back one").status_code == 302
    assert submit(client, "Back two").status_code == 429
    sign_in(client, owner.username, "wrong password")
    locked = sign_in(client, owner.username, "wrong password")
    assert "Too many failed sign-in attempts" in locked.content.decode()
    assert (
        "Too many failed sign-in attempts"
        in sign_in(client, owner.username, PASSWORD).content.decode()
    )
