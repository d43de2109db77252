"""API keys: create, revoke, and note their use. Owners only; every change in the audit log.

A key is 186 random bits, so its SHA-256 is all the storage needs: a slow password hash
(PBKDF2, Argon2) exists to make guessing a low-entropy password costly, which changes nothing
for a key nobody can guess, and would add its deliberate ~100 ms to every API request.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..models import (
    API_KEY_ALPHABET,
    API_KEY_ID_LENGTH,
    API_KEY_PREFIX,
    API_KEY_SECRET_LENGTH,
    ApiKey,
    AppEvent,
    MiniApp,
)
from ..roles import MANAGING_ROLES, role_require
from ..services import app_event_record

# How stale last_used_at may be. Written on every request, a busy integration would turn each
# of its reads into a write of the same row (a row lock, WAL, on SQLite the one writer slot);
# "used 40 seconds ago" is all the console needs to say.
LAST_USED_PRECISION = timedelta(minutes=1)


def api_key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _random(length: int) -> str:
    return "".join(secrets.choice(API_KEY_ALPHABET) for _ in range(length))


def api_key_create(
    *, mini_app: MiniApp, actor: AbstractBaseUser | None, name: str, scope: str
) -> tuple[ApiKey, str]:
    """A new key; returns the row and the whole key, which is never available again."""
    role_require(actor=actor, mini_app_id=mini_app.pk, roles=MANAGING_ROLES)
    for attempt in range(3):
        prefix = API_KEY_PREFIX + _random(API_KEY_ID_LENGTH)
        key = prefix + _random(API_KEY_SECRET_LENGTH)
        try:
            with transaction.atomic():
                api_key = ApiKey.objects.create(
                    mini_app=mini_app,
                    name=name,
                    scope=scope,
                    prefix=prefix,
                    key_hash=api_key_hash(key),
                    created_by=actor,
                )
                app_event_record(
                    mini_app=mini_app,
                    kind=AppEvent.Kind.API_KEY_CREATED,
                    actor=actor,
                    key=prefix,
                    name=name,
                    scope=scope,
                )
            return api_key, key
        except IntegrityError:  # the 48-bit prefix collided: draw another
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def api_key_revoke(*, api_key: ApiKey, actor: AbstractBaseUser | None) -> bool:
    """Revoke the key at once; False if it was already revoked (nothing recorded twice)."""
    role_require(actor=actor, mini_app_id=api_key.mini_app_id, roles=MANAGING_ROLES)
    now = timezone.now()
    with transaction.atomic():
        revoked = ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(
            revoked_at=now, revoked_by=actor
        )
        if revoked:
            app_event_record(
                mini_app=api_key.mini_app,
                kind=AppEvent.Kind.API_KEY_REVOKED,
                actor=actor,
                key=api_key.prefix,
                name=api_key.name,
            )
    return bool(revoked)


def api_key_touch(*, api_key: ApiKey, now: datetime | None = None) -> bool:
    """Record that the key was just used, at most once per LAST_USED_PRECISION.

    Most requests write nothing (the loaded row is fresh enough); a conditional UPDATE makes
    concurrent requests write once between them. Returns whether it wrote.
    """
    now = now or timezone.now()
    stale = now - LAST_USED_PRECISION
    if api_key.last_used_at is not None and api_key.last_used_at > stale:
        return False
    written = ApiKey.objects.filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=stale), pk=api_key.pk
    ).update(last_used_at=now)
    if written:
        api_key.last_used_at = now
    return bool(written)
