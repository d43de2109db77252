"""Sign-in throttling on Django's cache (Redis in production), for the console and the admin.

After LOGIN_FAILURE_LIMIT failed attempts for one username from one address, that pair is
locked out for LOGIN_LOCKOUT_SECONDS, even with the right password. After
LOGIN_FAILURE_LIMIT_PER_ADDRESS failures from one address across all usernames (password
spraying), that address is locked out the same way. The same message is shown whether or not
the username exists, and a locked-out attempt never checks the password.

The counters fail open: with the cache unreachable people can still sign in (the password is
checked as always), unthrottled, and the request logs one warning.
"""

import hashlib
import time

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.http import HttpRequest

from .throttling import CACHE_ERRORS, cache_count, cache_down_warn, client_ip

KEY_PREFIX = "login-throttle"


def _now() -> float:
    return time.time()


def _limits() -> tuple[int, int]:
    return settings.LOGIN_FAILURE_LIMIT, settings.LOGIN_LOCKOUT_SECONDS


def _keys(*, username: str, ip: str) -> tuple[str, str]:
    # Hashed: usernames are e-mail addresses and must not sit in the cache in clear.
    ident = hashlib.sha256(f"{username.strip().casefold()}\n{ip}".encode()).hexdigest()
    return f"{KEY_PREFIX}:fail:{ident}", f"{KEY_PREFIX}:lock:{ident}"


def _address_keys(*, ip: str) -> tuple[str, str]:
    ident = hashlib.sha256(ip.encode()).hexdigest()
    return f"{KEY_PREFIX}:addr-fail:{ident}", f"{KEY_PREFIX}:addr-lock:{ident}"


def login_locked(*, username: str, ip: str, now: float | None = None) -> bool:
    """Whether this username + address pair, or the address itself, is in its cool-off."""
    now = _now() if now is None else now
    lock_keys = [_keys(username=username, ip=ip)[1]]
    if ip:
        lock_keys.append(_address_keys(ip=ip)[1])
    return any(now < locked_until for locked_until in cache.get_many(lock_keys).values())


def login_failure_record(*, username: str, ip: str, now: float | None = None) -> bool:
    """Count one failed attempt for the pair and for the address; True when a lockout starts."""
    now = _now() if now is None else now
    limit, lockout = _limits()
    locked = False
    fail_key, lock_key = _keys(username=username, ip=ip)
    if cache_count(fail_key, timeout=lockout) >= limit:
        cache.set(lock_key, now + lockout, timeout=lockout + 60)
        cache.delete(fail_key)
        locked = True
    if ip:  # a form without a request has no address to count against
        address_fail_key, address_lock_key = _address_keys(ip=ip)
        if cache_count(address_fail_key, timeout=lockout) >= (
            settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS
        ):
            cache.set(address_lock_key, now + lockout, timeout=lockout + 60)
            cache.delete(address_fail_key)
            locked = True
    return locked


def login_success_record(*, username: str, ip: str) -> None:
    """A successful sign-in forgets earlier failures of this pair (not of the address: one
    account of the sprayer's own must not reset the count of its guesses at others)."""
    cache.delete_many(list(_keys(username=username, ip=ip)))


def locked_message() -> str:
    minutes = max(1, _limits()[1] // 60)
    return f"Too many failed sign-in attempts. Try again in {minutes} minutes."


class ThrottledLoginMixin:
    """For AuthenticationForm subclasses: refuse locked-out pairs and addresses, count
    failures; with the cache down, check the password unthrottled."""

    request: HttpRequest | None
    cleaned_data: dict

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = client_ip(self.request) if self.request is not None else ""
        try:
            locked = login_locked(username=username, ip=ip)
        except CACHE_ERRORS as error:
            cache_down_warn(self.request, "sign-in lockout skipped", error)
            return super().clean()
        if locked:
            raise forms.ValidationError(locked_message(), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if self._record(login_failure_record, username=username, ip=ip):
                raise forms.ValidationError(locked_message(), code="locked") from None
            raise
        self._record(login_success_record, username=username, ip=ip)
        return cleaned

    def _record(self, record, **pair) -> bool | None:
        try:
            return record(**pair)
        except CACHE_ERRORS as error:  # Redis went away mid-request
            cache_down_warn(self.request, "sign-in lockout skipped", error)
            return None


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass
