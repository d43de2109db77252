"""The OpenAPI 3.1 description of /api/v1/, served at /api/v1/openapi.json.

Its schemas are JSON Schema 2020-12; tests/tickets/test_openapi.py checks real responses
against them, so this document cannot drift from what the API answers.
"""

from django.conf import settings

from reports.models import Category, Status

from .forms import DETAILS_MAX_LENGTH, ORDER_ID_MAX_LENGTH
from .signing import OPEN_ID_MAX_LENGTH

REPORT_ID = {"type": "string", "pattern": "^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{10}$"}
DATETIME = {"type": "string", "format": "date-time"}

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
            "duplicate": {
                "type": "boolean",
                "description": "True when an identical report from the same reporter "
                "(Open ID or e-mail) arrived in the last 24 hours and no new one was filed.",
            },
        },
    },
    "NewReport": {
        "type": "object",
        "required": ["category", "issue_type"],
        "properties": {
            "category": {"type": "string", "enum": list(Category.values)},
            "issue_type": {
                "type": "string",
                "description": "The issue type within the category, e.g. refund or payment.refund.",
            },
            "details": {
                "type": "string",
                "maxLength": DETAILS_MAX_LENGTH,
                "description": "Required for experience and payment; not collected for community.",
            },
            "order_id": {
                "type": "string",
                "maxLength": ORDER_ID_MAX_LENGTH,
                "description": "Required for payment.",
            },
            "contact_email": {"type": "string", "format": "email"},
            "open_id": {
                "type": "string",
                "maxLength": OPEN_ID_MAX_LENGTH,
                "description": "The signed-in user's Open ID (trusted: the request is signed).",
            },
        },
    },
    "NewReportWithScreenshots": {
        "allOf": [{"$ref": "#/components/schemas/NewReport"}],
        "properties": {
            "screenshots": {
                "type": "array",
                "maxItems": 3,
                "items": {"type": "string", "format": "binary"},
                "description": "PNG, JPEG or WebP, at most 10 MB each. Required for community.",
            }
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
                "rate_limited, invalid_json, unsupported_content_type, method_not_allowed.",
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


SIGNED = [{"timestamp": [], "signature": []}]
APP_SLUG = {"name": "app_slug", "in": "path", "required": True, "schema": {"type": "string"}}


def openapi_spec() -> dict:
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
                "Requests more than 5 minutes off, and repeats of a signed POST, are refused."
            ),
        },
        "servers": [{"url": settings.SITE_URL}],
        "components": {
            "schemas": SCHEMAS,
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
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 60},
                            "description": "Retry safely: the same key answers with the "
                            "report the first request filed (200).",
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/NewReport"}
                            },
                            "multipart/form-data": {
                                "schema": {"$ref": "#/components/schemas/NewReportWithScreenshots"}
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
                        "429": {
                            **_error("Too many reports; see the Retry-After header."),
                            "headers": {
                                "Retry-After": {
                                    "schema": {"type": "integer"},
                                    "description": "Seconds to wait.",
                                }
                            },
                        },
                        "503": {
                            **_error(
                                "not_saved: the database or the file storage failed; nothing "
                                "was stored. Retry (same Idempotency-Key) after Retry-After."
                            ),
                            "headers": {
                                "Retry-After": {
                                    "schema": {"type": "integer"},
                                    "description": "Seconds to wait.",
                                }
                            },
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
                            "schema": {"type": "string"},
                        },
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
