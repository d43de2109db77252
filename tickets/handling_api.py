"""The handling API: the mini app's own tools list, read and handle reports with an API key.

`Authorization: Bearer <key>` (keys: reports/api_keys/). The routes share their URLs with the
signed reporter-side API (tickets/api.py): a request is dispatched on its method and on which
credential it carries, so the signed endpoints answer exactly as before. Writes go through the
console's services (reports.services), with the key recorded in the history.
"""

import json

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.urls import reverse

from reports.api_keys.selectors import api_key_for_bearer
from reports.api_keys.services import api_key_touch
from reports.models import ApiKey, DismissReason, Report, ReportEvent, Screenshot
from reports.request_guards import request_body_limit
from reports.roles import RoleRequired
from reports.screenshots import screenshot_response
from reports.selectors import (
    report_for_member,
    report_history,
    report_screenshots,
    reports_base,
    reports_page,
)
from reports.services import (
    REASON_TEXT_MAX_LENGTH,
    REPLY_MAX_LENGTH,
    Dismissal,
    ReportConflict,
    ReportRuleError,
    report_dismiss,
    report_notes_edit,
    report_reply,
    report_resolve,
)
from reports.timeformat import api_time

from . import api
from .api import ApiError, api_view
from .limits import (
    HANDLING_DEFAULT_LIMIT,
    HANDLING_MAX_LIMIT,
    HANDLING_MAX_WRITE_BYTES,
    HANDLING_SCREENSHOT_URL_SECONDS,
    MAX_FORM_BYTES,
    content_length,
)
from .throttling import rate_limits_hit

# The console's filters, as reports.filters.ReportFilter names them.
LIST_FILTERS = (
    "status",
    "category",
    "issue_type",
    "q",
    "past_due",
    "created_after",
    "created_before",
)
DEFAULT_LIMIT = HANDLING_DEFAULT_LIMIT
MAX_LIMIT = HANDLING_MAX_LIMIT
NOTES_MAX_LENGTH = Report._meta.get_field("notes").max_length
MAX_WRITE_BYTES = HANDLING_MAX_WRITE_BYTES
# What each write takes: the console's fields, the reply the reporter reads, the reason.
ACTION_FIELDS = {
    "notes": ("notes", "version"),
    "resolve": ("notes", "version", "reply"),
    "dismiss": ("notes", "version", "reply", "reason", "reason_text", "duplicate_of"),
    "replies": ("message",),
}
TEXT_FIELDS = {
    "notes": NOTES_MAX_LENGTH,
    "reply": REPLY_MAX_LENGTH,
    "message": REPLY_MAX_LENGTH,
    "reason_text": REASON_TEXT_MAX_LENGTH,
    "duplicate_of": 20,
}
SCREENSHOT_URL_SECONDS = HANDLING_SCREENSHOT_URL_SECONDS
SCREENSHOT_SALT = "tickets.handling_api.screenshot"
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="reportdesk"'}


def has_api_key(request: HttpRequest) -> bool:
    """A handling request: a Bearer credential, or any Authorization without a signature (it
    is told to send a key). A signed request that a proxy gave some other Authorization header
    stays a signed request."""
    if "Authorization" not in request.headers:
        return False
    scheme = request.headers["Authorization"].partition(" ")[0]
    return scheme.lower() == "bearer" or api.SIGNATURE_HEADER not in request.headers


def report_json(report: Report) -> dict:
    """A report as the handling API shows it in lists (and, extended, alone)."""
    return {
        "report_id": report.report_id,
        "status": report.status,
        "category": report.category,
        "issue_type": report.issue_type_id,
        "details": report.details,
        "order_id": report.order_id,
        "open_id": report.open_id,
        "created_at": api_time(report.created_at),
        "due_at": api_time(report.due_at),
        "past_due": report.is_past_due,
        "handled_at": api_time(report.handled_at),
        "version": report.version,
    }


def _screenshot_url(request: HttpRequest, report: Report, shot: Screenshot, thumbnail: bool):
    token = signing.dumps({"s": shot.pk, "t": int(thumbnail)}, salt=SCREENSHOT_SALT)
    path = reverse(
        "tickets:api_report_screenshot",
        args=[report.mini_app.slug, report.report_id, shot.pk],
    )
    return request.build_absolute_uri(f"{path}?{QueryDict.fromkeys(['token'], token).urlencode()}")


def report_detail_json(request: HttpRequest, report: Report) -> dict:
    body = report_json(report)
    body["notes"] = report.notes
    body["screenshots"] = [
        {
            "id": shot.pk,
            "content_type": shot.content_type,
            "width": shot.width,
            "height": shot.height,
            "url": _screenshot_url(request, report, shot, thumbnail=False),
            "thumbnail_url": _screenshot_url(request, report, shot, thumbnail=True),
        }
        for shot in report_screenshots(report=report)
    ]
    body["history"] = [
        {
            "kind": event.kind,
            "created_at": api_time(event.created_at),
            "actor": event.actor.get_username() if event.actor else None,
            "api_key": event.data.get("api_key"),
        }
        for event in report_history(report=report, oldest_first=True)
    ]
    return body


# --- Authentication, scope, tenant


def _authenticate(request: HttpRequest, app_slug: str, *, write: bool = False) -> ApiKey:
    """The live key the request presents, of this app, allowed to do this; else an ApiError.

    Unknown or revoked: 401. Another app's key: 404, as for an app that does not exist (it
    learns nothing about the other app). A read key on a write: 403.
    """
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    presented = presented.strip()
    if scheme.lower() != "bearer" or not presented:
        raise ApiError(
            401,
            "key_missing",
            "Send your API key as the header Authorization: Bearer <key>. Owners create keys "
            "in the console, under Integration > API keys.",
            headers=WWW_AUTHENTICATE,
        )
    api_key = api_key_for_bearer(presented=presented)
    if api_key is None:
        raise ApiError(
            401,
            "key_invalid",
            "This API key is unknown or was revoked. Ask an owner of the app for a new one.",
            headers=WWW_AUTHENTICATE,
        )
    throttled = rate_limits_hit(request, ("api_key", str(api_key.pk)))
    if throttled:
        raise ApiError(
            429,
            "rate_limited",
            f"Too many requests with this key. Try again in {throttled.retry_after} seconds.",
            headers={"Retry-After": str(throttled.retry_after)},
        )
    if api_key.mini_app.slug != app_slug:
        raise ApiError(404, "not_found", "There is no mini app with this slug.")
    if write and api_key.scope != ApiKey.Scope.HANDLE:
        raise ApiError(
            403,
            "forbidden",
            "This API key has the Read scope: it lists and reads reports only. Use a key with "
            "the Handle scope to change them.",
        )
    api_key_touch(api_key=api_key)
    return api_key


def _report(api_key: ApiKey, report_id: str) -> Report:
    if not (report_id.isascii() and report_id.isalnum()):  # a NUL is no 404 on PostgreSQL
        raise ApiError(404, "not_found", "This app has no report with this ID.")
    try:
        return report_for_member(mini_app=api_key.mini_app, report_id=report_id)
    except Http404:
        raise ApiError(404, "not_found", "This app has no report with this ID.") from None


def _invalid(fields: dict) -> ApiError:
    return ApiError(400, "validation_failed", "Some fields are not valid.", fields=fields)


# --- Reading


def _list_params(request: HttpRequest) -> tuple[QueryDict, int]:
    params = QueryDict(mutable=True)
    for name in (*LIST_FILTERS, "after"):
        if name in request.GET:
            params[name] = request.GET[name]
    raw_limit = request.GET.get("limit", str(DEFAULT_LIMIT))
    if not (raw_limit.isascii() and raw_limit.isdigit() and 1 <= int(raw_limit) <= MAX_LIMIT):
        raise _invalid({"limit": [f"Use a whole number from 1 to {MAX_LIMIT}."]})
    return params, int(raw_limit)


def reports_list(request: HttpRequest, app_slug: str) -> JsonResponse:
    """The console's list (same filters, same keyset pages), newest first."""
    api_key = _authenticate(request, app_slug)
    params, limit = _list_params(request)
    after = params.get("after", "")
    if after and not (
        after.isascii()
        and after.isalnum()
        and reports_base(mini_app=api_key.mini_app).filter(report_id=after.upper()).exists()
    ):
        raise _invalid({"after": ["Not a report of this app: use the next URL as given."]})
    page = reports_page(mini_app=api_key.mini_app, params=params, page_size=limit, counts=False)
    if page.filterset.errors:
        raise _invalid({name: list(errors) for name, errors in page.filterset.errors.items()})
    next_url = None
    if page.next_cursor:
        params["after"] = page.next_cursor
        params["limit"] = str(limit)
        next_url = request.build_absolute_uri(f"{request.path}?{params.urlencode()}")
    return JsonResponse({"results": [report_json(r) for r in page.reports], "next": next_url})


def report_read(request: HttpRequest, app_slug: str, report_id: str) -> JsonResponse:
    api_key = _authenticate(request, app_slug)
    return JsonResponse(report_detail_json(request, _report(api_key, report_id)))


# --- Writing


def _text_error(value, max_length: int) -> str:
    if not isinstance(value, str):
        return "This must be a string."
    if len(value) > max_length:
        return f"Use at most {max_length:,} characters (you sent {len(value):,})."
    if "\x00" in value or not api._is_unicode_text(value):
        return "This is not valid text (it holds a NUL or a lone surrogate)."
    return ""


def _write_body(request: HttpRequest, *, action: str) -> dict:
    """The service's arguments from a JSON body (ACTION_FIELDS[action]), each checked; an
    empty body is {} where nothing is required."""
    fields = ACTION_FIELDS[action]
    required = {"notes": "notes", "dismiss": "reason", "replies": "message"}.get(action)
    length = content_length(request)
    if length is None or length > MAX_WRITE_BYTES:
        raise ApiError(413, "too_large", f"The body is larger than {MAX_WRITE_BYTES // 1024} KB.")
    if length == 0 and required is None:
        return {}
    if request.content_type != "application/json":
        raise ApiError(400, "unsupported_content_type", "Send application/json.")
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "invalid_json", "The body is not valid JSON.") from None
    if not isinstance(payload, dict):
        raise ApiError(400, "invalid_json", "The body must be a JSON object.")
    errors = {
        name: [f"Unknown field; send only {', '.join(fields)}."]
        for name in payload
        if name not in fields
    }
    for name, max_length in TEXT_FIELDS.items():
        if name == "message":  # the console's limit, counted as it counts it: stripped
            max_length = MAX_WRITE_BYTES
        value = payload.get(name) if name in fields else None
        if value is not None and (problem := _text_error(value, max_length)):
            errors[name] = [problem]
    if action == "notes" and payload.get("notes") is None:
        errors["notes"] = ["Send the notes (an empty string clears them)."]
    if action == "replies" and "message" not in errors:
        message = payload.get("message")
        if message is None or not message.strip():
            errors["message"] = ["Write the reply before sending it."]
        elif (length := len(message.replace("\r\n", "\n").strip())) > REPLY_MAX_LENGTH:
            errors["message"] = [
                f"A reply can be at most {REPLY_MAX_LENGTH:,} characters (you wrote {length:,})."
            ]
    if errors:
        raise _invalid(errors)
    if action == "replies":
        return {"text": payload["message"]}
    version = payload.get("version")
    if version is not None and (type(version) is not int or version < 1):
        errors["version"] = ["Send the report's version as a whole number (from a read)."]
    reason = payload.get("reason")
    if action == "dismiss":
        if reason not in DismissReason.values:
            errors["reason"] = [f"Choose one of: {', '.join(DismissReason.values)}."]
        elif reason == DismissReason.OTHER and not str(payload.get("reason_text") or "").strip():
            errors.setdefault("reason_text", ["Write the reason for other: the reporter reads it."])
        elif reason == DismissReason.DUPLICATE and not payload.get("duplicate_of"):
            errors.setdefault("duplicate_of", ["Give the ID of the report this one duplicates."])
    if errors:
        raise _invalid(errors)
    values = {"notes": payload.get("notes"), "expected_version": version}
    if action != "notes":
        values["reply"] = payload.get("reply") or ""
    if action == "dismiss":
        values["dismissal"] = Dismissal(
            reason=reason,
            text=payload.get("reason_text") or "",
            duplicate_of=payload.get("duplicate_of") or "",
        )
    return values


def _rule_broken(rule: ReportRuleError, fields: dict) -> ApiError:
    """422: the input is well-formed but breaks one of the service's rules (a duplicate_of
    that is no report of this app...), named as the field the client sent."""
    field = fields.get(rule.field, rule.field)
    return ApiError(
        422,
        "validation_failed",
        "Some fields are not valid.",
        fields={field: [str(rule)]} if field else {},
    )


def _conflict(request: HttpRequest, conflict: ReportConflict) -> ApiError:
    current = report_detail_json(request, conflict.current)
    return ApiError(409, "conflict", conflict.message, report=current)


def _write(request: HttpRequest, app_slug: str, report_id: str, change, action: str):
    api_key = _authenticate(request, app_slug, write=True)
    report = _report(api_key, report_id)
    values = _write_body(request, action=action)
    try:
        current = change(report=report, actor=None, api_key=api_key, **values)
    except ReportConflict as conflict:
        raise _conflict(request, conflict) from None
    except ReportRuleError as rule:
        raise _rule_broken(rule, {}) from None
    except RoleRequired as refused:
        raise ApiError(403, "forbidden", str(refused)) from None
    return JsonResponse(report_detail_json(request, current))


def reply_json(event: ReportEvent, report: Report) -> dict:
    return {
        "id": event.pk,
        "report_id": report.report_id,
        "message": event.data["text"],
        "created_at": api_time(event.created_at),
        "actor": event.actor.get_username() if event.actor else None,
        "api_key": event.data.get("api_key"),
        "version": report.version,
    }


def _reply(request: HttpRequest, app_slug: str, report_id: str) -> JsonResponse:
    """A reply to the reporter, through the console's service (its history line, its e-mail)."""
    api_key = _authenticate(request, app_slug, write=True)
    report = _report(api_key, report_id)
    values = _write_body(request, action="replies")
    try:
        event = report_reply(report=report, actor=None, api_key=api_key, **values)
    except ReportRuleError as rule:
        raise _rule_broken(rule, {"reply": "message"}) from None
    except RoleRequired as refused:
        raise ApiError(403, "forbidden", str(refused)) from None
    current = _report(api_key, report_id)  # the version the reply moved on to
    return JsonResponse(reply_json(event, current), status=201)


# --- The routes (tickets/urls.py)


@request_body_limit(MAX_FORM_BYTES)  # a POST files a report with screenshots
@api_view(("GET", "POST"))
def reports_collection(request: HttpRequest, app_slug: str) -> JsonResponse:
    """POST files a report (signed, tickets.api); GET lists them (API key)."""
    if request.method == "POST":
        return api.reports_create(request, app_slug)
    return reports_list(request, app_slug)


@api_view(("GET", "PATCH"))
def report_resource(request: HttpRequest, app_slug: str, report_id: str) -> JsonResponse:
    """GET signed: the reporter-side status, as before; GET with a key: the report for its
    handlers; PATCH with a handle key: its notes."""
    if request.method == "GET" and not has_api_key(request):
        return api.report_detail(request, app_slug, report_id)
    if request.method == "GET":
        return report_read(request, app_slug, report_id)
    return _write(request, app_slug, report_id, report_notes_edit, action="notes")


@api_view(("POST",))
def report_resolve_view(request: HttpRequest, app_slug: str, report_id: str) -> JsonResponse:
    return _write(request, app_slug, report_id, report_resolve, action="resolve")


@api_view(("POST",))
def report_dismiss_view(request: HttpRequest, app_slug: str, report_id: str) -> JsonResponse:
    return _write(request, app_slug, report_id, report_dismiss, action="dismiss")


@api_view(("POST",))
def report_replies_view(request: HttpRequest, app_slug: str, report_id: str) -> JsonResponse:
    return _reply(request, app_slug, report_id)


@api_view(("GET",))
def report_screenshot(
    request: HttpRequest, app_slug: str, report_id: str, screenshot_id: int
) -> HttpResponse:
    """A screenshot by the short-lived link a report read gave (the link is the credential)."""
    try:
        grant = signing.loads(
            request.GET.get("token", ""), salt=SCREENSHOT_SALT, max_age=SCREENSHOT_URL_SECONDS
        )
    except signing.BadSignature:  # SignatureExpired included
        grant = None
    shot = None
    if isinstance(grant, dict) and grant.get("s") == screenshot_id and report_id.isalnum():
        shot = Screenshot.objects.filter(
            pk=screenshot_id, report__mini_app__slug=app_slug, report__report_id=report_id
        ).first()
    if shot is None:
        raise ApiError(
            404,
            "not_found",
            "This screenshot link is not valid or has expired (links last "
            f"{SCREENSHOT_URL_SECONDS // 60} minutes). Read the report again for fresh ones.",
        )
    return screenshot_response(shot, thumbnail=bool(grant.get("t")))
