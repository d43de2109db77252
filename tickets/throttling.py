"""Submission rate limits on Django's cache (Redis in production), shared by every process.

Fixed windows: simple, and a burst at a window edge can at worst double the rate, which is
fine for abuse protection. The limits live in settings so an operator can tune them.
"""

import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

# name -> (requests, window seconds); override with settings.TICKETS_RATE_LIMITS.
DEFAULT_LIMITS = {
    "submit_ip": (20, 3600),
    "submit_open_id": (10, 3600),
    "check_ip": (10, 3600),
    # The API comes from the mini app's own server: one budget per app.
    "api_app": (600, 3600),
}


@dataclass(frozen=True)
class Throttled:
    retry_after: int  # seconds until the window resets


def _limit(name: str) -> tuple[int, int]:
    return getattr(settings, "TICKETS_RATE_LIMITS", {}).get(name, DEFAULT_LIMITS[name])


def rate_limit_hit(*, name: str, ident: str, now: float | None = None) -> Throttled | None:
    """Count one attempt for `ident`; a Throttled when it is over the limit, else None."""
    if not ident:
        return None
    allowed, window = _limit(name)
    now = time.time() if now is None else now
    window_start = int(now // window) * window
    # Hashed: the ident may be a signed Open ID, any text up to 128 characters; a cache key
    # stays short and plain whatever it holds.
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"tickets:rl:{name}:{digest}:{window_start}"
    # add() only sets a missing key, so concurrent first attempts don't reset each other.
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > allowed:
        return Throttled(retry_after=max(1, int(window_start + window - now)))
    return None


def client_ip(request: HttpRequest) -> str:
    """The client address; behind a proxy, the last hop the proxy appended (not spoofable)."""
    if getattr(settings, "TICKETS_TRUST_X_FORWARDED_FOR", False):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")
