"""Guards on every request: body sizes capped before the body is read, and console
responses kept out of caches.
"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.utils.translation import gettext as _


def not_saved_page(request, template: str, context: dict) -> HttpResponse:
    """The answer when the database or the storage failed and nothing was kept: 503, try again
    in a minute. The page needs no database: it may be the database that just failed."""
    response = render(request, template, context, status=503)
    response["Retry-After"] = "60"
    return response


def request_body_limit(max_bytes: int, too_large=None):
    """Let a view accept request bodies of up to max_bytes (uploads); RequestBodyLimitMiddleware
    enforces it. too_large(request) -> HttpResponse is the view's own refusal page.
    """

    def decorator(view):
        view.request_body_limit = max_bytes
        if too_large is not None:
            view.request_body_too_large = too_large
        return view

    return decorator


class RequestBodyLimitMiddleware:
    """Refuse an oversized body from its Content-Length, before anything reads a byte of it.

    Sits before CsrfViewMiddleware, whose process_view parses request.POST (and would stream a
    120 MB body to disk first). Views that take uploads raise their limit with
    @request_body_limit; every other view allows DATA_UPLOAD_MAX_MEMORY_SIZE. A body without a
    Content-Length (chunked) is refused with 411: Django would read it as empty anyway.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            return _body_refused(
                request,
                411,
                _("Send the request with a Content-Length header, not in chunks."),
            )
        limit = getattr(view_func, "request_body_limit", settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = None
        if length is not None and 0 <= length <= limit:
            return None
        too_large = getattr(view_func, "request_body_too_large", None)
        if too_large is not None and not request.path.startswith("/api/"):
            return too_large(request)
        return _body_refused(
            request,
            413,
            _("The request is larger than we accept (at most %(size)s).")
            % {"size": filesizeformat(limit)},
        )


def _body_refused(request, status: int, message: str) -> HttpResponse:
    # (No "Connection: close" here: WSGI forbids hop-by-hop headers; the server decides.)
    if request.path.startswith("/api/"):  # the API answers JSON, always (docs/API.md)
        code = "too_large" if status == 413 else "length_required"
        return JsonResponse({"error": code, "message": message}, status=status)
    return render(request, "reports/too_large.html", {"message": message}, status=status)


class ConsoleNoStoreMiddleware:
    """Every console response (pages, panels, CSV, screenshots) stays out of every cache.

    The console shows private reports: a browser must not keep them after sign-out, nor show
    them again from its cache with the Back button.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = None

    def __call__(self, request):
        response = self.get_response(request)
        if self.prefix is None:  # the URLconf is not loaded when middleware is built
            self.prefix = reverse("reports:console_home")
        if request.path.startswith(self.prefix):
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
