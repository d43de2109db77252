"""The site's error pages (400, 403, 404, 500, CSRF failure), in the site's style.

On the help center they are the reporter's pages: translated, with the help center's header
and a link back to the app's help center. Everywhere else (console, sign-in, admin) they are
the console's, in English like the console. /api/ answers its errors as JSON (tickets.api).
"""

import logging
import re

from django.http import Http404, HttpRequest, HttpResponse
from django.template import loader
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from tickets.api import site_error_response
from tickets.selectors import help_mini_app

logger = logging.getLogger(__name__)

HELP_CENTER_PATH = re.compile(r"^/help/(?P<slug>[-\w]+)/")


def _help_center_slug(request: HttpRequest) -> str | None:
    match = HELP_CENTER_PATH.match(request.path)
    return match["slug"] if match else None


def _on_help_center(request: HttpRequest) -> bool:
    return _help_center_slug(request) is not None or request.path.startswith("/i18n/")


def _way_back(request: HttpRequest, *, mini_app=None) -> tuple[str, str] | None:
    """(url, label) of the page to go back to: the app's help center, the admin or the console."""
    if _on_help_center(request):
        if mini_app is None:
            return None  # an unknown app: there is no help center to go back to
        url = reverse("tickets:help_home", kwargs={"app_slug": mini_app.slug})
        return url, _("Back to the help center")
    if request.path.startswith("/admin/"):
        return reverse("admin:index"), "Back to the administration"
    return reverse("reports:console_home"), "Go to your mini apps"


def _mini_app(request: HttpRequest):
    slug = _help_center_slug(request)
    if slug is None:
        return None
    try:
        return help_mini_app(slug=slug)
    except Http404:
        return None


def _render(request: HttpRequest, template_name: str, status: int, **context) -> HttpResponse:
    on_help_center = _on_help_center(request)
    # The console is in English; only the help center follows the reporter's language.
    language = translation.get_language() if on_help_center else "en"
    with translation.override(language):
        mini_app = _mini_app(request)
        context = {
            "base_template": "tickets/help_base.html" if on_help_center else "base.html",
            "mini_app": mini_app,
            **context,
        }
        way_back = context["way_back"] = _way_back(request, mini_app=mini_app)
        # After a language change the reporter lands on the way back, never on the failed URL
        # again: it may carry a report ID and its key.
        slug = _help_center_slug(request)
        context["language_next"] = way_back[0] if way_back else f"/help/{slug or ''}"
        body = loader.render_to_string(template_name, context, request)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return site_error_response(request, 400) or _render(request, "400.html", 400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return site_error_response(request, 403) or _render(request, "403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return site_error_response(request, 404) or _render(request, "404.html", 404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The form expired (or cookies are off): back to the page the form was on, if we know it."""
    referer = request.headers.get("Referer", "")
    back_to_form = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    logger.info("CSRF failure on %s: %s", request.path, reason)
    return _render(request, "403_csrf.html", 403, form_url=referer if back_to_form else "")


def server_error(request: HttpRequest) -> HttpResponse:
    """A standalone page: no context processors, no database (it may be what failed)."""
    if api_error := site_error_response(request, 500):
        return api_error
    slug = _help_center_slug(request)
    language = translation.get_language() if _on_help_center(request) else "en"
    with translation.override(language):
        if slug is not None:
            url = reverse("tickets:help_home", kwargs={"app_slug": slug})
            way_back = url, _("Back to the help center")
        else:
            way_back = _way_back(request)
        try:
            body = loader.render_to_string(
                "500.html",
                {
                    "way_back": way_back,
                    "on_help_center": _on_help_center(request),
                    "LANGUAGE_CODE": translation.get_language(),
                },
            )
        except Exception:  # a broken 500 page must not hide the error behind another
            logger.exception("The 500 page could not be rendered")
            body = "<!doctype html><title>Server error</title><h1>Server error</h1>"
    return HttpResponse(body, status=500)
