"""The in-app JSON API (/api/v1/): a mini app's backend files reports and reads their status.

Every request is signed with the app's secret (see reports.signing and docs/API.md). The same
form validates and the same service files as the help center.
"""

import hashlib
import json
import logging
import re
import tempfile

from django.core.cache import cache
from django.http import Http404, HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from reports.models import Category, MiniApp, Report, ReportEvent
from reports.reporter_mail import dismiss_reason_words, report_status_url
from reports.request_guards import request_body_limit
from reports.services import ReportNotSaved
from reports.signing import (
    API_MAX_SKEW,
    api_signer,
    api_timestamp_fresh,
    secrets_accepted,
    signature_matches,
)
from reports.timeformat import api_time

from . import selectors, services
from .forms import ReportForm
from .limits import MAX_FORM_BYTES, MAX_JSON_BYTES, content_length
from .openapi import openapi_spec
from .throttling import CACHE_ERRORS, cache_down_warn, rate_limits_hit

TIMESTAMP_HEADER = "X-Reportdesk-Timestamp"
SIGNATURE_HEADER = "X-Reportdesk-Signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Printable ASCII without spaces, as the IETF draft's examples and Stripe's keys are: a NUL
# or a control character would be a database error, not a key.
IDEMPOTENCY_KEY = re.compile(r"[!-~]{1,60}")
CHUNK = 64 * 1024
API_FIELDS = ("category", "issue_type", "details", "order_id", "contact_email", "open_id")

logger = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, fields=None, headers=None, report=None
    ):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields, headers or {}
        self.report = report  # a 409's current state of the report (the handling API)

    def response(self) -> JsonResponse:
        body = {"error": self.code, "message": self.message}
        if self.fields is not None:
            body["fields"] = self.fields
        if self.report is not None:
            body["report"] = self.report
        response = JsonResponse(body, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def api_view(methods: tuple[str, ...]):
    """JSON errors for everything, CSRF off (requests are signed, not cookie-authenticated).

    An unexpected exception is logged and answered with a JSON 500 here: Django's handler500
    is one HTML page for the whole site, and a client of the API parses every answer as JSON.
    """

    def decorator(view):
        @csrf_exempt
        def wrapper(request: HttpRequest, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(
                        405,
                        "method_not_allowed",
                        f"Use {' or '.join(methods)} on this URL.",
                        headers={"Allow": ", ".join(methods)},
                    )
                return view(request, *args, **kwargs)
            except ApiError as error:
                return error.response()
            except Exception:
                logger.exception("API request failed: %s %s", request.method, request.path)
                return ApiError(
                    500,
                    "server_error",
                    "Something went wrong on our side. Nothing is wrong with the request; "
                    "sign it anew and send it again later.",
                ).response()

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorator


def _mini_app(slug: str) -> MiniApp:
    mini_app = MiniApp.objects.filter(slug=slug).first()
    if mini_app is None:
        raise ApiError(404, "not_found", "There is no mini app with this slug.")
    return mini_app


def _verified_body(request: HttpRequest, mini_app: MiniApp, max_bytes: int):
    """Check size, timestamp and signature, streaming the body to a spooled file.

    The size is checked from Content-Length before a byte is read; the HMAC is computed while
    the body streams in, so a large multipart body is never held in memory whole.
    """
    length = content_length(request)
    if length is None or length > max_bytes:
        raise ApiError(
            413,
            "too_large",
            f"The request body is larger than {max_bytes // 1024} KB. Send at most 3 "
            "screenshots of at most 10 MB each.",
        )
    ts = request.headers.get(TIMESTAMP_HEADER, "")
    sig = request.headers.get(SIGNATURE_HEADER, "").lower()
    if not ts or not sig:
        raise ApiError(
            401,
            "signature_missing",
            f"Sign the request: send the {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} headers.",
        )
    if not api_timestamp_fresh(ts=ts):
        raise ApiError(
            401,
            "timestamp_expired",
            f"{TIMESTAMP_HEADER} must be the current Unix time in seconds (within "
            f"{API_MAX_SKEW // 60} minutes). Check the server's clock.",
        )
    now = timezone.now()
    # One HMAC per secret the app accepts (two only within a day of a rotation), fed as the
    # body streams in; signature_matches then compares them under the grace rule.
    signers = {
        secret: api_signer(secret=secret, ts=ts)
        for secret in secrets_accepted(mini_app=mini_app, now=now)
    }
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)  # noqa: SIM115 (returned)
    remaining = length
    while remaining > 0:
        chunk = request.read(min(CHUNK, remaining))
        if not chunk:
            break
        for signer in signers.values():
            signer.update(chunk)
        spool.write(chunk)
        remaining -= len(chunk)
    if not signature_matches(
        mini_app=mini_app, sig=sig, sign=lambda secret: signers[secret].hexdigest(), now=now
    ):
        spool.close()
        raise ApiError(
            401,
            "signature_invalid",
            "The signature does not match. Sign the exact body with the app's secret.",
        )
    spool.seek(0)
    return spool, sig


def _refuse_replay(request: HttpRequest, mini_app: MiniApp, sig: str) -> None:
    # A signed request is good once: a copy replayed within the window is refused.
    try:
        first = cache.add(f"tickets:api-seen:{mini_app.pk}:{sig}", 1, timeout=2 * API_MAX_SKEW + 60)
    except CACHE_ERRORS as error:
        # Unable to tell a replay from a first request, refuse it, saying retry: the mini
        # app's server retries (with its Idempotency-Key), so nothing is lost, and no second
        # store of seen signatures has to agree with the first.
        cache_down_warn(request, "API request refused, replay check unavailable", error)
        raise ApiError(
            503,
            "temporarily_unavailable",
            "We cannot check this request right now; nothing was stored. Sign it anew and "
            "send it again (with the same Idempotency-Key) after Retry-After seconds.",
            headers={"Retry-After": "30"},
        ) from None
    if not first:
        raise ApiError(
            401,
            "replayed",
            "This signed request was already received. Sign each request anew; send an "
            "Idempotency-Key header to retry safely.",
        )


def _is_unicode_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _parse(request: HttpRequest, spool):
    content_type = request.content_type or ""
    if content_type == "application/json":
        try:
            payload = json.loads(spool.read() or b"null")
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None
        if not isinstance(payload, dict):
            raise ApiError(400, "invalid_json", "The body must be a JSON object.")
        if "screenshots" in payload:
            raise ApiError(
                400,
                "validation_failed",
                "Some fields are not valid.",
                fields={"screenshots": ["Send screenshots as files in multipart/form-data."]},
            )
        wrong = [k for k in API_FIELDS if k in payload and not isinstance(payload[k], str)]
        if wrong:
            raise ApiError(
                400,
                "validation_failed",
                "Some fields are not valid.",
                fields={name: ["This must be a string."] for name in wrong},
            )
        # JSON can spell a lone surrogate ("\ud800"): not text, and no database can store it.
        broken = [k for k in API_FIELDS if k in payload and not _is_unicode_text(payload[k])]
        if broken:
            raise ApiError(
                400,
                "validation_failed",
                "Some fields are not valid.",
                fields={name: ["This is not valid Unicode text."] for name in broken},
            )
        return {k: payload[k] for k in API_FIELDS if k in payload}, {}
    if content_type == "multipart/form-data":
        try:
            data, files = request.parse_file_upload(request.META, spool)
        except Exception:
            raise ApiError(400, "invalid_body", "The multipart body could not be read.") from None
        return {k: data.get(k, "") for k in API_FIELDS if k in data}, files
    raise ApiError(
        400, "unsupported_content_type", "Send application/json, or multipart/form-data."
    )


def _idempotency_key(request: HttpRequest) -> str:
    if IDEMPOTENCY_HEADER not in request.headers:
        return ""
    # Sent, it must be a key: an empty one would silently file without retry protection.
    key = request.headers[IDEMPOTENCY_HEADER].strip()
    if not IDEMPOTENCY_KEY.fullmatch(key):
        raise ApiError(
            400,
            "validation_failed",
            "Some fields are not valid.",
            fields={
                IDEMPOTENCY_HEADER: [
                    "Use 1 to 60 printable ASCII characters, without spaces, or leave the "
                    "header out."
                ]
            },
        )
    # Its own namespace, so a client's key never meets a help-center form token.
    return f"api:{key}"


def _fingerprint(data: dict, files) -> str:
    """A hash of what the request asks to file: its fields and each screenshot's bytes.

    Taken from the parsed request, not the raw body, so a retry that re-encodes the same
    content (another multipart boundary, other JSON spacing or key order) matches.
    """
    digests = []
    for upload in files.getlist("screenshots") if files else []:
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)  # the form reads it next
        digests.append(digest.hexdigest())
    content = json.dumps({"fields": data, "screenshots": digests}, sort_keys=True)
    return hashlib.sha256(content.encode()).hexdigest()


def _reason_json(reason: str, text: str, duplicate_of: str) -> dict | None:
    if not reason:
        return None
    return {
        "code": reason,
        "text": dismiss_reason_words(reason=reason, text=text, duplicate_of=duplicate_of),
        "duplicate_of": duplicate_of or None,
    }


def _timeline_json(report: Report) -> list[dict]:
    """The reporter's public timeline, newest first, as on the status page: never a note,
    never who in the team acted."""
    items = []
    for event in selectors.report_public_events(report=report):
        item = {"kind": event.kind, "at": api_time(event.created_at)}
        if event.kind in (ReportEvent.Kind.REPLIED, ReportEvent.Kind.INFORMATION_ADDED):
            item["text"] = event.data.get("text", "")
        if event.kind == ReportEvent.Kind.DISMISSED:
            item["reason"] = _reason_json(
                event.data.get("dismiss_reason", ""),
                event.data.get("dismiss_reason_text", ""),
                event.data.get("duplicate_of", ""),
            )
        items.append(item)
    return items


def _report_json(report: Report, *, duplicate: bool | None = None) -> dict:
    body = {
        "report_id": report.report_id,
        "status": report.status,
        "category": report.category,
        "issue_type": report.issue_type_id,
        "created_at": api_time(report.created_at),
        "due_at": api_time(report.due_at),
        "handled_at": api_time(report.handled_at),
        "past_due": report.is_past_due,
        "status_url": report_status_url(report),
        "dismiss_reason": _reason_json(
            report.dismiss_reason, report.dismiss_reason_text, report.duplicate_of
        ),
        "timeline": _timeline_json(report),
    }
    if duplicate is not None:
        body["duplicate"] = duplicate
    return body


@request_body_limit(MAX_FORM_BYTES)  # multipart with screenshots; JSON is held to less below
@api_view(("POST",))
def reports_create(request: HttpRequest, app_slug: str) -> JsonResponse:
    """File a report from inside the mini app."""
    mini_app = _mini_app(app_slug)
    limit = MAX_FORM_BYTES if request.content_type == "multipart/form-data" else MAX_JSON_BYTES
    spool, sig = _verified_body(request, mini_app, limit)
    with spool:
        _refuse_replay(request, mini_app, sig)
        data, files = _parse(request, spool)
        # The mini app's server sends for all its users from one address: limit per app and
        # per Open ID here, not per IP.
        throttled = rate_limits_hit(
            request,
            ("api_app", str(mini_app.pk)),
            ("submit_open_id", f"{mini_app.pk}:{data['open_id']}" if data.get("open_id") else ""),
        )
        if throttled:
            raise ApiError(
                429,
                "rate_limited",
                f"Too many reports. Try again in {throttled.retry_after} seconds.",
                headers={"Retry-After": str(throttled.retry_after)},
            )
        category = data.get("category", "")
        if category not in Category.values:
            raise ApiError(
                400,
                "validation_failed",
                "Some fields are not valid.",
                fields={"category": [f"Use one of: {', '.join(Category.values)}."]},
            )
        issue_type = data.get("issue_type", "")
        if issue_type and "." not in issue_type:
            data["issue_type"] = f"{category}.{issue_type}"
        submission_key = _idempotency_key(request)
        form = ReportForm(data, files, category=category, trust_open_id=True)
        if not form.is_valid():
            raise ApiError(
                400,
                "validation_failed",
                "Some fields are not valid.",
                fields={name: list(errors) for name, errors in form.errors.items()},
            )
        report_input = form.report_input(
            source=Report.Source.API,
            submission_key=submission_key,
            submission_fingerprint=_fingerprint(data, files) if submission_key else "",
        )
        try:
            outcome = services.ticket_replayed(
                mini_app=mini_app,
                submission_key=submission_key,
                submission_fingerprint=report_input.submission_fingerprint,
            ) or services.ticket_submit(
                mini_app=mini_app, data=report_input, language=request.LANGUAGE_CODE
            )
        except services.SubmissionKeyReused as reused:
            raise ApiError(
                422,
                "idempotency_key_reused",
                f"This {IDEMPOTENCY_HEADER} already filed report {reused.report.report_id} "
                "with other content. Use a new key for a new report; a retry must send the "
                "same content.",
            ) from None
        except ReportNotSaved:
            raise ApiError(
                503,
                "not_saved",
                "The report could not be saved because of a problem on our side; nothing was "
                "stored. Sign the request anew and send it again (with the same "
                "Idempotency-Key) after Retry-After seconds.",
                headers={"Retry-After": "60"},
            ) from None
    fresh = not (outcome.duplicate or outcome.replayed)
    return JsonResponse(
        _report_json(outcome.report, duplicate=outcome.duplicate),
        status=201 if fresh else 200,
    )


@api_view(("GET",))
def report_detail(request: HttpRequest, app_slug: str, report_id: str) -> JsonResponse:
    """A report's status, for the mini app to show its user."""
    mini_app = _mini_app(app_slug)
    spool, _sig = _verified_body(request, mini_app, MAX_JSON_BYTES)
    spool.close()
    try:
        report = selectors.report_for_api(mini_app=mini_app, report_id=report_id)
    except Http404:
        raise ApiError(404, "not_found", "This app has no report with this ID.") from None
    return JsonResponse(_report_json(report))


# Errors raised before an API view runs (a disallowed Host header, a middleware failing) go
# to the site's handlers; under /api/ they answer in the API's JSON too.
SITE_ERRORS = {
    400: ("bad_request", "The request could not be read (check the Host header and the body)."),
    403: ("forbidden", "This request is not allowed."),
    404: ("not_found", "There is no such API URL. See /api/v1/openapi.json for the paths."),
    500: ("server_error", "Something went wrong on our side; send the request again later."),
}


def site_error_response(request: HttpRequest, status: int) -> JsonResponse | None:
    """The JSON answer for config's handler400/403/404/500 on an /api/ path, else None."""
    if not request.path.startswith("/api/"):
        return None
    code, message = SITE_ERRORS[status]
    return ApiError(status, code, message).response()


@api_view(("GET",))
def openapi_document(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_spec(), json_dumps_params={"indent": 2})


@api_view(("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"))
def not_found(request: HttpRequest, path: str) -> JsonResponse:
    """Any other path under /api/v1/ (a malformed slug, a report ID with a "/"): a JSON 404,
    not the help center's HTML page."""
    raise ApiError(
        404, "not_found", "There is no such API URL. See /api/v1/openapi.json for the paths."
    )
