"""The OpenAPI 3.1 description of /api/v1/, served at /api/v1/openapi.json.

Its schemas are JSON Schema 2020-12; tests/tickets/test_openapi.py checks real responses
against them, so this document cannot drift from what the API answers.
"""

from django.conf import settings

from reports.models import Category, DismissReason, IssueType, ReportEvent, Status
from reports.signing import OPEN_ID_MAX_LENGTH

from .forms import DETAILS_MAX_LENGTH, ORDER_ID_MAX_LENGTH
from .handling_openapi import extend as handling_api_extend

REPORT_ID = {"type": "string", "pattern": "^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{10}$"}
DATETIME = {"type": "string", "format": "date-time"}
# The patterns say what the form checks: Django's CharField strips surrounding whitespace
# (so a required value needs a character that is not one) and refuses NUL; an order ID
# refuses every control character.
REQUIRED_TEXT = "^[^\\x00]*[^\\x00\\s][^\\x00]*$"
OPTIONAL_TEXT = "^[^\\x00]*$"
ORDER_ID_TEXT = "^[^\\x00-\\x1f]*[^\\x00-\\x1f\\s][^\\x00-\\x1f]*$"
# Printable ASCII, as tickets.api.IDEMPOTENCY_KEY; the timestamp as reports.signing.UNIX_SECONDS.
IDEMPOTENCY_KEY = "^[!-~]{1,60}$"
UNIX_SECONDS = "^[0-9]{1,12}$"

SCHEMAS = {
    "Report": {
        "type": "object",
        "required": [
            "report_id",
            "status",
            "category",
            "issue_type",
            "created_at",
            "due_at",
            "handled_at",
            "past_due",
            "status_url",
            "dismiss_reason",
            "timeline",
        ],
        "additionalProperties": False,
        "properties": {
            "report_id": {**REPORT_ID, "description": "Short, unguessable, safe to read aloud."},
            "status": {"type": "string", "enum": list(Status.values)},
            "category": {"type": "string", "enum": list(Category.values)},
            "issue_type": {"type": "string", "description": "e.g. payment.refund"},
            "created_at": DATETIME,
            "due_at": {**DATETIME, "description": "The answer is due by then (72 hours)."},
            "handled_at": {"oneOf": [DATETIME, {"type": "null"}]},
            "past_due": {"type": "boolean"},
            "status_url": {
                "type": "string",
                "format": "uri",
                "description": "The reporter's private status page; give it only to them.",
            },
            "dismiss_reason": {
                "oneOf": [{"$ref": "#/components/schemas/DismissReason"}, {"type": "null"}],
                "description": "Why the report was dismissed; null unless it is dismissed with a "
                "reason (a dismissal on appeal is explained by the appeal's reply).",
            },
            "timeline": {
                "type": "array",
                "description": "What the reporter sees on the status page, newest first: the "
                "team's replies, the decisions with their reasons, what the reporter added. "
                "Never the team's private notes, never who in the team acted.",
                "items": {"$ref": "#/components/schemas/TimelineItem"},
            },
            "duplicate": {
                "type": "boolean",
                "description": "True when an identical report from the same reporter "
                "(Open ID or e-mail) arrived in the last 24 hours and no new one was filed.",
            },
        },
    },
    "DismissReason": {
        "type": "object",
        "required": ["code", "text", "duplicate_of"],
        "additionalProperties": False,
        "properties": {
            "code": {"type": "string", "enum": list(DismissReason.values)},
            "text": {
                "type": "string",
                "description": "The reason as the reporter reads it, in the request's language "
                "(Accept-Language); for Other, the team's own words.",
            },
            "duplicate_of": {
                "oneOf": [REPORT_ID, {"type": "null"}],
                "description": "The report this one duplicates (code duplicate only).",
            },
        },
    },
    "TimelineItem": {
        "type": "object",
        "required": ["kind", "at"],
        "additionalProperties": False,
        "properties": {
            "kind": {"type": "string", "enum": sorted(ReportEvent.PUBLIC_KINDS)},
            "at": DATETIME,
            "text": {
                "type": "string",
                "description": "A reply's text (replied), or what the reporter added "
                "(information_added).",
            },
            "reason": {
                "oneOf": [{"$ref": "#/components/schemas/DismissReason"}, {"type": "null"}],
                "description": "The reason of a dismissal (dismissed).",
            },
        },
    },
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "additionalProperties": False,
        "properties": {
            "error": {
                "type": "string",
                "description": "A stable code: validation_failed, signature_missing, "
                "signature_invalid, timestamp_expired, replayed, not_found, too_large, "
                "idempotency_key_reused, rate_limited, invalid_json, invalid_body, "
                "unsupported_content_type, method_not_allowed, not_saved, "
                "temporarily_unavailable, server_error.",
            },
            "message": {"type": "string", "description": "For people: what to do about it."},
            "fields": {
                "type": "object",
                "description": "Per-field messages (400 validation_failed only).",
                "additionalProperties": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}

DETAILS = {
    "type": "string",
    "maxLength": DETAILS_MAX_LENGTH,
    "pattern": REQUIRED_TEXT,
    "description": "What happened; surrounding whitespace is removed.",
}
ORDER_ID = {"type": "string", "maxLength": ORDER_ID_MAX_LENGTH, "pattern": ORDER_ID_TEXT}
CONTACT_EMAIL = {
    "description": "Optional (an empty string is none); where the confirmation and the status "
    "link go.",
    "anyOf": [
        {"type": "string", "const": ""},
        {"type": "string", "format": "email", "maxLength": 254, "pattern": "^[^\\x00-\\x1f]*$"},
    ],
}
OPEN_ID = {
    "type": "string",
    "maxLength": OPEN_ID_MAX_LENGTH,
    "pattern": OPTIONAL_TEXT,
    "description": "The signed-in user's Open ID (trusted: the request is signed).",
}
SCREENSHOTS = {
    "type": "array",
    "maxItems": 3,
    "items": {"type": "string", "format": "binary"},
    "description": "PNG, JPEG or WebP (judged by content), at most 10 MB and 40 megapixels each.",
}
# What each category collects, as tickets.forms.ReportForm has it (and docs/API.md's table).
CATEGORY_FIELDS = {
    Category.EXPERIENCE: ({"details": DETAILS}, ["details"]),
    Category.PAYMENT: ({"details": DETAILS, "order_id": ORDER_ID}, ["details", "order_id"]),
    Category.COMMUNITY: ({}, []),
}


def _category_schema(category: str, codes: list[str], *, multipart: bool) -> dict:
    fields, required = CATEGORY_FIELDS[category]
    properties = {
        "category": {"type": "string", "const": category},
        "issue_type": {
            "type": "string",
            # The slug ("refund") or the full code ("payment.refund").
            "enum": [code.split(".", 1)[1] for code in codes] + codes,
        },
        **fields,
        "contact_email": CONTACT_EMAIL,
        "open_id": OPEN_ID,
    }
    required = ["category", "issue_type", *required]
    if multipart:
        properties["screenshots"] = SCREENSHOTS
        if category == Category.COMMUNITY:
            properties["screenshots"] = {**SCREENSHOTS, "minItems": 1}
            required.append("screenshots")
    return {"type": "object", "required": required, "properties": properties}


def _new_report_schemas() -> dict:
    """One schema per category, chosen by the category field (a discriminator).

    A community report needs screenshots, which only multipart carries: JSON files
    experience and payment reports only.
    """
    codes = {category: [] for category in Category.values}
    for category, code in IssueType.objects.order_by("category", "position").values_list(
        "category", "code"
    ):
        codes[category].append(code)
    schemas = {}
    for multipart, suffix, categories in (
        (False, "", (Category.EXPERIENCE, Category.PAYMENT)),
        (True, "Multipart", tuple(Category.values)),
    ):
        names = {c: f"{str(c).title()}Report{suffix}" for c in categories}
        for category, name in names.items():
            schemas[name] = _category_schema(category, codes[category], multipart=multipart)
        schemas[f"NewReport{suffix}"] = {
            "type": "object",
            # Stated here as well as in each category's schema, so a client sees at the top
            # level which parts are files.
            **({"properties": {"screenshots": SCREENSHOTS}} if multipart else {}),
            "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in names.values()],
            "discriminator": {
                "propertyName": "category",
                "mapping": {str(c): f"#/components/schemas/{name}" for c, name in names.items()},
            },
        }
    return schemas


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _report(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Report"}}},
    }


RETRY_AFTER = {
    "Retry-After": {
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds to wait.",
    }
}
SIGNED = [{"timestamp": [], "signature": []}]
APP_SLUG = {
    "name": "app_slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
}
# Also stated as security schemes; here so that a client (or a generator) knows their shape.
SIGNATURE_HEADERS = [
    {
        "name": "X-Reportdesk-Timestamp",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": UNIX_SECONDS},
        "description": "The current Unix time in seconds, within 5 minutes of the server's.",
    },
    {
        "name": "X-Reportdesk-Signature",
        "in": "header",
        "required": True,
        "schema": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
        "description": 'Hex HMAC-SHA256 of the timestamp, ".", and the exact body.',
    },
]


def openapi_spec() -> dict:
    return handling_api_extend(_reporter_spec())


def _reporter_spec() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Reportdesk in-app API",
            "version": "1",
            "description": (
                "File user reports from inside a mini app and read their status. Every request "
                "is signed: X-Reportdesk-Timestamp is the current Unix time in seconds, "
                "X-Reportdesk-Signature the hex HMAC-SHA256, keyed with the app's signing "
                'secret, of the timestamp, a ".", and the exact request body (empty for GET). '
                "Requests more than 5 minutes off, and repeats of a signed POST, are refused. "
                "After the secret is rotated (console, Settings), the previous secret is still "
                "accepted for 24 hours, then refused. "
                "Every error, on any path under /api/v1/, is a JSON Error."
            ),
        },
        "servers": [{"url": settings.SITE_URL}],
        "components": {
            "schemas": {**SCHEMAS, **_new_report_schemas()},
            "securitySchemes": {
                "timestamp": {"type": "apiKey", "in": "header", "name": "X-Reportdesk-Timestamp"},
                "signature": {"type": "apiKey", "in": "header", "name": "X-Reportdesk-Signature"},
            },
        },
        "security": SIGNED,
        "paths": {
            "/api/v1/apps/{app_slug}/reports": {
                "post": {
                    "operationId": "reports_create",
                    "summary": "File a report",
                    "parameters": [
                        APP_SLUG,
                        *SIGNATURE_HEADERS,
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY},
                            "description": "Retry safely: the same key with the same content "
                            "answers with the report the first request filed (200); with other "
                            "content, 422.",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewReport"}
                            },
                            "multipart/form-data": {
                                "schema": {"$ref": "#/components/schemas/NewReportMultipart"},
                                "encoding": {
                                    "screenshots": {
                                        "contentType": "image/png, image/jpeg, image/webp"
                                    }
                                },
                            },
                        },
                    },
                    "responses": {
                        "201": _report("The report was filed."),
                        "200": _report(
                            "Already filed: a repeated Idempotency-Key, or an identical report "
                            "from the same reporter in the last 24 hours (duplicate: true)."
                        ),
                        "400": _error("A field is missing or not valid; see fields."),
                        "401": _error("The signature is missing, wrong, stale or replayed."),
                        "404": _error("No mini app with this slug."),
                        "413": _error("The body is too large (JSON 64 KB, multipart 30 MB)."),
                        "422": _error(
                            "idempotency_key_reused: the Idempotency-Key already filed a report "
                            "with other content."
                        ),
                        "429": {
                            **_error("Too many reports; see the Retry-After header."),
                            "headers": RETRY_AFTER,
                        },
                        "503": {
                            **_error(
                                "not_saved: the database or the file storage failed; nothing "
                                "was stored. Retry (same Idempotency-Key) after Retry-After."
                            ),
                            "headers": RETRY_AFTER,
                        },
                    },
                }
            },
            "/api/v1/apps/{app_slug}/reports/{report_id}": {
                "get": {
                    "operationId": "report_detail",
                    "summary": "A report's status",
                    "parameters": [
                        APP_SLUG,
                        {
                            "name": "report_id",
                            "in": "path",
                            "required": True,
                            "schema": REPORT_ID,
                        },
                        *SIGNATURE_HEADERS,
                    ],
                    "responses": {
                        "200": _report("The report."),
                        "401": _error("The signature is missing, wrong or stale."),
                        "404": _error("No such mini app, or it has no report with this ID."),
                    },
                }
            },
        },
    }
