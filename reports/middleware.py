"""The viewer's timezone, for the console and the help center alike: picked in the console
(reports.views.timezone_choose) or, when none is known, the browser's own zone (written by
static/js/timezone.js, never over a valid one), remembered in one cookie and read here only.
Activated for every request so templates, forms and date filters all speak the viewer's local
time. Stored times stay UTC.
"""

import zoneinfo
from datetime import UTC, tzinfo
from functools import lru_cache
from urllib.parse import unquote

from django.utils import timezone

TIMEZONE_COOKIE = "reportdesk_tz"


@lru_cache(maxsize=1)
def timezone_names() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def timezone_from_name(name: str | None) -> tzinfo | None:
    """A known IANA zone, or None for anything else (a cookie is user input)."""
    if not name or len(name) > 64 or name not in timezone_names():
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


class ViewerTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # unquote: the help center once wrote the cookie URL-encoded ("Europe%2FBerlin").
        zone = timezone_from_name(unquote(request.COOKIES.get(TIMEZONE_COOKIE, "")))
        # Always set (or reset) the zone: worker threads are reused between requests.
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        request.viewer_timezone = zone or UTC
        request.viewer_timezone_known = zone is not None
        return self.get_response(request)
