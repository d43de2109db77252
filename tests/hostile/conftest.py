"""Fixtures for the hostile-input tests.

Hypothesis runs many examples inside one test function, so inside one database transaction:
each example measures what it changed itself (row counts before and after), and clears the
rate-limit counters, which would otherwise refuse the 21st example of a form.
"""

import pytest

from tests.conftest import counters_clear


@pytest.fixture
def fresh_counters():
    """Call at the start of every example."""
    return counters_clear


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Every test here makes users and some sign in dozens of times; the real hasher would
    # spend most of this package's time hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
