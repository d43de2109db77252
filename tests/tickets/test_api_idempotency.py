"""Idempotency-Key: a retry gets the first report, the key reused for other content is a 422
(as the IETF draft "The Idempotency-Key HTTP Header Field" and Stripe answer), and requests
with one key at once file one report and say 201 to exactly one of them."""

import json
import time

import pytest
from django.test import Client
from django.test.client import encode_multipart

from reports.models import OutboundEmail, Report
from tests.conftest import on_postgres, run_at_once
from tests.factories import png_bytes, upload
from tests.tickets.api_client import BOUNDARY, api_post, api_post_multipart, signed_headers

CRASH = {"category": "experience", "issue_type": "crash", "details": "Crashes on start"}
KEY = {"HTTP_IDEMPOTENCY_KEY": "order-1001-crash"}


@pytest.mark.django_db
def test_the_key_reused_with_other_content_is_422_and_files_nothing(client, mini_app):
    first = api_post(client, mini_app, CRASH, headers=KEY)
    reused = api_post(client, mini_app, {**CRASH, "details": "Something else"}, headers=KEY)
    assert first.status_code == 201
    assert reused.status_code == 422
    body = reused.json()
    assert body["error"] == "idempotency_key_reused"
    assert first.json()["report_id"] in body["message"]
    assert Report.objects.get().details == "Crashes on start"


@pytest.mark.django_db
def test_the_key_reused_with_another_screenshot_is_422(client, mini_app):
    fields = {"category": "community", "issue_type": "spam"}
    first = api_post_multipart(client, mini_app, fields, [upload(png_bytes())], headers=KEY)
    other = upload(png_bytes(color=(0, 0, 255)))
    reused = api_post_multipart(client, mini_app, fields, [other], headers=KEY)
    assert first.status_code == 201
    assert reused.status_code == 422
    assert Report.objects.count() == 1


@pytest.mark.django_db
def test_a_retry_with_another_multipart_boundary_is_the_same_request(client, mini_app):
    fields = {"category": "community", "issue_type": "spam"}
    first = api_post_multipart(client, mini_app, fields, [upload(png_bytes())], headers=KEY)
    body = encode_multipart("another-boundary", {**fields, "screenshots": [upload(png_bytes())]})
    retry = client.post(
        "/api/v1/apps/acme/reports",
        body,
        content_type="multipart/form-data; boundary=another-boundary",
        **signed_headers(mini_app.signing_secret, body),
        **KEY,
    )
    assert BOUNDARY != "another-boundary"
    assert first.status_code == 201
    assert retry.status_code == 200
    assert retry.json()["report_id"] == first.json()["report_id"]


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["a" * 61, "with space", "nul\x00", "tab\there", "ünïcode"])
def test_a_key_that_is_not_printable_ascii_is_400(client, mini_app, key):
    response = api_post(client, mini_app, CRASH, headers={"HTTP_IDEMPOTENCY_KEY": key})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["Idempotency-Key"]
    assert Report.objects.count() == 0


def _post_at_once(app, payloads: list[dict]) -> list[tuple[int, dict]]:
    """Each payload signed with its own timestamp (so none is refused as a replay) and posted
    from its own thread and client, all released together."""
    now = int(time.time())

    def post(payload, ts):
        def call():
            body = json.dumps(payload).encode()
            response = Client().post(
                f"/api/v1/apps/{app.slug}/reports",
                body,
                content_type="application/json",
                **signed_headers(app.signing_secret, body, ts),
                **KEY,
            )
            return response.status_code, response.json()

        return call

    results, errors = run_at_once(*[post(p, now - i) for i, p in enumerate(payloads)])
    assert errors == []
    return results


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_requests_with_one_key_at_once_file_one_report_and_one_201(mini_app):
    payload = {**CRASH, "contact_email": "ana@example.net"}
    results = _post_at_once(mini_app, [payload] * 8)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 7 + [201]
    assert len({body["report_id"] for _, body in results}) == 1
    assert Report.objects.count() == 1
    assert OutboundEmail.objects.count() == 1


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_different_bodies_with_one_key_at_once_file_one_and_refuse_seven(mini_app):
    payloads = [{**CRASH, "details": f"Attempt {i}"} for i in range(8)]
    results = _post_at_once(mini_app, payloads)
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [422] * 7
    (winner,) = [body for status, body in results if status == 201]
    report = Report.objects.get()
    assert report.report_id == winner["report_id"]
    assert all(body["error"] == "idempotency_key_reused" for s, body in results if s == 422)
