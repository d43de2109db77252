"""Reads of API keys: the keys page, and finding the key a request presents."""

import hmac

from django.db.models import QuerySet

from ..models import API_KEY_ID_LENGTH, API_KEY_PREFIX, ApiKey, MiniApp
from .services import api_key_hash

PREFIX_LENGTH = len(API_KEY_PREFIX) + API_KEY_ID_LENGTH
# Compared against when no key has the prefix, so an unknown key costs what a wrong one does.
_NO_KEY_HASH = api_key_hash("no such key")


def api_keys_for_app(*, mini_app: MiniApp) -> QuerySet[ApiKey]:
    """The keys page: live keys first, then revoked ones, newest first within each."""
    return (
        ApiKey.objects.filter(mini_app=mini_app)
        .select_related("created_by", "revoked_by")
        .order_by("revoked_at", "-created_at", "-id")
    )


def api_key_for_app(*, mini_app: MiniApp, key_id: int) -> ApiKey:
    """The app's key (ApiKey.DoesNotExist for another app's: the caller answers 404)."""
    return ApiKey.objects.select_related("mini_app").get(mini_app=mini_app, pk=key_id)


def api_key_for_bearer(*, presented: str) -> ApiKey | None:
    """The live key a request presents, or None for an unknown, wrong or revoked one.

    One indexed lookup by prefix, then the stored hash compared in constant time.
    """
    prefix = presented[:PREFIX_LENGTH]
    key_id = prefix.removeprefix(API_KEY_PREFIX)
    api_key = None
    # Only a well-formed prefix is looked up (a NUL would be a database error on PostgreSQL).
    if len(key_id) == API_KEY_ID_LENGTH and key_id.isascii() and key_id.isalnum():
        api_key = ApiKey.objects.select_related("mini_app").filter(prefix=prefix).first()
    expected = api_key.key_hash if api_key else _NO_KEY_HASH
    matches = hmac.compare_digest(expected, api_key_hash(presented))  # constant time
    if api_key is None or not matches or not api_key.is_active:
        return None
    return api_key
