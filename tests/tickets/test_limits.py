"""Abuse limits: submission rates per IP and per Open ID, and request sizes."""

import secrets
import socket
from urllib.parse import urlparse

import pytest

from reports.models import Report
from tests.tickets.api_client import api_post

pytestmark = pytest.mark.django_db

CRASH = {"issue_type": "experience.crash", "details": "Crash"}


def post(client, ip="127.0.0.1", **data):
    headers = {k: data.pop(k) for k in list(data) if k.startswith("HTTP_")}
    return client.post(
        "/help/acme/new/experience/",
        {"submission_key": secrets.token_urlsafe(24), **CRASH, **data},
        REMOTE_ADDR=ip,
        **headers,
    )


def test_too_many_reports_from_one_ip_get_a_friendly_429(client, mini_app, settings):
    settings.TICKETS_RATE_LIMITS = {"submit_ip": (2, 3600)}
    assert post(client, details="one").status_code == 302
    assert post(client, details="two").status_code == 302
    response = post(client, details="three")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert "Too many reports for now" in response.content.decode()
    assert Report.objects.count() == 2
    # Another address is not affected.
    assert post(client, details="four", ip="10.0.0.9").status_code == 302


def test_too_many_reports_from_one_open_id_are_limited_across_addresses(
    client, mini_app, settings, signed_link
):
    settings.TICKETS_RATE_LIMITS = {"submit_open_id": (1, 3600)}
    signed = signed_link(mini_app, open_id="oid-spam")
    assert post(client, details="one", **signed).status_code == 302
    response = post(client, details="two", ip="10.1.1.1", **signed)
    assert response.status_code == 429
    # An anonymous report from the same address still goes through.
    assert post(client, details="three").status_code == 302


def test_a_double_click_is_not_counted_against_the_limit(client, mini_app, settings):
    settings.TICKETS_RATE_LIMITS = {"submit_ip": (1, 3600)}
    token = secrets.token_urlsafe(24)
    assert post(client, submission_key=token).status_code == 302
    assert post(client, submission_key=token).status_code == 302
    assert Report.objects.count() == 1


def test_api_is_limited_per_open_id_with_json_429(client, mini_app, settings):
    settings.TICKETS_RATE_LIMITS = {"submit_open_id": (1, 3600)}
    data = {"category": "experience", "issue_type": "crash", "open_id": "oid-x"}
    assert api_post(client, mini_app, {**data, "details": "a"}).status_code == 201
    response = api_post(client, mini_app, {**data, "details": "b"})
    assert response.status_code == 429
    assert response.json()["error"] == "rate_limited"
    assert int(response["Retry-After"]) > 0


def test_check_a_report_is_rate_limited(client, mini_app, settings):
    settings.TICKETS_RATE_LIMITS = {"check_ip": (1, 3600)}
    data = {"report_id": "AAAAAAAAAA", "email": "a@b.example"}
    assert client.post("/help/acme/check/", data).status_code == 302
    assert client.post("/help/acme/check/", data).status_code == 429


def test_an_oversized_form_post_is_refused_as_413(client, mini_app):
    big = {"issue_type": "experience.crash", "details": "x" * (17 * 1024)}
    response = client.post("/help/acme/check/", big)
    assert response.status_code == 413
    assert "too much to upload" in response.content.decode()


def raw_request(live_server, request: bytes) -> bytes:
    url = urlparse(live_server.url)
    with socket.create_connection((url.hostname, url.port), timeout=5) as conn:
        conn.sendall(request)
        return conn.recv(4096)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/help/acme/new/experience/", "multipart/form-data; boundary=x"),
        ("/api/v1/apps/acme/reports", "application/json"),
        ("/api/v1/apps/acme/reports", "multipart/form-data; boundary=x"),
    ],
)
def test_the_size_limit_answers_before_reading_the_body(live_server, mini_app, path, content_type):
    # Declare a 200 MB body and send none of it: a server that tried to read it would hang
    # until the socket timed out; this one answers 413 from the headers alone.
    head = (
        f"POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
    ).encode()
    answer = raw_request(live_server, head)
    assert answer.startswith(b"HTTP/1.1 413")


def test_behind_a_proxy_the_limit_uses_the_forwarded_address(client, mini_app, settings):
    settings.TICKETS_RATE_LIMITS = {"submit_ip": (1, 3600)}
    settings.TRUST_X_FORWARDED_FOR = True
    # A client cannot dodge the limit by prepending its own X-Forwarded-For entries.
    first = post(client, details="a", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7")
    second = post(client, details="b", HTTP_X_FORWARDED_FOR="2.2.2.2, 203.0.113.7")
    other = post(client, details="c", HTTP_X_FORWARDED_FOR="203.0.113.8")
    assert (first.status_code, second.status_code, other.status_code) == (302, 429, 302)


def test_a_form_shown_again_with_its_errors_does_not_count_against_the_limit(
    client, mini_app, settings
):
    settings.TICKETS_RATE_LIMITS = {"submit_ip": (1, 3600)}
    for _ in range(3):
        refused = post(client, details="")  # an Experience report needs its details
        assert refused.status_code == 200
        assert "Describe what happened" in refused.content.decode()
    assert post(client, details="Crash on start").status_code == 302
    # The limit used up, even a form with errors is answered 429 without being checked.
    assert post(client, details="").status_code == 429
    assert post(client, details="Crash again").status_code == 429
    assert Report.objects.count() == 1
