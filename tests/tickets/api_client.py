"""A signed client for /api/v1/, as a mini app's backend would call it."""

import json
import time

from django.test.client import encode_multipart

from reports.signing import api_signature

BOUNDARY = "reportdesk-test-boundary"


def signed_headers(secret: str, body: bytes, ts: int | None = None) -> dict:
    ts = int(time.time()) if ts is None else ts
    return {
        "HTTP_X_REPORTDESK_TIMESTAMP": str(ts),
        "HTTP_X_REPORTDESK_SIGNATURE": api_signature(secret=secret, ts=ts, body=body),
    }


def api_post(client, app, payload: dict, *, secret=None, ts=None, headers=None):
    body = json.dumps(payload).encode()
    extra = signed_headers(secret or app.signing_secret, body, ts)
    extra.update(headers or {})
    return client.post(
        f"/api/v1/apps/{app.slug}/reports", body, content_type="application/json", **extra
    )


def api_post_multipart(client, app, fields: dict, files: list, *, headers=None):
    body = encode_multipart(BOUNDARY, {**fields, "screenshots": files})
    extra = signed_headers(app.signing_secret, body)
    extra.update(headers or {})
    return client.post(
        f"/api/v1/apps/{app.slug}/reports",
        body,
        content_type=f"multipart/form-data; boundary={BOUNDARY}",
        **extra,
    )


def api_get(client, app, report_id: str, *, secret=None, ts=None):
    extra = signed_headers(secret or app.signing_secret, b"", ts)
    return client.get(f"/api/v1/apps/{app.slug}/reports/{report_id}", **extra)
