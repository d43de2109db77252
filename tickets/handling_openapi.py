"""The handling API's part of the OpenAPI document (tickets/openapi.py merges it in).

Kept apart so the reporter-side document stays as it was; `extend` adds the paths, the
schemas and the bearer scheme, and lets the status read also take a key.
"""

from reports.filters import PAST_DUE_CHOICES, StatusTab
from reports.models import Category, DismissReason, IssueType, Report, ReportEvent, Status
from reports.services import REASON_TEXT_MAX_LENGTH, REPLY_MAX_LENGTH

from .limits import (
    HANDLING_DEFAULT_LIMIT,
    HANDLING_MAX_LIMIT,
    HANDLING_MAX_WRITE_BYTES,
    HANDLING_SCREENSHOT_URL_SECONDS,
)

NOTES_MAX_LENGTH = Report._meta.get_field("notes").max_length

REPORT_ID = {"type": "string", "pattern": "^[23456789ABCDEFGHJKMNPQRSTVWXYZ]{10}$"}
DATETIME = {"type": "string", "format": "date-time"}
NULLABLE_DATETIME = {"oneOf": [DATETIME, {"type": "null"}]}
NOTES = {
    "type": "string",
    "maxLength": NOTES_MAX_LENGTH,
    "pattern": "^[^\\x00]*$",
    "description": "Internal notes, never shown to the reporter.",
}
REPLY = {
    "type": "string",
    "maxLength": REPLY_MAX_LENGTH,
    "pattern": "^[^\\x00]*$",
    "description": "Written to the reporter: on their status page and in the decision e-mail.",
}
VERSION = {
    "type": "integer",
    "minimum": 1,
    "description": "The version you read; if the report changed since, the answer is 409.",
}
REPORT_PROPERTIES = {
    "report_id": REPORT_ID,
    "status": {"type": "string", "enum": list(Status.values)},
    "category": {"type": "string", "enum": list(Category.values)},
    "issue_type": {"type": "string", "description": "e.g. payment.refund"},
    "details": {"type": "string"},
    "order_id": {"type": "string"},
    "open_id": {"type": "string", "description": "Empty when the reporter was not signed in."},
    "created_at": DATETIME,
    "due_at": DATETIME,
    "past_due": {"type": "boolean"},
    "handled_at": NULLABLE_DATETIME,
    "version": {"type": "integer", "minimum": 1},
}
NULLABLE_TEXT = {"oneOf": [{"type": "string"}, {"type": "null"}]}
DETAIL_PROPERTIES = {
    **REPORT_PROPERTIES,
    "notes": {"type": "string"},
    "screenshots": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["id", "content_type", "width", "height", "url", "thumbnail_url"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"},
                "content_type": {"type": "string"},
                "width": {"type": "integer"},
                "height": {"type": "integer"},
                "url": {"type": "string", "format": "uri"},
                "thumbnail_url": {"type": "string", "format": "uri"},
            },
        },
        "description": "Links that work without the key for "
        f"{HANDLING_SCREENSHOT_URL_SECONDS // 60} minutes: read the report again for fresh ones.",
    },
    "history": {
        "type": "array",
        "items": {
            "type": "object",
            "required": ["kind", "created_at", "actor", "api_key"],
            "additionalProperties": False,
            "properties": {
                "kind": {"type": "string", "enum": list(ReportEvent.Kind.values)},
                "created_at": DATETIME,
                "actor": {**NULLABLE_TEXT, "description": "The team member, if one acted."},
                "api_key": {**NULLABLE_TEXT, "description": "The key's prefix, if one acted."},
            },
        },
        "description": "Oldest first.",
    },
}
SCHEMAS = {
    "HandlingReport": {
        "type": "object",
        "required": list(REPORT_PROPERTIES),
        "additionalProperties": False,
        "properties": REPORT_PROPERTIES,
    },
    "HandlingReportDetail": {
        "type": "object",
        "required": list(DETAIL_PROPERTIES),
        "additionalProperties": False,
        "properties": DETAIL_PROPERTIES,
    },
    "ReportPage": {
        "type": "object",
        "required": ["results", "next"],
        "additionalProperties": False,
        "properties": {
            "results": {"type": "array", "items": {"$ref": "#/components/schemas/HandlingReport"}},
            "next": {
                "oneOf": [{"type": "string", "format": "uri"}, {"type": "null"}],
                "description": "The next page's URL, as is; null on the last page.",
            },
        },
    },
    "Conflict": {
        "type": "object",
        "required": ["error", "message"],
        "additionalProperties": False,
        "properties": {
            "error": {"type": "string", "const": "conflict"},
            "message": {"type": "string"},
            "report": {"$ref": "#/components/schemas/HandlingReportDetail"},
        },
    },
    "NotesEdit": {
        "type": "object",
        "required": ["notes"],
        "additionalProperties": False,
        "properties": {"notes": NOTES, "version": VERSION},
    },
    "Resolve": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"notes": NOTES, "version": VERSION, "reply": REPLY},
    },
    "Dismiss": {
        "type": "object",
        "required": ["reason"],
        "additionalProperties": False,
        "properties": {
            "notes": NOTES,
            "version": VERSION,
            "reply": REPLY,
            "reason": {
                "type": "string",
                "enum": list(DismissReason.values),
                "description": "Told to the reporter, in their language. `other` needs "
                "`reason_text`; `duplicate` needs `duplicate_of`.",
            },
            "reason_text": {
                "type": "string",
                "maxLength": REASON_TEXT_MAX_LENGTH,
                "pattern": "^[^\\x00]*$",
            },
            "duplicate_of": REPORT_ID,
        },
    },
}
SCHEMAS["ReplyCreate"] = {
    "type": "object",
    "required": ["message"],
    "additionalProperties": False,
    "properties": {
        "message": {
            **REPLY,
            "minLength": 1,
            "pattern": "^[^\\x00]*[^\\x00\\s][^\\x00]*$",
            "description": "Written to the reporter: on their status page and in an e-mail. "
            f"At most {REPLY_MAX_LENGTH:,} characters once trimmed; not only blank space.",
        }
    },
}
SCHEMAS["Reply"] = {
    "type": "object",
    "required": ["id", "report_id", "message", "created_at", "actor", "api_key", "version"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"},
        "report_id": REPORT_ID,
        "message": {"type": "string", "description": "As the reporter reads it (trimmed)."},
        "created_at": DATETIME,
        "actor": NULLABLE_TEXT,
        "api_key": {**NULLABLE_TEXT, "description": "The key's prefix."},
        "version": {
            "type": "integer",
            "minimum": 1,
            "description": "The report's version after the reply: send it with the next write.",
        },
    },
}
BEARER = [{"apiKey": []}]
RETRY_AFTER = {
    "Retry-After": {
        "required": True,
        "schema": {"type": "integer", "minimum": 1},
        "description": "Seconds to wait.",
    }
}
APP_SLUG = {
    "name": "app_slug",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
}
REPORT_ID_PARAM = {"name": "report_id", "in": "path", "required": True, "schema": REPORT_ID}


def _json(description: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
    }


def _keyed_errors(*, write: bool) -> dict:
    errors = {
        "400": _json("A parameter or field is not valid; see fields.", "Error"),
        "401": _json("key_missing or key_invalid: no key, an unknown or a revoked key.", "Error"),
        "404": _json(
            "No such app for this key (another app's key included), or no such report.", "Error"
        ),
        "429": {**_json("Too many requests with this key.", "Error"), "headers": RETRY_AFTER},
    }
    if write:
        errors["403"] = _json("forbidden: the key has the Read scope.", "Error")
        errors["409"] = _json(
            "conflict: the report changed since `version`, or is already handled; report "
            "holds its current state.",
            "Conflict",
        )
        errors["413"] = _json(
            f"The body is larger than {HANDLING_MAX_WRITE_BYTES // 1024} KB.", "Error"
        )
    return errors


def _list_parameters() -> list[dict]:
    issue_types = list(
        IssueType.objects.order_by("category", "position").values_list("code", flat=True)
    )
    query = [
        (
            "status",
            {"type": "string", "enum": [v for v, _ in StatusTab.CHOICES]},
            "past_due: pending and already late.",
        ),
        ("category", {"type": "string", "enum": list(Category.values)}, ""),
        ("issue_type", {"type": "string", "enum": issue_types}, ""),
        (
            "q",
            {"type": "string", "maxLength": 200, "pattern": "^[^\\x00]*$"},
            "A report ID, Open ID or order ID exactly, or words of the details.",
        ),
        (
            "past_due",
            {"type": "string", "enum": [v for v, _ in PAST_DUE_CHOICES]},
            "Marked past due (handled late included), or not.",
        ),
        ("created_after", DATETIME, "Reported at or after this instant."),
        ("created_before", DATETIME, "Reported before this instant."),
        ("after", REPORT_ID, "The cursor: use the `next` URL as given."),
        (
            "limit",
            {
                "type": "integer",
                "minimum": 1,
                "maximum": HANDLING_MAX_LIMIT,
                "default": HANDLING_DEFAULT_LIMIT,
            },
            "Reports per page.",
        ),
    ]
    return [
        {
            "name": name,
            "in": "query",
            "required": False,
            "schema": schema,
            **({"description": text} if text else {}),
        }
        for name, schema, text in query
    ]


UNPROCESSABLE = _json(
    "validation_failed: a field is well-formed but breaks a rule (e.g. duplicate_of is no "
    "report of this app); fields names it.",
    "Error",
)


def _write(
    operation_id: str, summary: str, body: str, required: bool, unprocessable: bool = False
) -> dict:
    return {
        "operationId": operation_id,
        "summary": summary,
        "security": BEARER,
        "parameters": [APP_SLUG, REPORT_ID_PARAM],
        "requestBody": {
            "required": required,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        },
        "responses": {
            "200": _json("Done: the report as it is now.", "HandlingReportDetail"),
            **_keyed_errors(write=True),
            **({"422": UNPROCESSABLE} if unprocessable else {}),
        },
    }


def extend(spec: dict) -> dict:
    """Add the handling API to the reporter-side document `spec` (tickets.openapi)."""
    spec["info"]["description"] += (
        " The handling API (list, read, reply, resolve, dismiss, notes) takes an API key instead: "
        "Authorization: Bearer <key>, created by an owner in the console (Integration > API "
        "keys), with the Read or the Handle scope."
    )
    components = spec["components"]
    components["schemas"]["Error"]["properties"]["error"]["description"] += (
        " With an API key also: key_missing, key_invalid, forbidden."
    )
    components["schemas"].update(SCHEMAS)
    components["securitySchemes"]["apiKey"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key of the app (rdk_...).",
    }
    paths = spec["paths"]
    collection = paths["/api/v1/apps/{app_slug}/reports"]
    collection["get"] = {
        "operationId": "reports_list",
        "summary": "List reports (the console's filters, newest first, keyset pages)",
        "security": BEARER,
        "parameters": [APP_SLUG, *_list_parameters()],
        "responses": {"200": _json("One page.", "ReportPage"), **_keyed_errors(write=False)},
    }
    resource = paths["/api/v1/apps/{app_slug}/reports/{report_id}"]
    status = resource["get"]
    # Signed (the reporter-side status, as before) or with a key (the report for handlers).
    status["summary"] = "A report: its status (signed) or all of it (API key)"
    status["security"] = [*spec["security"], *BEARER]
    for parameter in status["parameters"]:
        if parameter["in"] == "header":
            parameter["required"] = False
            parameter["description"] += " Required unless an API key is sent."
    signed_answer = status["responses"]["200"]["content"]["application/json"]["schema"]
    status["responses"]["200"] = {
        "description": "Signed: the status (Report). With a key: HandlingReportDetail.",
        "content": {
            "application/json": {
                "schema": {
                    "oneOf": [signed_answer, {"$ref": "#/components/schemas/HandlingReportDetail"}]
                }
            }
        },
    }
    status["responses"]["401"]["description"] += " Or the API key is unknown or revoked."
    status["responses"]["429"] = _keyed_errors(write=False)["429"]
    resource["patch"] = _write("report_notes_edit", "Edit a report's notes", "NotesEdit", True)
    paths["/api/v1/apps/{app_slug}/reports/{report_id}/resolve"] = {
        "post": _write("report_resolve", "Resolve a pending report", "Resolve", False)
    }
    paths["/api/v1/apps/{app_slug}/reports/{report_id}/dismiss"] = {
        "post": _write("report_dismiss", "Dismiss a pending report", "Dismiss", True, True)
    }
    replies_errors = _keyed_errors(write=True)
    del replies_errors["409"]  # a reply takes no version: any report, any status
    paths["/api/v1/apps/{app_slug}/reports/{report_id}/replies"] = {
        "post": {
            "operationId": "report_reply",
            "summary": "Reply to the reporter (status page and e-mail)",
            "security": BEARER,
            "parameters": [APP_SLUG, REPORT_ID_PARAM],
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/ReplyCreate"}}
                },
            },
            "responses": {
                "201": _json("Sent: the reply, and the report's new version.", "Reply"),
                **replies_errors,
            },
        }
    }
    paths["/api/v1/apps/{app_slug}/reports/{report_id}/screenshots/{screenshot_id}"] = {
        "get": {
            "operationId": "report_screenshot",
            "summary": "A screenshot, by the short-lived link a report read gave",
            "security": [],
            "parameters": [
                APP_SLUG,
                REPORT_ID_PARAM,
                {
                    "name": "screenshot_id",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                },
                {"name": "token", "in": "query", "required": True, "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "The image (local storage).",
                    "content": {
                        media: {"schema": {"type": "string", "format": "binary"}}
                        for media in ("image/png", "image/jpeg", "image/webp")
                    },
                },
                "302": {
                    "description": "Object storage: a redirect to the file's own short-lived "
                    "signed URL.",
                    "headers": {"Location": {"required": True, "schema": {"type": "string"}}},
                },
                "404": _json("The link is not valid or has expired.", "Error"),
            },
        }
    }
    return spec
