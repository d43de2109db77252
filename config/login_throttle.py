"""Sign-in throttling on Django's cache (Redis in production), for the console and the admin.

After LOGIN_FAILURE_LIMIT failed attempts for one username from one address, that pair is
locked out for LOGIN_LOCKOUT_SECONDS, even with the right password. The same message is shown
whether or not the username exists, and a locked-out attempt never checks the password.
"""

import hashlib
import time

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest

from tickets.throttling import client_ip

KEY_PREFIX = "login-throttle"


def _now() -> float:
    return time.time()


def _limits() -> tuple[int, int]:
    return settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_LOCKOUT_SECONDS


def _keys(*, username: str, ip: str) -> tuple[str, str]:
    # Hashed: usernames are e-mail addresses and must not sit in the cache in clear.
    ident = hashlib.sha256(f"{username.strip().casefold()}\n{ip}".encode()).hexdigest()
    return f"{KEY_PREFIX}:fail:{ident}", f"{KEY_PREFIX}:lock:{ident}"


def login_locked(*, username: str, ip: str, now: float | None = None) -> bool:
    """Whether this username + address pair is in its cool-off."""
    now = _now() if now is None else now
    _, lock_key = _keys(username=username, ip=ip)
    locked_until = cache.get(lock_key)
    return locked_until is not None and now < locked_until


def login_failure_record(*, username: str, ip: str, now: float | None = None) -> bool:
    """Count one failed attempt; True when it starts a lockout."""
    now = _now() if now is None else now
    limit, lockout = _limits()
    fail_key, lock_key = _keys(username=username, ip=ip)
    # add() + incr(): concurrent failures each count once.
    cache.add(fail_key, 0, timeout=lockout)
    try:
        failures = cache.incr(fail_key)
    except ValueError:  # expired between add() and incr()
        cache.set(fail_key, 1, timeout=lockout)
        failures = 1
    if failures < limit:
        return False
    cache.set(lock_key, now + lockout, timeout=lockout + 60)
    cache.delete(fail_key)
    return True


def login_success_record(*, username: str, ip: str) -> None:
    """A successful sign-in forgets earlier failures of this pair."""
    cache.delete_many(list(_keys(username=username, ip=ip)))


def locked_message() -> str:
    minutes = max(1, _limits()[1] // 60)
    return f"Too many failed sign-in attempts. Try again in {minutes} minutes."


class ThrottledLoginMixin:
    """For AuthenticationForm subclasses: refuse locked-out pairs, count failures."""

    request: HttpRequest | None
    cleaned_data: dict

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else ""
        if login_locked(username=username, ip=ip):
            raise forms.ValidationError(locked_message(), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if login_failure_record(username=username, ip=ip):
                raise forms.ValidationError(locked_message(), code="locked") from None
            raise
        login_success_record(username=username, ip=ip)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
