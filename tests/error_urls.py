"""The site's URLs plus pages that fail on purpose, one per error status, on the help center
and in the console (the error pages of config/errors.py are chosen by path)."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from django.urls import path

from config.urls import handler400, handler403, handler404, handler500, urlpatterns  # noqa: F401

FAILURES = {
    400: SuspiciousOperation("a request we cannot make sense of"),
    403: PermissionDenied("not for this visitor"),
    404: Http404("no such thing"),
    500: RuntimeError("a bug on our side"),
}


def fail(request, status: int, app_slug: str = ""):
    raise FAILURES[status]


urlpatterns = [
    path("help/<slug:app_slug>/fail/<int:status>/", fail),
    path("console/fail/<int:status>/", fail),
    *urlpatterns,
]
