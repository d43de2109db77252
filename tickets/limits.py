"""Request size limits of the help center and the API, enforced from Content-Length before any
of the body is read (by reports.request_guards.RequestBodyLimitMiddleware, before CSRF checking).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from reports.request_guards import request_body_limit
from reports.screenshots import MAX_SUBMISSION_BYTES

# The one body rule of every form that carries screenshots (the appeal form uses it too).
MAX_FORM_BYTES = MAX_SUBMISSION_BYTES
MAX_SMALL_FORM_BYTES = 16 * 1024
MAX_JSON_BYTES = 64 * 1024


def content_length(request: HttpRequest) -> int | None:
    """The declared body size; None when it is missing or not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def form_body_limit(max_bytes: int, too_large: Callable[[HttpRequest], HttpResponse]):
    """A help-center form's body limit, refused with too_large(request) above it."""
    return request_body_limit(max_bytes, too_large)


def too_large_page(request: HttpRequest) -> HttpResponse:
    return render(request, "tickets/too_large.html", status=413)


# The handling API (tickets/handling_api.py): list pages, write bodies, screenshot links.
HANDLING_DEFAULT_LIMIT = 50
HANDLING_MAX_LIMIT = 100
HANDLING_MAX_WRITE_BYTES = 256 * 1024  # 20,000 characters of notes, each escaped as \uXXXX
# Screenshot links of a report read work without the key (an <img> shows them) this long.
HANDLING_SCREENSHOT_URL_SECONDS = 300
