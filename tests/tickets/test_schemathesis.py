"""Schemathesis, a third-party client, against the served OpenAPI document and a live server.

It generates requests from /api/v1/openapi.json and checks every answer against it: never a
5xx, only documented status codes, JSON bodies of the documented shapes and headers, and a
request the document calls valid is not refused as invalid (400, 413, 422). Unsigned, every
answer is a documented 4xx; signed (each request signed by a requests auth with the app's
secret, as a mini app's server would), the reports are really filed. With an API key (the
handling API), every answer is a documented one whatever the request.
"""

import re
import time
import uuid
from itertools import count

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from reports.api_keys.services import api_key_create
from reports.models import Report
from reports.signing import API_MAX_SKEW, UNIX_SECONDS, api_signature
from tests.factories import png_bytes
from tickets.api import IDEMPOTENCY_KEY, SIGNATURE_HEADER, TIMESTAMP_HEADER

pytestmark = pytest.mark.django_db(transaction=True)

CREATE = ("/api/v1/apps/{app_slug}/reports", "POST")
DETAIL = ("/api/v1/apps/{app_slug}/reports/{report_id}", "GET")
# Bounded so that each run stays well under a minute on a shared machine.
EXAMPLES = 40
HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
TO_BE_SIGNED = {TIMESTAMP_HEADER: "0", SIGNATURE_HEADER: "0" * 64}
CONFORMANCE = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


class SignedByTheApp(requests.auth.AuthBase):
    """Signs each request's exact body, as docs/API.md tells a mini app's server to.

    Every request gets its own timestamp (so no two share a signature and none is refused as
    a replay) and its own Idempotency-Key (a client never reuses one for other content).
    Signature headers that a negative case left out or malformed are sent as generated: that
    request is meant to be refused.
    """

    def __init__(self, secret: str):
        self.secret = secret
        self.offsets = count()
        self.first = int(time.time()) - API_MAX_SKEW + 20

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        ts, sig = (request.headers.get(name, "") for name in (TIMESTAMP_HEADER, SIGNATURE_HEADER))
        if not (UNIX_SECONDS.fullmatch(ts) and HEX_SHA256.fullmatch(sig)):
            return request
        body = request.body or b""
        body = body.encode() if isinstance(body, str) else body
        ts = self.first + next(self.offsets)
        assert ts < time.time() + API_MAX_SKEW - 20, "more requests than the window holds"
        request.headers[TIMESTAMP_HEADER] = str(ts)
        request.headers[SIGNATURE_HEADER] = api_signature(secret=self.secret, ts=ts, body=body)
        if IDEMPOTENCY_KEY.fullmatch(request.headers.get("Idempotency-Key", "")):
            request.headers["Idempotency-Key"] = uuid.uuid4().hex
        return request


@pytest.fixture
def api(live_server, mini_app, settings):
    # Generated requests come fast and from few Open IDs: the rate limits are not under test.
    settings.TICKETS_RATE_LIMITS = {
        "api_app": (10_000, 3600),
        "submit_open_id": (10_000, 3600),
        "api_key": (10_000, 60),
    }
    return schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")


def real_screenshots(case) -> None:
    """Generated "binary" parts are random bytes; the API judges images by content, so a
    valid request carries real ones."""
    if case.media_type == "multipart/form-data" and isinstance(case.body, dict):
        shots = case.body.get("screenshots")
        if shots and isinstance(shots, list):  # a negative case may send a non-list
            case.body["screenshots"] = [png_bytes(color=(i, 0, 0)) for i in range(len(shots))]


def exercise(
    operation, *, mode, base_url, session, checks, only_media_type=None, **overrides
) -> list[int]:
    statuses = []
    cases = operation.as_strategy(generation_mode=mode, **overrides)
    if only_media_type:
        cases = cases.filter(lambda case: case.media_type == only_media_type)

    @given(case=cases)
    @hypothesis_settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        real_screenshots(case)
        response = case.call_and_validate(base_url=base_url, session=session, checks=checks)
        statuses.append(response.status_code)

    run()
    return statuses


def every_operation(api) -> list:
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) == 8, [op.label for op in operations]  # the whole document
    return operations


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_requests_without_a_key_or_signature_get_documented_json_errors(
    api, live_server, mini_app, make_report, mode
):
    report = make_report()
    session = requests.Session()
    statuses = []
    for operation in every_operation(api):
        statuses += exercise(
            operation,
            mode=mode,
            base_url=live_server.url,
            session=session,
            checks=CONFORMANCE,
        )
    assert statuses and all(400 <= status < 500 for status in statuses), sorted(set(statuses))
    assert list(Report.objects.values_list("pk", "version")) == [(report.pk, 1)]


# Eight operations, each with its examples, through a live server: minutes on a loaded machine.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_requests_with_a_key_get_documented_answers(
    api, live_server, mini_app, make_report, screenshot, mode
):
    """The whole document with a Handle key, on the app's real reports: lists, reads and
    writes (a write after the first one meets a handled report: a documented 409)."""
    reports = [make_report(screenshots=[screenshot]) for _ in range(3)]
    key = api_key_create(mini_app=mini_app, actor=None, name="Fuzz", scope="handle")[1]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    statuses = []
    for operation in every_operation(api):
        if operation.method.upper() == "POST" and operation.path == CREATE[0]:
            continue  # signed, not keyed: covered above and below
        for report in reports[:1] if mode == GenerationMode.NEGATIVE else reports:
            statuses += exercise(
                operation,
                mode=mode,
                base_url=live_server.url,
                session=session,
                checks=CONFORMANCE,
                path_parameters={"app_slug": mini_app.slug, "report_id": report.report_id},
            )
    assert statuses and all(status < 500 for status in statuses), sorted(set(statuses))
    if mode == GenerationMode.POSITIVE:
        assert 200 in statuses, sorted(set(statuses))


def test_signed_valid_requests_are_accepted_and_filed(api, live_server, mini_app):
    session = requests.Session()
    session.auth = SignedByTheApp(mini_app.signing_secret)
    statuses = exercise(
        api[CREATE[0]][CREATE[1]],
        mode=GenerationMode.POSITIVE,
        base_url=live_server.url,
        session=session,
        checks=[*CONFORMANCE, positive_data_acceptance],
        path_parameters={"app_slug": mini_app.slug},
    )
    assert 201 in statuses, sorted(set(statuses))
    assert Report.objects.filter(mini_app=mini_app).count() == statuses.count(201)
    report_ids = list(Report.objects.values_list("report_id", flat=True)[:EXAMPLES])
    for report_id in report_ids[:5]:
        response = session.get(
            f"{live_server.url}/api/v1/apps/acme/reports/{report_id}",
            headers=TO_BE_SIGNED,  # filled in by the session's signer
        )
        assert response.status_code == 200
        assert response.json()["report_id"] == report_id


def test_signed_invalid_requests_are_refused_with_documented_errors(api, live_server, mini_app):
    session = requests.Session()
    session.auth = SignedByTheApp(mini_app.signing_secret)
    statuses = exercise(
        api[CREATE[0]][CREATE[1]],
        mode=GenerationMode.NEGATIVE,
        base_url=live_server.url,
        session=session,
        checks=[*CONFORMANCE, negative_data_rejection],
        path_parameters={"app_slug": mini_app.slug},
        # JSON only: a negated multipart schema is often still valid once every field is
        # sent as text (a number becomes the string "1"), so it is not invalid on the wire.
        only_media_type="application/json",
    )
    assert statuses and all(400 <= status < 500 for status in statuses), sorted(set(statuses))
