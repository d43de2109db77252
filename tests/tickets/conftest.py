"""Help-center fixtures: a clean rate-limit cache, signed links and uploads."""

import time

import pytest
from django.core.cache import cache

from tickets.signing import open_id_signature


def rate_limit_state_clear() -> None:
    """Forget the help center's counters and seen API signatures, and nothing else.

    On Redis the cache shares the broker's database, so a FLUSHDB (cache.clear()) would also
    drop Celery's queues: delete only our own keys.
    """
    client_of = getattr(getattr(cache, "_cache", None), "get_client", None)
    if client_of is None:
        cache.clear()  # file-based cache: its own directory
        return
    client = client_of(None, write=True)
    keys = list(client.scan_iter(match="*tickets:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def clean_rate_limits():
    # Rate-limit counters live in the real cache (Redis in the test run); start each test at 0.
    rate_limit_state_clear()
    yield
    rate_limit_state_clear()


@pytest.fixture
def signed_link():
    def make(app, open_id="user-42", ts=None):
        ts = int(time.time()) if ts is None else ts
        sig = open_id_signature(secret=app.signing_secret, open_id=open_id, ts=ts)
        return {"open_id": open_id, "ts": str(ts), "sig": sig}

    return make
