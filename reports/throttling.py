"""What every throttle here shares: one fixed-window counter on Django's cache (Redis in
production), the client's address, and the one warning when the cache is unreachable.

Used by the help center's submission limits (tickets/throttling.py) and the sign-in lockout
(reports/login_throttle.py); both fail open when the cache is down.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What an unreachable cache raises: redis-py's errors on Redis, OSError on the file cache.
CACHE_ERRORS = (RedisError, OSError)


def cache_count(key: str, *, timeout: int) -> int:
    """Count one more at `key` (kept `timeout` seconds from its first count); the new count.

    add() only sets a missing key, so concurrent first attempts don't reset each other, and
    incr() is atomic, so concurrent attempts each count once."""
    cache.add(key, 0, timeout=timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=timeout)
        return 1


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
