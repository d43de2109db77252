"""Request size limits, enforced from Content-Length before any of the body is read."""

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from reports.images import MAX_BYTES, MAX_SCREENSHOTS

# Three full-size screenshots plus the text fields and multipart framing.
MAX_FORM_BYTES = MAX_SCREENSHOTS * MAX_BYTES + 256 * 1024
MAX_SMALL_FORM_BYTES = 16 * 1024
MAX_JSON_BYTES = 64 * 1024


def content_length(request: HttpRequest) -> int | None:
    """The declared body size; None when it is missing or not a number."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None


def form_body_limit(max_bytes: int, too_large: Callable[[HttpRequest], HttpResponse]):
    """Refuse an oversized POST before CSRF checking parses it, then check CSRF as usual.

    CsrfViewMiddleware reads request.POST, which consumes the body, so the view is exempt
    from the middleware and protected inside, after the size check.
    """

    def decorator(view):
        protected = csrf_protect(view)

        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method == "POST":
                length = content_length(request)
                if length is None or length > max_bytes:
                    return too_large(request)
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorator


def too_large_page(request: HttpRequest) -> HttpResponse:
    # (No "Connection: close" here: WSGI forbids hop-by-hop headers; the server decides.)
    return render(request, "tickets/too_large.html", status=413)
