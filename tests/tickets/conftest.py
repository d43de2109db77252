"""Help-center fixtures: signed links and uploads (counters are cleared by tests/conftest.py)."""

import time

import pytest

from reports.signing import open_id_signature


@pytest.fixture
def signed_link():
    def make(app, open_id="user-42", ts=None):
        ts = int(time.time()) if ts is None else ts
        sig = open_id_signature(secret=app.signing_secret, open_id=open_id, ts=ts)
        return {"open_id": open_id, "ts": str(ts), "sig": sig}

    return make
