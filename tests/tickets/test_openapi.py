"""The served OpenAPI document describes what the API really answers.

Every response code it documents is produced here by a real request, and each body is
validated against the documented schema.
"""

import json
import time
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.factories import png_bytes, upload
from tests.tickets.api_client import api_get, api_post, api_post_multipart, signed_headers

pytestmark = pytest.mark.django_db

CRASH = {"category": "experience", "issue_type": "crash", "details": "Crashes"}
CREATE = ("/api/v1/apps/{app_slug}/reports", "post")
DETAIL = ("/api/v1/apps/{app_slug}/reports/{report_id}", "get")


def create_201(client, app, settings):
    return api_post(client, app, CRASH)


def create_200(client, app, settings):
    api_post(client, app, {**CRASH, "open_id": "o"})
    return api_post(client, app, {**CRASH, "open_id": "o", "contact_email": ""})


def create_400(client, app, settings):
    return api_post(client, app, {"category": "payment", "issue_type": "refund"})


def create_401(client, app, settings):
    return api_post(client, app, CRASH, ts=int(time.time()) - 3600)


def create_404(client, app, settings):
    return client.post("/api/v1/apps/nope/reports", b"{}", content_type="application/json")


def create_413(client, app, settings):
    return api_post(client, app, {**CRASH, "details": "x" * 100_000})


def create_422(client, app, settings):
    key = {"HTTP_IDEMPOTENCY_KEY": "k-1"}
    api_post(client, app, CRASH, headers=key)
    return api_post(client, app, {**CRASH, "details": "Other content"}, headers=key)


def create_429(client, app, settings):
    settings.TICKETS_RATE_LIMITS = {"api_app": (1, 3600)}
    api_post(client, app, CRASH)
    return api_post(client, app, {**CRASH, "details": "another"})


def create_503(client, app, settings):
    # The screenshot storage really fails: its directory would have to be under a plain file.
    blocker = Path(settings.MEDIA_ROOT).parent / "a-file-not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"
    fields = {"category": "community", "issue_type": "spam"}
    return api_post_multipart(client, app, fields, [upload(png_bytes())])


def detail_200(client, app, settings):
    report_id = api_post(client, app, CRASH).json()["report_id"]
    return api_get(client, app, report_id)


def detail_401(client, app, settings):
    return client.get(
        "/api/v1/apps/acme/reports/XXXXXXXXXX", **signed_headers("not the secret", b"")
    )


def detail_404(client, app, settings):
    return api_get(client, app, "NOSUCHID22")


SCENARIOS = {
    (*CREATE, "201"): create_201,
    (*CREATE, "200"): create_200,
    (*CREATE, "400"): create_400,
    (*CREATE, "401"): create_401,
    (*CREATE, "404"): create_404,
    (*CREATE, "413"): create_413,
    (*CREATE, "422"): create_422,
    (*CREATE, "429"): create_429,
    (*CREATE, "503"): create_503,
    (*DETAIL, "200"): detail_200,
    (*DETAIL, "401"): detail_401,
    (*DETAIL, "404"): detail_404,
}


@pytest.fixture
def spec(client, mini_app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def documented(spec) -> set:
    return {
        (path, method, code)
        for path, operations in spec["paths"].items()
        for method, operation in operations.items()
        for code in operation["responses"]
    }


def test_every_documented_response_is_exercised(spec):
    assert documented(spec) == set(SCENARIOS)


def test_the_document_is_valid_openapi_shaped_json(spec):
    assert spec["openapi"].startswith("3.1")
    Draft202012Validator.check_schema({"components": spec["components"]})
    json.dumps(spec)


@pytest.mark.parametrize("key", list(SCENARIOS), ids=[" ".join(k) for k in SCENARIOS])
def test_real_responses_match_the_document(client, mini_app, settings, spec, key):
    path, method, code = key
    response = SCENARIOS[key](client, mini_app, settings)
    assert str(response.status_code) == code, response.content
    documented_response = spec["paths"][path][method]["responses"][code]
    schema = documented_response["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": spec["components"]})
    errors = [error.message for error in validator.iter_errors(response.json())]
    assert errors == []
    for header in documented_response.get("headers", {}):
        assert int(response[header]) > 0


def _body_errors(spec, media_type: str, body: dict) -> list[str]:
    operation = spec["paths"][CREATE[0]][CREATE[1]]
    schema = operation["requestBody"]["content"][media_type]["schema"]
    validator = Draft202012Validator(
        {**schema, "components": spec["components"]},
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )
    return [error.message for error in validator.iter_errors(body)]


@pytest.mark.parametrize(
    "body",
    [
        {"category": "experience", "issue_type": "", "details": "x"},
        {"category": "experience", "issue_type": "refund", "details": "x"},
        {"category": "experience", "issue_type": "crash"},
        {"category": "experience", "issue_type": "crash", "details": "   "},
        {"category": "experience", "issue_type": "crash", "details": "a\x00b"},
        {"category": "experience", "issue_type": "crash", "details": "x" * 5001},
        {"category": "payment", "issue_type": "refund", "details": "x"},
        {"category": "payment", "issue_type": "refund", "details": "x", "order_id": "a\tb"},
        {"category": "experience", "issue_type": "crash", "details": "x", "contact_email": "no"},
        {"category": "community", "issue_type": "spam"},
        {"category": "other", "issue_type": "crash", "details": "x"},
        {"issue_type": "crash", "details": "x"},
    ],
)
def test_the_document_refuses_what_the_api_refuses(client, mini_app, spec, body):
    assert _body_errors(spec, "application/json", body) != []
    response = api_post(client, mini_app, body)
    assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    "body",
    [
        {"category": "experience", "issue_type": "crash", "details": "x", "contact_email": ""},
        {"category": "experience", "issue_type": "experience.crash", "details": " x "},
        {"category": "payment", "issue_type": "refund", "details": "x", "order_id": "O-1"},
        {
            "category": "payment",
            "issue_type": "other",
            "details": "x",
            "order_id": "1",
            "open_id": "",
        },
    ],
)
def test_the_document_accepts_what_the_api_accepts(client, mini_app, spec, body):
    assert _body_errors(spec, "application/json", body) == []
    assert api_post(client, mini_app, body).status_code == 201


def test_the_multipart_schema_requires_screenshots_for_community(spec):
    assert _body_errors(
        spec, "multipart/form-data", {"category": "community", "issue_type": "spam"}
    )
    assert not _body_errors(
        spec,
        "multipart/form-data",
        {"category": "community", "issue_type": "spam", "screenshots": ["<bytes>"]},
    )
