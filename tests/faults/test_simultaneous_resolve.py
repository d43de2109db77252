"""Two developers press Resolve and Dismiss on the same report at the same moment, over HTTP.

Two signed-in sessions against the live server (a real threaded web server, each request on
its own PostgreSQL connection) post at once from two threads: exactly one decision is taken,
the other developer gets 409 saying who handled it, and the history has one decision.
"""

import re
import threading

import httpx
import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from reports.models import ReportEvent, Status
from tests.conftest import on_postgres

pytestmark = [on_postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 3  # fresh reports, each raced once


def signed_in(live_server, user) -> httpx.Client:
    django_client = Client()
    django_client.force_login(user)
    session = django_client.cookies[settings.SESSION_COOKIE_NAME].value
    return httpx.Client(
        base_url=live_server.url, cookies={settings.SESSION_COOKIE_NAME: session}, timeout=30
    )


def panel_form(browser: httpx.Client, report) -> dict:
    """What the panel's form would post: its CSRF token and the version on screen."""
    page = browser.get(reverse("reports:report_detail", args=["acme", report.report_id]))
    assert page.status_code == 200
    html = page.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    version = re.search(r'name="version" value="(\d+)"', html).group(1)
    return {"csrfmiddlewaretoken": token, "version": version, "notes": ""}


def test_two_developers_deciding_at_once_over_http_exactly_one_wins(
    live_server, make_report, owner, teammate
):
    alice, bob = signed_in(live_server, owner), signed_in(live_server, teammate)
    for _ in range(ROUNDS):
        report = make_report()
        forms = {alice: panel_form(alice, report), bob: panel_form(bob, report)}
        barrier, answers = threading.Barrier(2), {}

        def press(browser, action, report=report, forms=forms, barrier=barrier, answers=answers):
            barrier.wait()
            # A dismissal tells the reporter why: the panel's form sends a reason with it.
            data = {**forms[browser], "reason": "spam"} if action == "dismiss" else forms[browser]
            answers[action] = browser.post(
                reverse(f"reports:report_{action}", args=["acme", report.report_id]),
                data=data,
            )

        threads = [
            threading.Thread(target=press, args=(alice, "resolve")),
            threading.Thread(target=press, args=(bob, "dismiss")),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        report.refresh_from_db()
        winner = "resolve" if report.status == Status.RESOLVED else "dismiss"
        loser = "dismiss" if winner == "resolve" else "resolve"
        assert report.status in (Status.RESOLVED, Status.DISMISSED)
        assert answers[winner].status_code == 302
        assert answers[loser].status_code == 409
        who = (owner if winner == "resolve" else teammate).username
        assert f"already {report.get_status_display().lower()} by {who}" in answers[loser].text
        decisions = report.events.filter(
            kind__in=[ReportEvent.Kind.RESOLVED, ReportEvent.Kind.DISMISSED]
        )
        assert decisions.count() == 1
        assert report.version == 2  # one change, not two
    alice.close()
    bob.close()
