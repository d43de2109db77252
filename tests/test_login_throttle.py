"""Sign-in throttling: five failures lock one username + address pair out for 15 minutes."""

import pytest
from django.contrib.auth import get_user_model

from config import login_throttle

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
