"""Submission rate limits on Django's cache (Redis in production), shared by every process.

Fixed windows: simple, and a burst at a window edge can at worst double the rate, which is
fine for abuse protection. The limits live in settings so an operator can tune them.

The limits fail open: with the cache unreachable (in production it is the broker's Redis) a
report is still accepted, unthrottled, and the request logs one warning.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from reports.throttling import CACHE_ERRORS, cache_count, cache_down_warn, client_ip

__all__ = ["CACHE_ERRORS", "Throttled", "cache_down_warn", "client_ip", "rate_limits_hit"]

# name -> (requests, window seconds); override with settings.TICKETS_RATE_LIMITS.
DEFAULT_LIMITS = {
    "submit_ip": (20, 3600),
    "submit_open_id": (10, 3600),
    "check_ip": (10, 3600),
    # Adding information on a status page: per report, and per address across reports.
    "add_information_report": (5, 3600),
    "add_information_ip": (20, 3600),
    # The API comes from the mini app's own server: one budget per app.
    "api_app": (600, 3600),
    # The handling API, per API key: a tool syncing the list pages through it quickly.
    "api_key": (600, 60),
}


@dataclass(frozen=True)
class Throttled:
    retry_after: int  # seconds until the window resets


def _limit(name: str) -> tuple[int, int]:
    return getattr(settings, "TICKETS_RATE_LIMITS", {}).get(name, DEFAULT_LIMITS[name])


def rate_limit_hit(
    *, name: str, ident: str, now: float | None = None, count: bool = True
) -> Throttled | None:
    """Count one attempt for `ident`; a Throttled when it is over the limit, else None.

    With count=False only look: a Throttled when the limit is already used up, counting
    nothing (a form is checked before its costly validation, and counted once valid).
    Raises one of CACHE_ERRORS when the cache is unreachable; rate_limits_hit fails open.
    """
    if not ident:
        return None
    allowed, window = _limit(name)
    now = time.time() if now is None else now
    window_start = int(now // window) * window
    retry_after = max(1, int(window_start + window - now))
    # Hashed: the ident may be a signed Open ID, any text up to 128 characters; a cache key
    # stays short and plain whatever it holds.
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"tickets:rl:{name}:{digest}:{window_start}"
    if not count:
        used = cache.get(key) or 0
        return Throttled(retry_after=retry_after) if used >= allowed else None
    if cache_count(key, timeout=window + 5) > allowed:
        return Throttled(retry_after=retry_after)
    return None


def rate_limits_hit(
    request: HttpRequest, *limits: tuple[str, str], count: bool = True
) -> Throttled | None:
    """rate_limit_hit for each (name, ident) in turn, stopping at the first Throttled.

    Fails open: with the cache unreachable nothing is limited and the request logs one
    warning, so a Redis outage never turns a report into a 500.
    """
    for name, ident in limits:
        try:
            throttled = rate_limit_hit(name=name, ident=ident, count=count)
        except CACHE_ERRORS as error:
            cache_down_warn(request, "rate limits skipped", error)
            return None
        if throttled:
            return throttled
    return None
