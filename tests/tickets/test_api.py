"""The in-app API: signed requests, the form's validation, the same service, JSON errors."""

import json
import time
from types import SimpleNamespace

import pytest

from reports import signing
from reports.models import OutboundEmail, Report, Screenshot
from reports.services import report_resolve
from tests.factories import png_bytes, upload
from tests.tickets.api_client import api_get, api_post, api_post_multipart, signed_headers

pytestmark = pytest.mark.django_db

CRASH = {"category": "experience", "issue_type": "crash", "details": "Crashes on start"}


def test_json_experience_report_is_filed_with_the_trusted_open_id(client, mini_app):
    response = api_post(
        client, mini_app, {**CRASH, "open_id": "oid-9", "contact_email": "A@B.example"}
    )
    assert response.status_code == 201
    report = Report.objects.get()
    body = response.json()
    assert body["report_id"] == report.report_id
    assert body["status"] == "pending"
    assert body["duplicate"] is False
    assert body["due_at"].endswith("Z")
    assert body["status_url"].endswith(
        f"/help/acme/tickets/{report.report_id}/?key={report.access_key}"
    )
    assert report.open_id == "oid-9"
    assert report.source == Report.Source.API
    assert report.contact_email == "a@b.example"
    assert OutboundEmail.objects.filter(to="a@b.example").count() == 1


def test_json_payment_report_accepts_the_full_issue_type_code(client, mini_app):
    response = api_post(
        client,
        mini_app,
        {"category": "payment", "issue_type": "payment.refund", "details": "x", "order_id": "O-1"},
    )
    assert response.status_code == 201
    assert Report.objects.get().order_id == "O-1"


def test_multipart_community_report_with_screenshots(client, mini_app):
    response = api_post_multipart(
        client,
        mini_app,
        {"category": "community", "issue_type": "harassment", "open_id": "oid-1"},
        [upload(png_bytes()), upload(png_bytes(image_format="JPEG"), name="b.jpg")],
    )
    assert response.status_code == 201, response.content
    report = Report.objects.get()
    assert report.screenshots.count() == 2
    assert report.details == ""


def test_validation_errors_are_json_with_a_message_per_field(client, mini_app):
    response = api_post(client, mini_app, {"category": "payment", "issue_type": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "validation_failed"
    assert body["fields"]["issue_type"] == ["Choose one of the issue types listed."]
    assert body["fields"]["details"] == [
        "Describe what happened, so the developer can look into it."
    ]
    assert body["fields"]["order_id"] == [
        "Enter the order ID of the payment, so the developer can find it."
    ]
    assert Report.objects.count() == 0


def test_unknown_category_and_wrong_types_are_400(client, mini_app):
    response = api_post(client, mini_app, {"category": "other", "issue_type": "x"})
    assert response.json()["fields"] == {
        "category": ["Use one of: experience, payment, community."]
    }
    response = api_post(client, mini_app, {**CRASH, "details": 5})
    assert response.json()["fields"] == {"details": ["This must be a string."]}
    body = b"[1, 2]"
    response = client.post(
        "/api/v1/apps/acme/reports",
        body,
        content_type="application/json",
        **signed_headers(mini_app.signing_secret, body),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_a_bad_screenshot_is_refused_and_nothing_is_stored(client, mini_app, media_root):
    response = api_post_multipart(
        client,
        mini_app,
        {"category": "community", "issue_type": "spam"},
        [upload(png_bytes()), upload(b"<svg><script/></svg>", name="x.svg")],
    )
    assert response.status_code == 400
    assert response.json()["fields"]["screenshots"] == [
        "x.svg: This file is not a PNG, JPEG or WebP image. Please attach a screenshot in one "
        "of those formats."
    ]
    assert Report.objects.count() == Screenshot.objects.count() == 0
    assert not media_root.exists() or not any(p.is_file() for p in media_root.rglob("*"))


def test_missing_wrong_stale_and_foreign_signatures_are_401(
    client, mini_app, other_app, monkeypatch
):
    # The server's clock stands still at a whole second: a timestamp 301 s ahead is then 301 s
    # ahead when checked. On the running clock, int() dropped up to a second and the request
    # took the rest, and "+301" was accepted as 300 s ahead on a busy machine.
    now = int(time.time())
    monkeypatch.setattr(signing, "time", SimpleNamespace(time=lambda: float(now)))
    body = json.dumps(CRASH).encode()
    missing = client.post("/api/v1/apps/acme/reports", body, content_type="application/json")
    assert missing.status_code == 401
    assert missing.json()["error"] == "signature_missing"
    foreign = api_post(client, mini_app, CRASH, secret=other_app.signing_secret)
    assert foreign.status_code == 401
    assert foreign.json()["error"] == "signature_invalid"
    stale = api_post(client, mini_app, CRASH, ts=now - 301)
    assert stale.status_code == 401
    assert stale.json()["error"] == "timestamp_expired"
    future = api_post(client, mini_app, CRASH, ts=now + 301)
    assert future.json()["error"] == "timestamp_expired"
    assert Report.objects.count() == 0


def test_a_body_changed_after_signing_is_refused(client, mini_app):
    signed = signed_headers(mini_app.signing_secret, json.dumps(CRASH).encode())
    tampered = json.dumps({**CRASH, "open_id": "someone-else"}).encode()
    response = client.post(
        "/api/v1/apps/acme/reports", tampered, content_type="application/json", **signed
    )
    assert response.status_code == 401
    assert Report.objects.count() == 0


def test_a_replayed_request_is_refused_within_the_window(client, mini_app):
    body = json.dumps(CRASH).encode()
    headers = signed_headers(mini_app.signing_secret, body)
    url = "/api/v1/apps/acme/reports"
    first = client.post(url, body, content_type="application/json", **headers)
    replay = client.post(url, body, content_type="application/json", **headers)
    assert first.status_code == 201
    assert replay.status_code == 401
    assert replay.json()["error"] == "replayed"
    assert Report.objects.count() == 1


def test_an_idempotency_key_makes_a_retry_safe(client, mini_app):
    headers = {"HTTP_IDEMPOTENCY_KEY": "retry-123"}
    first = api_post(client, mini_app, CRASH, headers=headers)
    # The same content, its keys in another order (so a new signature, not a replay).
    second = api_post(client, mini_app, dict(reversed(CRASH.items())), headers=headers)
    assert first.status_code == 201
    assert second.status_code == 200
    assert second.json()["report_id"] == first.json()["report_id"]
    assert Report.objects.count() == 1


def test_an_identical_report_from_the_same_open_id_is_answered_with_the_first(client, mini_app):
    first = api_post(client, mini_app, {**CRASH, "open_id": "oid-1"})
    second = api_post(client, mini_app, {**CRASH, "open_id": "oid-1", "contact_email": ""})
    assert second.status_code == 200
    assert second.json()["duplicate"] is True
    assert second.json()["report_id"] == first.json()["report_id"]


def test_unknown_app_is_404(client, mini_app):
    response = client.post("/api/v1/apps/nope/reports", b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_too_large_bodies_are_413(client, mini_app):
    response = api_post(client, mini_app, {**CRASH, "details": "x" * 70_000})
    assert response.status_code == 413
    assert response.json()["error"] == "too_large"


def test_unsupported_content_type_and_method_are_refused(client, mini_app):
    body = b"category=experience"
    response = client.post(
        "/api/v1/apps/acme/reports",
        body,
        content_type="text/plain",
        **signed_headers(mini_app.signing_secret, body),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_content_type"
    # GET lists reports with an API key (tests/tickets/test_handling_api.py); PUT is nothing.
    response = client.put("/api/v1/apps/acme/reports")
    assert response.status_code == 405
    assert response["Allow"] == "GET, POST"


def test_status_of_a_report(client, make_report, owner):
    report = make_report()
    report = report_resolve(report=report, actor=owner)
    response = api_get(client, report.mini_app, report.report_id)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "resolved"
    assert body["handled_at"].endswith("Z")
    assert "duplicate" not in body


def test_status_of_another_apps_report_is_404(client, make_report, other_app):
    report = make_report()
    assert api_get(client, other_app, report.report_id).status_code == 404
    assert api_get(client, report.mini_app, "NOSUCHID22").status_code == 404


def test_status_needs_a_valid_signature(client, make_report, other_app):
    report = make_report()
    response = api_get(client, report.mini_app, report.report_id, secret="wrong")
    assert response.status_code == 401
    response = api_get(client, report.mini_app, report.report_id, ts=int(time.time()) - 3600)
    assert response.status_code == 401


def test_a_non_ascii_signature_is_401_not_a_crash(client, mini_app):
    body = json.dumps(CRASH).encode()
    response = client.post(
        "/api/v1/apps/acme/reports",
        body,
        content_type="application/json",
        HTTP_X_REPORTDESK_TIMESTAMP=str(int(time.time())),
        HTTP_X_REPORTDESK_SIGNATURE="é" * 64,
    )
    assert response.status_code == 401


def test_deeply_nested_json_is_400_not_a_crash(client, mini_app):
    body = b"[" * 50_000 + b"]" * 50_000
    response = client.post(
        "/api/v1/apps/acme/reports",
        body[: 60 * 1024],
        content_type="application/json",
        **signed_headers(mini_app.signing_secret, body[: 60 * 1024]),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"
