"""Submission rate limits on Django's cache (Redis in production), shared by every process.

Fixed windows: simple, and a burst at a window edge can at worst double the rate, which is
fine for abuse protection. The limits live in settings so an operator can tune them.

The limits fail open: with the cache unreachable (in production it is the broker's Redis) a
report is still accepted, unthrottled, and the request logs one warning.
"""

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What an unreachable cache raises: redis-py's errors on Redis, OSError on the file cache.
CACHE_ERRORS = (RedisError, OSError)

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
    # add() only sets a missing key, so concurrent first attempts don't reset each other.
    cache.add(key, 0, timeout=window + 5)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window + 5)
        count = 1
    if count > allowed:
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


def cache_down_warn(request: HttpRequest | None, skipped: str, error: Exception) -> None:
    """Log, once per request, that the cache is unreachable and what was skipped for it."""
    if request is not None:
        if getattr(request, "_cache_down_warned", False):
            return
        request._cache_down_warned = True
    path = request.path if request is not None else "-"
    logger.warning("Cache unavailable (%s): %s for %s", type(error).__name__, skipped, path)


_untrusted_forwarding_warned = False


def client_ip(request: HttpRequest) -> str:
    """The client address; behind a proxy, the last hop the proxy appended (not spoofable)."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if getattr(settings, "TRUST_X_FORWARDED_FOR", False):
        if forwarded:
            return forwarded.split(",")[-1].strip()
    elif forwarded:
        _untrusted_forwarding_warn()
    return request.META.get("REMOTE_ADDR", "")


def _untrusted_forwarding_warn() -> None:
    # Behind a proxy with the setting off, every client has the proxy's address: one client's
    # failed sign-ins lock everyone out. Said once per process, for the operator.
    global _untrusted_forwarding_warned
    if not _untrusted_forwarding_warned:
        _untrusted_forwarding_warned = True
        logger.warning(
            "X-Forwarded-For received but TRUST_X_FORWARDED_FOR is off: behind a proxy, all "
            "clients share its address for the rate limits and the sign-in lockout."
        )
