"""The browser tests sign in through the real form; what they check is the pages, not the
password hash. Django's default hasher (PBKDF2, a million rounds) costs each sign-in, and each
user the fixtures make, about half a second of CPU. Under `make test`'s parallel load that
pushed one sign-in past the 10 s navigation timeout (test_appeals, on SQLite). The hasher is
Django's own, configured nowhere here; other suites make the same choice (test_access_matrix,
hostile/, test_login_throttle)."""

import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
