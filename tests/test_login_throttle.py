"""Sign-in throttling: five failures lock one username + address pair out for 15 minutes, and
fifty failures across usernames lock the address out."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model

from reports import login_throttle, throttling

LOCKED = "Too many failed sign-in attempts. Try again in 15 minutes."
PASSWORD = "correct horse battery"


def sign_in(client, username, password, ip="10.0.0.1", url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail_five_times(client, username, ip="10.0.0.1", url="/accounts/login/"):
    for attempt in range(5):
        response = sign_in(client, username, "wrong password", ip=ip, url=url)
        assert response.status_code == 200
        # The first four say the usual thing; the fifth already explains the lockout.
        expected = LOCKED if attempt == 4 else "correct username and password"
        assert expected in response.content.decode()


def test_five_failures_then_the_right_password_is_refused(client, owner):
    fail_five_times(client, owner.username)
    response = sign_in(client, owner.username, PASSWORD)
    assert response.status_code == 200
    assert LOCKED in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/console/").status_code == 302  # still signed out


def test_a_username_that_does_not_exist_gets_the_same_message(client, db):
    fail_five_times(client, "nobody@nowhere.example")
    response = sign_in(client, "nobody@nowhere.example", "anything")
    assert LOCKED in response.content.decode()


def test_other_users_and_other_addresses_are_unaffected(client, owner, teammate):
    fail_five_times(client, owner.username, ip="10.0.0.1")
    # The same user from another address can still sign in...
    response = sign_in(client, owner.username, PASSWORD, ip="10.0.0.2")
    assert response.status_code == 302
    client.logout()
    # ...and so can another user from the locked-out address.
    response = sign_in(client, teammate.username, PASSWORD, ip="10.0.0.1")
    assert response.status_code == 302


def test_sign_in_works_again_after_the_cool_off(client, owner, monkeypatch):
    start = login_throttle._now()
    monkeypatch.setattr(login_throttle, "_now", lambda: start)
    fail_five_times(client, owner.username)
    monkeypatch.setattr(login_throttle, "_now", lambda: start + 14 * 60)
    assert LOCKED in sign_in(client, owner.username, PASSWORD).content.decode()
    monkeypatch.setattr(login_throttle, "_now", lambda: start + 15 * 60 + 1)
    response = sign_in(client, owner.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/console/"


def test_a_success_forgets_earlier_failures(client, owner):
    for _ in range(4):
        sign_in(client, owner.username, "wrong password")
    assert sign_in(client, owner.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        response = sign_in(client, owner.username, "wrong password")
    assert LOCKED not in response.content.decode()


def test_admin_login_is_throttled_too(client, db):
    get_user_model().objects.create_superuser(
        username="admin@example.com", email="admin@example.com", password=PASSWORD
    )
    fail_five_times(client, "admin@example.com", url="/admin/login/")
    response = sign_in(client, "admin@example.com", PASSWORD, url="/admin/login/")
    assert LOCKED in response.content.decode()
    other_address = sign_in(
        client, "admin@example.com", PASSWORD, ip="10.9.9.9", url="/admin/login/"
    )
    assert other_address.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_login_pages_render(client, db, url):
    assert client.get(url).status_code == 200


def spray(client, count: int, ip: str = "10.0.0.7", **headers):
    """One wrong guess at each of `count` usernames: no username + address pair nears its own
    limit of 5."""
    response = None
    for n in range(count):
        response = client.post(
            "/accounts/login/",
            {"username": f"user{n}@acme.example", "password": "Summer2026!"},
            REMOTE_ADDR=ip,
            **headers,
        )
        assert response.status_code == 200
    return response


@pytest.fixture
def fast_hasher(settings):
    # Fifty refused sign-ins each hash a password: the default hasher would take ~25 s.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_password_spraying_from_one_address_locks_that_address_out(client, fast_hasher, owner):
    assert LOCKED not in spray(client, 49).content.decode()
    assert LOCKED in spray(client, 1).content.decode()  # the 50th failure, across usernames
    # Every username from that address is refused now, the password unchecked, ...
    assert LOCKED in sign_in(client, owner.username, PASSWORD, ip="10.0.0.7").content.decode()
    # ... while the same user from another address signs in.
    assert sign_in(client, owner.username, PASSWORD, ip="10.0.0.8").status_code == 302


def test_a_success_from_the_address_does_not_reset_its_failure_count(
    client, fast_hasher, owner, settings
):
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 4
    spray(client, 3)
    assert sign_in(client, owner.username, PASSWORD, ip="10.0.0.7").status_code == 302
    client.logout()
    assert LOCKED in spray(client, 1).content.decode()


def test_behind_a_proxy_the_lockout_uses_the_forwarded_address(
    client, fast_hasher, owner, settings
):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS = 3
    # Every request comes from the proxy's address; the proxy appends the client's.
    spray(client, 3, ip="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.66")
    developer = sign_in_from(client, owner.username, PASSWORD, forwarded="203.0.113.7")
    assert developer.status_code == 302
    client.logout()
    sprayer = sign_in_from(client, owner.username, PASSWORD, forwarded="9.9.9.9, 203.0.113.66")
    assert LOCKED in sprayer.content.decode()


def sign_in_from(client, username, password, *, forwarded):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR="10.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def setting_values(*names: str, **env) -> list:
    probe = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps([getattr(settings, name) for name in {list(names)!r}]))"
    )
    environment = {k: v for k, v in os.environ.items() if "FORWARDED_FOR" not in k}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", DEBUG="true", **env)
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=Path(__file__).resolve().parent.parent,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_the_forwarded_address_setting_and_its_deprecated_name(tmp_path):
    names = ("TRUST_X_FORWARDED_FOR", "LOGIN_FAILURE_LIMIT_PER_ADDRESS")
    assert setting_values(*names, VAR_DIR=str(tmp_path)) == [False, 50]
    assert setting_values(names[0], VAR_DIR=str(tmp_path), TRUST_X_FORWARDED_FOR="true") == [True]
    old_name = {"TICKETS_TRUST_X_FORWARDED_FOR": "true"}
    assert setting_values(names[0], VAR_DIR=str(tmp_path), **old_name) == [True]


def test_a_forwarded_address_without_the_setting_is_pointed_out_once(
    client, owner, monkeypatch, caplog
):
    monkeypatch.setattr(throttling, "_untrusted_forwarding_warned", False)
    for _ in range(2):
        sign_in_from(client, owner.username, "wrong password", forwarded="203.0.113.7")
    warnings = [r.getMessage() for r in caplog.records if "TRUST_X_FORWARDED_FOR" in r.getMessage()]
    assert len(warnings) == 1
    assert "share its address" in warnings[0]
