"""Help-center fixtures: a clean rate-limit cache, signed links and uploads."""

import time

import pytest
from django.core.cache import cache

from tickets.signing import open_id_signature


@pytest.fixture(autouse=True)
def clean_rate_limits():
    # Rate-limit counters live in the real cache (Redis in the test run); start each test at 0.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def signed_link():
    def make(app, open_id="user-42", ts=None):
        ts = int(time.time()) if ts is None else ts
        sig = open_id_signature(secret=app.signing_secret, open_id=open_id, ts=ts)
        return {"open_id": open_id, "ts": str(ts), "sig": sig}

    return make
