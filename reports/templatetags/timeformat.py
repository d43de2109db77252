"""One way to show a time, everywhere: the console's list and panel, the help center, e-mails.

{% load timeformat %}
{{ value|when }}         <time> in the active timezone ("1 Dec 2026, 19:44"), UTC on hover
{{ value|when_text }}    the same words without markup, for plain-text e-mails
{% viewer_timezone_meta %}  in <head>: what static/js/timezone.js needs to remember the zone

The active timezone is the viewer's (reports.middleware.ViewerTimezoneMiddleware) on pages, and
the reporter's in e-mails (rendered under timezone.override).
"""

from datetime import UTC, datetime

from django import template
from django.utils import dateformat, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from reports.middleware import TIMEZONE_COOKIE

register = template.Library()

# "1 Dec 2026, 19:44": day first, no a.m./p.m., month names translated with the page's language.
WHEN_FORMAT = "j M Y, H:i"


@register.filter
def when_text(value: datetime | None) -> str:
    if not isinstance(value, datetime):
        return ""
    return dateformat.format(timezone.localtime(value), WHEN_FORMAT)


@register.filter
def when(value: datetime | None) -> SafeString | str:
    if not isinstance(value, datetime):
        return ""
    utc = value.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{} UTC">{}</time>',
        utc.isoformat(),
        utc.strftime("%Y-%m-%d %H:%M:%S"),
        when_text(value),
    )


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
