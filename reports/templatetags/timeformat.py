"""One way to show a time, everywhere (the functions: reports/timeformat.py).

{% load timeformat %}
{{ value|when }}         <time> in the active timezone ("1 Dec 2026, 19:44"), UTC on hover
{{ value|when_text }}    the same words without markup, for plain-text e-mails
{{ value|day }}          a calendar day in the same words ("1 Dec 2026")
{% viewer_timezone_meta %}  in <head>: what static/js/timezone.js needs to remember the zone

The active timezone is the viewer's (reports.middleware.ViewerTimezoneMiddleware) on pages, and
the reporter's in e-mails (rendered under timezone.override).
"""

from datetime import UTC, date, datetime

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from reports import timeformat
from reports.middleware import TIMEZONE_COOKIE

register = template.Library()

# Kept importable from here: the formats live in reports.timeformat.
WHEN_FORMAT = timeformat.WHEN_FORMAT


@register.filter
def when_text(value: datetime | None) -> str:
    return timeformat.when_text(value)


@register.filter
def when(value: datetime | None) -> SafeString | str:
    return timeformat.when_html(value)


@register.filter
def day(value: date | None) -> str:
    return timeformat.day_text(value)


@register.simple_tag(takes_context=True)
def viewer_timezone_meta(context) -> SafeString | str:
    """The cookie's name, the zone this page was rendered in, and whether it came from the
    cookie: the script writes the browser's zone only when the server knew none."""
    request = context.get("request")
    if request is None:
        return ""
    return format_html(
        '<meta name="reportdesk-timezone" content="{}" data-cookie="{}" data-known="{}"'
        ' data-reload="{}">',
        str(getattr(request, "viewer_timezone", UTC)),
        TIMEZONE_COOKIE,
        "true" if getattr(request, "viewer_timezone_known", False) else "false",
        # Reloading a POST's answer would send the form again: only plain page loads reload.
        "true" if request.method == "GET" and not getattr(request, "htmx", False) else "false",
    )
